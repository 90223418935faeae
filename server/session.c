/* SPDX-License-Identifier: MIT */
/* The session table: full JID -> session, bare JID -> the account's resources. */
#include "session.h"

#include <stdlib.h>

#include "base.h"

void session_table_init(struct session_table *t)
{
    hmap_init(&t->by_full);
    hmap_init(&t->by_bare);
}

void session_table_fini(struct session_table *t)
{
    hmap_fini(&t->by_full);
    hmap_fini(&t->by_bare);
}

struct session *session_add(struct session_table *t, struct transport *tp,
                            const struct jid *jid)
{
    struct account_sessions *acct = hmap_get(&t->by_bare, jid->bare);
    if (!acct) {
        acct = xcalloc(1, sizeof(*acct));
        acct->bare = xstrdup(jid->bare);
        hmap_put(&t->by_bare, acct->bare, acct);
    }
    struct session *s = xcalloc(1, sizeof(*s));
    s->tp = tp;
    s->jid = jid_dup(jid);
    s->account = acct;
    s->next_resource = acct->first;
    acct->first = s;
    acct->count++;
    hmap_put(&t->by_full, s->jid->full, s);
    return s;
}

void session_detach(struct session_table *t, struct session *sess)
{
    struct account_sessions *acct = sess->account;
    if (!acct)
        return;
    sess->account = NULL;
    hmap_del(&t->by_full, sess->jid->full);
    for (struct session **pp = &acct->first; *pp; pp = &(*pp)->next_resource) {
        if (*pp == sess) {
            *pp = sess->next_resource;
            break;
        }
    }
    /* sess->next_resource stays: a fan-out loop standing on sess can still step past it. */
    if (--acct->count == 0) {
        hmap_del(&t->by_bare, acct->bare);
        free(acct->bare);
        free(acct);
    }
}

void session_free(struct session *sess)
{
    if (!sess)
        return;
    stanza_unref(sess->presence);
    sm_free(sess->sm);
    jid_free(sess->jid);
    free(sess);
}

struct session *session_oldest(const struct account_sessions *acct)
{
    /* New sessions go first, so the oldest is last; the list is max_resources_per_account
     * long at most. */
    struct session *s = acct->first;
    for (unsigned i = 1; i < acct->count && s->next_resource; i++)
        s = s->next_resource;
    return s;
}

struct session *session_find(const struct session_table *t, const char *full)
{
    return hmap_get(&t->by_full, full);
}

struct account_sessions *session_account(const struct session_table *t, const char *bare)
{
    return hmap_get(&t->by_bare, bare);
}
