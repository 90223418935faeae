/* SPDX-License-Identifier: MIT */
/* Stanza-ids (XEP-0359) on archivable messages, and the archive writes once a message was
 * delivered or kept: both parties' copies, corrections (XEP-0308), retractions (XEP-0424). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base.h"
#include "jid.h"
#include "mam.h"
#include "ns.h"

static bool new_key(struct mam *m, long long *key, unsigned long long *tag)
{
    return module_archive_key(m->srv, key, tag) == PL_OK;
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

/* The sender's bare JID and resource: a local account's from its session (the server wrote
 * its full JID as from), anyone else's parsed from the stanza (*parsed, freed by the
 * caller). False when from is not a JID. */
static bool sender_of(const struct message_event *ev, struct archive_msg *am,
                      struct jid **parsed)
{
    const char *from = ev->st->from;
    size_t n = ev->from_bare ? strlen(ev->from_bare) : 0;
    if (n && strncmp(from, ev->from_bare, n) == 0 && (from[n] == '/' || !from[n])) {
        am->sender = ev->from_bare;
        am->sender_res = from[n] ? from + n + 1 : NULL;
        return true;
    }
    if (!(*parsed = jid_parse(from)))
        return false;
    am->sender = (*parsed)->bare, am->sender_res = (*parsed)->resource;
    return true;
}

void mam_message_prepare(void *state, struct message_event *ev)
{
    struct mam *m = state;
    if (ev->replay)
        return; /* stamped and archived the first time */
    strip_sids(ev->st->root, module_domain(m->srv));
    struct archive_msg am = { 0 };
    struct jid *parsed = NULL;
    long long key;
    unsigned long long tag;
    if (ev->st->from && sender_of(ev, &am, &parsed) && archivable(ev->st) &&
        mam_prefs_allow(m, ev->to->bare, am.sender) && new_key(m, &key, &tag)) {
        char id[ARCHIVE_SID_LEN + 1];
        archive_sid_format(key, tag, id);
        struct xel *s = xel_add_child(ev->st, ev->st->root, "stanza-id", NS_SID);
        xel_set_attr(ev->st, s, "id", id);
        xel_set_attr(ev->st, s, "by", ev->to->bare);
    }
    jid_free(parsed);
}

/* How much of a large message's serialization m->xml keeps for the next one. */
#define XML_KEEP 16384

/* The correction's archived form: the original's id, and no <replace/>. */
static void write_correction(const struct stanza *st, const char *domain, const char *orig_id,
                             struct buf *out)
{
    struct stanza *c = stanza_compact(st);
    strip_sids(c->root, domain);
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
    stanza_write(c, out);
    stanza_unref(c);
}

/* Serializes st as it is stored, into m->xml: without our stanza-ids, and (for the original a
 * correction replaces, orig_id) without <replace/> and with the original's id. Valid until
 * the next call. */
static const char *stored_xml(struct mam *m, const struct stanza *st, const char *orig_id)
{
    const char *domain = module_domain(m->srv);
    buf_reset(&m->xml);
    buf_shrink(&m->xml, XML_KEEP);
    if (orig_id) {
        write_correction(st, domain, orig_id, &m->xml);
    } else { /* written around our stanza-ids: no copy of the tree */
        const char *ns = xel_write_open(st->root, NS_CLIENT, &m->xml);
        for (const struct xel *c = st->root->first; c; c = c->next)
            if (!is_our_sid(c, domain))
                xel_write(c, ns, &m->xml);
        xel_write_close(st->root, &m->xml);
    }
    buf_append(&m->xml, "", 1);
    return (const char *)m->xml.data;
}

/* What a retracted message becomes (XEP-0424 §5): who, when, and no content; in m->xml. */
static const char *tombstone_xml(struct mam *m, const struct stanza *st, const char *ref)
{
    char stamp[40];
    struct stanza *t = stanza_new("message", "jabber:client");
    const char *attrs[] = { "from", "to", "type" };
    for (size_t i = 0; i < ARRAY_LEN(attrs); i++)
        if (xel_attr(st->root, attrs[i]))
            xel_set_attr(t, t->root, attrs[i], xel_attr(st->root, attrs[i]));
    xel_set_attr(t, t->root, "id", ref);
    struct xel *r = xel_add_child(t, t->root, "retracted", NS_RETRACT);
    datetime_format(mam_now_us(), stamp, sizeof(stamp));
    xel_set_attr(t, r, "stamp", stamp);
    if (st->id)
        xel_set_attr(t, r, "id", st->id);
    xel_set_attr(t, xel_add_child(t, t->root, "origin-id", NS_SID), "id", ref);
    buf_reset(&m->xml);
    stanza_write(t, &m->xml);
    buf_append(&m->xml, "", 1);
    stanza_unref(t);
    return (const char *)m->xml.data;
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
    const char *xml = retract ? tombstone_xml(m, st, ref) : stored_xml(m, st, ref);
    int rc = archive_amend(module_storage(m->srv), am->sender, am->rcpt, ref,
                           retract || !body ? NULL : xel_text(body), xml);
    if (rc != PL_OK && rc != PL_ENOTFOUND)
        module_log(LOG_ERROR, "archive", "%s: amending a message failed: %s", am->sender,
                   pl_strerror(rc));
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
    struct jid *parsed = NULL;
    if (keepers(m, ev, &am) && sender_of(ev, &am, &parsed)) {
        const struct xel *body = xel_child(ev->st->root, "body", NULL);
        const struct xel *origin = xel_child(ev->st->root, "origin-id", NS_SID);
        am.rcpt = ev->to->bare, am.rcpt_res = ev->to->resource;
        am.msg_id = ev->st->id;
        am.origin_id = origin ? xel_attr(origin, "id") : NULL;
        am.body = body ? xel_text(body) : NULL;
        am.xml = stored_xml(m, ev->st, NULL);
        int rc = archive_append(module_storage(m->srv), &am);
        if (rc == PL_OK) {
            m->writes++;
            amend(m, &am, ev->st);
            module_storage_dirty_later(m->srv); /* promised to nobody: queries commit first */
            mam_index_note(m);
        } else {
            module_log(LOG_ERROR, "archive", "%s: archiving a message failed: %s", am.rcpt,
                       pl_strerror(rc));
        }
    }
    jid_free(parsed);
    mam_purge_maybe(m);
}
