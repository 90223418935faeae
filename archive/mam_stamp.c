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

/* Stanza-ids sort in time order: the current microsecond in 14 hex digits, then 8 random
 * URL-safe characters that keep them unguessable. The index of an owner's ids then grows at
 * its newest end, as its time order does, instead of at random places (a random insert costs
 * one more written page per commit). */
#define SID_LEN 22
static void new_id(char out[SID_LEN + 1])
{
    unsigned char raw[6];
    unsigned char enc[9];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort(); /* no randomness: ids could collide, and the process cannot go on safely */
    EVP_EncodeBlock(enc, raw, sizeof(raw));
    snprintf(out, SID_LEN + 1, "%014llx", (unsigned long long)mam_now_us());
    for (int i = 0; i < 8; i++)
        out[14 + i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i];
    out[SID_LEN] = '\0';
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
    if (sender && archivable(ev->st) && mam_prefs_allow(m, ev->to->bare, sender->bare)) {
        char id[SID_LEN + 1];
        new_id(id);
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

/* Applies a correction or retraction to the original in owner's archive; an original that is
 * not there (never archived, or purged) leaves nothing to change. */
static void amend(struct mam *m, const char *owner, const char *peer, bool sent,
                  const struct stanza *st)
{
    bool retract;
    const char *ref = amend_ref(st->root, &retract);
    if (!ref || !*ref)
        return;
    const struct xel *body = xel_child(st->root, "body", NULL);
    char *xml = retract ? tombstone_xml(st, ref) : stored_xml(st, module_domain(m->srv), ref);
    int rc = archive_amend(module_storage(m->srv), owner, peer, sent, ref,
                           retract || !body ? NULL : xel_text(body), xml);
    if (rc != PL_OK && rc != PL_ENOTFOUND)
        module_log(LOG_ERROR, "archive", "%s: amending a message failed: %s", owner,
                   pl_strerror(rc));
    free(xml);
}

/* Appends st to owner's archive under sid, then applies it if it corrects or retracts. */
static void archive_copy(struct mam *m, const char *owner, const struct jid *peer, bool sent,
                         const char *sid, const struct stanza *st, const char *xml)
{
    const struct xel *body = xel_child(st->root, "body", NULL);
    const struct xel *origin = xel_child(st->root, "origin-id", NS_SID);
    struct archive_row row = {
        .stanza_id = sid, .peer = peer->bare, .peer_res = peer->resource,
        .ts_us = mam_now_us(), .sent = sent, .msg_id = st->id,
        .origin_id = origin ? xel_attr(origin, "id") : NULL,
        .body = body ? xel_text(body) : NULL, .xml = xml,
    };
    int rc = archive_append(module_storage(m->srv), owner, &row);
    if (rc != PL_OK) {
        module_log(LOG_ERROR, "archive", "%s: archiving a message failed: %s", owner,
                   pl_strerror(rc));
        return;
    }
    amend(m, owner, peer->bare, sent, st);
    module_storage_dirty(m->srv);
    mam_index_note(m);
}

/* The sender's copy, under a stanza-id of its own (XEP-0359 ids are per archive). */
static void archive_sent(struct mam *m, const struct message_event *ev)
{
    char id[SID_LEN + 1];
    if (!archivable(ev->st) || !mam_prefs_allow(m, ev->from_bare, ev->to->bare))
        return;
    new_id(id);
    char *xml = stored_xml(ev->st, module_domain(m->srv), NULL);
    archive_copy(m, ev->from_bare, ev->to, true, id, ev->st, xml);
    free(xml);
}

void mam_message_done(void *state, const struct message_event *ev)
{
    struct mam *m = state;
    if (ev->replay || !(ev->delivered || ev->stored))
        return;
    const char *sid = sid_for(ev->st->root, ev->to->bare);
    struct jid *from = sid && ev->st->from ? jid_parse(ev->st->from) : NULL;
    if (from) { /* prepare stamped it: the recipient's archive takes it */
        struct buf b;
        buf_init(&b);
        stanza_write(ev->st, &b);
        buf_append(&b, "", 1);
        archive_copy(m, ev->to->bare, from, false, sid, ev->st, b.data);
        buf_fini(&b);
    }
    jid_free(from);
    /* A note to self is one message: the recipient's copy is all of it. */
    if (ev->from_bare && strcmp(ev->from_bare, ev->to->bare) != 0)
        archive_sent(m, ev);
    mam_purge_maybe(m);
}
