/* SPDX-License-Identifier: MIT */
/* Stanza-ids (XEP-0359) on archivable messages, and the archive writes once a message was
 * delivered or kept: both parties' copies, corrections (XEP-0308), retractions (XEP-0424). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base.h"
#include "jid.h"
#include "mam.h"

/* A fresh archive key and random tag: the message's row in the archive and its stanza-id.
 * Keys grow with time, so the archive only ever appends. */
static bool new_key(struct mam *m, long long *key, unsigned long long *tag)
{
    size_t need = ARCHIVE_TAG_BITS / 8;
    if (m->rand_left < need) {
        if (RAND_bytes(m->rand_pool, sizeof(m->rand_pool)) != 1)
            abort(); /* no randomness: ids could be guessed, and the process cannot go on */
        m->rand_left = sizeof(m->rand_pool);
    }
    const unsigned char *raw = m->rand_pool + (m->rand_left -= need);
    *tag = 0;
    for (size_t i = 0; i < need; i++)
        *tag = *tag << 8 | raw[i];
    int rc = archive_new_key(module_storage(m->srv), mam_now_us(), key);
    if (rc != PL_OK)
        module_log(LOG_ERROR, "archive", "no archive key: %s", pl_strerror(rc));
    return rc == PL_OK;
}

/* Does by name us: the server's domain or any JID at it? */
static bool ours(const char *by, const char *domain)
{
    const char *at = strchr(by, '@');
    const char *host = at ? at + 1 : by;
    size_t n = strcspn(host, "/");
    return strlen(domain) == n && strncasecmp(host, domain, n) == 0;
}

static bool is_our_sid(const struct xel *c, const char *domain)
{
    const char *by;
    return c->name && strcmp(c->name, "stanza-id") == 0 && c->ns && strcmp(c->ns, NS_SID) == 0 &&
           (by = xel_attr(c, "by")) != NULL && ours(by, domain);
}

/* Removes every <stanza-id/> that claims to be ours (only the server stamps those). */
static void strip_sids(struct xel *root, const char *domain)
{
    struct xel *prev = NULL;
    for (struct xel *c = root->first; c;) {
        struct xel *next = c->next;
        if (is_our_sid(c, domain)) {
            if (prev)
                prev->next = next;
            else
                root->first = next;
            if (root->last == c)
                root->last = prev;
        } else {
            prev = c;
        }
        c = next;
    }
}

/* The stanza-id we stamped for owner, or NULL. */
static const char *sid_for(const struct xel *root, const char *owner)
{
    for (const struct xel *c = root->first; c; c = c->next) {
        const char *by;
        if (c->name && strcmp(c->name, "stanza-id") == 0 && c->ns && strcmp(c->ns, NS_SID) == 0 &&
            (by = xel_attr(c, "by")) && strcmp(by, owner) == 0)
            return xel_attr(c, "id");
    }
    return NULL;
}

/* The message a correction or retraction refers to, or NULL (*retract says which). */
static const char *amend_ref(const struct xel *root, bool *retract)
{
    const struct xel *c;
    *retract = false;
    if ((c = xel_child(root, "replace", NS_CORRECT)))
        return xel_attr(c, "id");
    *retract = true;
    if ((c = xel_child(root, "retract", NS_RETRACT)))
        return xel_attr(c, "id");
    if ((c = xel_child(root, "apply-to", NS_FASTEN)) && xel_child(c, "retract", NS_RETRACT_0))
        return xel_attr(c, "id");
    return NULL;
}

/* XEP-0313 §5 and XEP-0334: chat and normal messages with content worth keeping. */
static bool archivable(const struct stanza *st)
{
    bool retract;
    if (!(st->type & (MSG_CHAT | MSG_NORMAL)) && st->type != 0)
        return false;
    if (xel_child(st->root, "no-store", NS_HINTS) ||
        xel_child(st->root, "no-permanent-store", NS_HINTS))
        return false;
    return xel_child(st->root, "body", NULL) || xel_child(st->root, "store", NS_HINTS) ||
           (amend_ref(st->root, &retract) && retract);
}

void mam_message_prepare(void *state, struct message_event *ev)
{
    struct mam *m = state;
    if (ev->replay)
        return; /* stamped and archived the first time */
    strip_sids(ev->st->root, module_domain(m->srv));
    struct jid *sender = ev->st->from ? jid_parse(ev->st->from) : NULL;
    long long key;
    unsigned long long tag;
    if (sender && archivable(ev->st) && mam_prefs_allow(m, ev->to->bare, sender->bare) &&
        new_key(m, &key, &tag)) {
        char id[ARCHIVE_SID_LEN + 1];
        archive_sid_format(key, tag, id);
        struct xel *s = xel_add_child(ev->st, ev->st->root, "stanza-id", NS_SID);
        xel_set_attr(ev->st, s, "id", id);
        xel_set_attr(ev->st, s, "by", ev->to->bare);
    }
    jid_free(sender);
}

/* Serializes st as it is stored: without our stanza-ids, and (for the original a correction
 * replaces) without <replace/> and with the original's id. Owned by the caller. */
