/* SPDX-License-Identifier: MIT */
/* Bound resources and the table that finds them by full JID and by bare JID in O(1). */
#ifndef PL_SESSION_H
#define PL_SESSION_H

#include <stdbool.h>

#include "confirm.h"
#include "hmap.h"
#include "jid.h"
#include "sm.h"
#include "stanza.h"

struct transport;
struct server;
struct account_sessions;
struct event;

#define MODULE_SLOTS 20

/* One bound resource. jid and presence are owned (presence NULL until the initial presence);
 * account is NULL once out of the table; tp is NULL while a stream-management session waits
 * for its client to resume it (sm is then its queue). */
struct session {
    struct server *srv;
    struct transport *tp; /* what carries the session's stream */
    struct jid *jid;
    struct sm *sm;            /* stream management state, owned; NULL when not enabled */
    struct event *resume_timer; /* while waiting for resumption */
    struct confirm_queue confirms; /* module_when_confirmed calls waiting */
    bool commit_listed; /* sm counts wait for this turn's commit (sm_commit_watch) */
    bool ack_wanted;    /* the client's <r/> is answered after it */
    struct account_sessions *account;
    struct session *next_resource;
    int priority;
    bool available;
    struct stanza *presence;
    void *slots[MODULE_SLOTS]; /* per-module state, indexed by module position */
};

/* All bound resources of one account. */
struct account_sessions {
    char *bare;
    struct session *first;
    unsigned count;
};

struct session_table {
    struct hmap by_full; /* full JID -> struct session */
    struct hmap by_bare; /* bare JID -> struct account_sessions */
};

void session_table_init(struct session_table *t);
void session_table_fini(struct session_table *t);
/* Registers a new session for the stream that t carries, under (a copy of) jid.
 * The caller has removed any session with the same full JID first. */
struct session *session_add(struct session_table *t, struct transport *tp,
                            const struct jid *jid);
/*
 * Takes sess out of the table at once (it can no longer be found or receive fan-out) but
 * keeps it allocated: it may be in use further up the stack. account becomes NULL.
 */
void session_detach(struct session_table *t, struct session *sess);
/* Frees a detached session. */
void session_free(struct session *sess);
/* The account's session bound longest ago (borrowed); acct has at least one. */
struct session *session_oldest(const struct account_sessions *acct);
struct session *session_find(const struct session_table *t, const char *full);
struct account_sessions *session_account(const struct session_table *t, const char *bare);

#endif