static char *stored_xml(const struct stanza *st, const char *domain, const char *orig_id)
{
    struct stanza *c = stanza_compact(st);
    struct buf b;
    strip_sids(c->root, domain);
    if (orig_id) {
        struct xel *prev = NULL;
        for (struct xel *e = c->root->first; e; prev = e, e = e->next)
            if (e->name && strcmp(e->name, "replace") == 0 && e->ns &&
                strcmp(e->ns, NS_CORRECT) == 0) {
                if (prev)
                    prev->next = e->next;
                else
                    c->root->first = e->next;
                if (c->root->last == e)
                    c->root->last = prev;
                break;
            }
        xel_set_attr(c, c->root, "id", orig_id);
    }
    buf_init(&b);
    stanza_write(c, &b);
    buf_append(&b, "", 1);
    stanza_unref(c);
    return b.data;
}

/* What a retracted message becomes (XEP-0424 §5): who, when, and no content. */
static char *tombstone_xml(const struct stanza *st, const char *ref)
{
    char stamp[40];
    struct buf b;
    struct stanza *t = stanza_new("message", "jabber:client");
    const char *attrs[] = { "from", "to", "type" };
    for (size_t i = 0; i < ARRAY_LEN(attrs); i++)
        if (xel_attr(st->root, attrs[i]))
            xel_set_attr(t, t->root, attrs[i], xel_attr(st->root, attrs[i]));
    xel_set_attr(t, t->root, "id", ref);
    struct xel *r = xel_add_child(t, t->root, "retracted", NS_RETRACT);
    mam_stamp(mam_now_us(), stamp, sizeof(stamp));
    xel_set_attr(t, r, "stamp", stamp);
    if (st->id)
        xel_set_attr(t, r, "id", st->id);
    xel_set_attr(t, xel_add_child(t, t->root, "origin-id", NS_SID), "id", ref);
    buf_init(&b);
    stanza_write(t, &b);
    buf_append(&b, "", 1);
    stanza_unref(t);
    return b.data;
}

/* Applies a correction or retraction to the original (the row both archives share); an
 * original that is not there (never archived, or purged) leaves nothing to change. */
static void amend(struct mam *m, const struct archive_msg *am, const struct stanza *st)
{
    bool retract;
    const char *ref = amend_ref(st->root, &retract);
    if (!ref || !*ref)
        return;
    const struct xel *body = xel_child(st->root, "body", NULL);
    char *xml = retract ? tombstone_xml(st, ref) : stored_xml(st, module_domain(m->srv), ref);
    int rc = archive_amend(module_storage(m->srv), am->sender, am->rcpt, ref,
                           retract || !body ? NULL : xel_text(body), xml);
    if (rc != PL_OK && rc != PL_ENOTFOUND)
        module_log(LOG_ERROR, "archive", "%s: amending a message failed: %s", am->sender,
                   pl_strerror(rc));
    free(xml);
}

/* Whose archives keep the message, and under which key: the recipient's when prepare stamped
 * it (its stanza-id names the key), the sender's when the sender is a local account whose
 * preferences allow it. A note to self is one message: the recipient's copy is all of it. */
static bool keepers(struct mam *m, const struct message_event *ev, struct archive_msg *am)
{
    const char *sid = sid_for(ev->st->root, ev->to->bare);
    am->rcpt_keeps = sid && archive_sid_parse(sid, &am->key, &am->tag);
    am->sender_keeps = ev->from_bare && strcmp(ev->from_bare, ev->to->bare) != 0 &&
                       archivable(ev->st) && mam_prefs_allow(m, ev->from_bare, ev->to->bare);
    if (!am->rcpt_keeps && am->sender_keeps && !new_key(m, &am->key, &am->tag))
        am->sender_keeps = false;
    return am->rcpt_keeps || am->sender_keeps;
}

void mam_message_done(void *state, const struct message_event *ev)
{
    struct mam *m = state;
    if (ev->replay || !(ev->delivered || ev->stored) || !ev->st->from)
        return;
    struct archive_msg am = { 0 };
    struct jid *from = keepers(m, ev, &am) ? jid_parse(ev->st->from) : NULL;
    if (from) {
        const struct xel *body = xel_child(ev->st->root, "body", NULL);
        const struct xel *origin = xel_child(ev->st->root, "origin-id", NS_SID);
        char *xml = stored_xml(ev->st, module_domain(m->srv), NULL);
        am.sender = from->bare, am.sender_res = from->resource;
        am.rcpt = ev->to->bare, am.rcpt_res = ev->to->resource;
        am.msg_id = ev->st->id;
        am.origin_id = origin ? xel_attr(origin, "id") : NULL;
        am.body = body ? xel_text(body) : NULL;
        am.xml = xml;
        int rc = archive_append(module_storage(m->srv), &am);
        if (rc == PL_OK) {
            amend(m, &am, ev->st);
            module_storage_dirty(m->srv);
            mam_index_note(m);
        } else {
            module_log(LOG_ERROR, "archive", "%s: archiving a message failed: %s", am.rcpt,
                       pl_strerror(rc));
        }
        free(xml);
    }
    jid_free(from);
    mam_purge_maybe(m);
}
