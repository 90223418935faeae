/* SPDX-License-Identifier: MIT */
/* The message archive module (XEP-0313, XEP-0359): its state, options and internal calls. */
#ifndef PL_MAM_H
#define PL_MAM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "datetime.h"
#include "hmap.h"
#include "module.h"
#include "storage.h"
#include "xdata.h"

#define NS_MAM "urn:xmpp:mam:2"
#define NS_MAM_EXT "urn:xmpp:mam:2#extended"
#define NS_FULLTEXT "urn:xmpp:fulltext:0"
#define NS_SID "urn:xmpp:sid:0"
#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_HINTS "urn:xmpp:hints"
#define NS_CORRECT "urn:xmpp:message-correct:0"
#define NS_RETRACT "urn:xmpp:message-retract:1"
#define NS_RETRACT_0 "urn:xmpp:message-retract:0"
#define NS_FASTEN "urn:xmpp:fasten:0"

/* [archive] options (conf/parley.conf documents them). */
struct mam_opts {
    long max_page;  /* largest page a query gets; larger <max/> values are clamped */
    long retention; /* seconds a message is kept; 0: forever */
    int default_mode; /* enum archive_mode for accounts without preferences */
};

/* The module's state. */
struct mam {
    struct server *srv;
    struct mam_opts opts;
    bool purging;          /* a purge batch is queued (module_defer) */
    long long last_purge;  /* when the last purge round started (seconds) */
    struct mam_pending *pending; /* queries waiting for their page, for fini */
    unsigned unindexed;    /* appends since the full-text index last caught up */
    bool indexing;         /* an index batch is queued (module_defer) */
    struct hmap prefs;     /* owner -> struct mam_prefs, for accounts with sessions */
    struct buf xml; /* a message as archived, reused: the store copies what it keeps */
    unsigned long long writes; /* messages archived, for /metrics */
};

/* A query waiting for the store (mam_query.c); owned by the module until done. */
struct mam_pending {
    struct mam_pending *next, **prevp;
    struct mam *m;
    struct stanza *iq; /* the request (a reference) */
    char *full;        /* the querying session's full JID */
    char *owner;       /* whose archive: the querier's own, or a room's */
    const char *queryid; /* in the request's arena, NULL: none */
    bool flip;
    size_t n_ids;      /* the ids form: how many distinct ids were asked */
};

/* Microseconds since the epoch. */
long long mam_now_us(void);

/* Archives per the owner's preferences and the [archive] default: may peer's messages go
 * to owner's archive? */
bool mam_prefs_allow(struct mam *m, const char *owner, const char *peer);

/* The preferences of accounts with sessions, in memory (mam_prefs_cache.c): open and close
 * count owner's sessions; reload after a change; cached fills *mode and *rule (-1 none,
 * 0 never, 1 always) and returns true when owner's are in memory. */
void mam_prefs_open(struct mam *m, const char *owner);
void mam_prefs_close(struct mam *m, const char *owner);
void mam_prefs_reload(struct mam *m, const char *owner);
bool mam_prefs_cached(struct mam *m, const char *owner, const char *peer,
                      enum archive_mode *mode, int *rule);
void mam_prefs_free_all(struct mam *m);

/* The route handlers (mam_query.c, mam_prefs.c). */
int mam_query_set(struct route_ctx *rc, struct stanza *st, const struct xel *q,
                  const char *owner);
int mam_query_form(struct route_ctx *rc, struct stanza *st);
int mam_metadata(struct route_ctx *rc, struct stanza *st, const char *owner);
int mam_prefs_get(struct route_ctx *rc, struct stanza *st);
int mam_prefs_set(struct route_ctx *rc, struct stanza *st, const struct xel *p);
/* A request waiting for the store, linked into the module's list (mam_query.c): the request
 * is referenced and the querying session remembered by its full JID. */
struct mam_pending *mam_pending_new(struct route_ctx *rc, struct stanza *st,
                                    const char *owner);
void mam_pending_free(struct mam_pending *p);
/* Drops the requests still waiting (module fini: the store drops their callbacks). */
void mam_pending_free_all(struct mam *m);

/* The message hooks (mam_stamp.c). */
void mam_message_prepare(void *state, struct message_event *ev);
void mam_message_done(void *state, const struct message_event *ev);

/* Runs one purge batch now and queues the next while old messages remain (mam.c). */
void mam_purge_maybe(struct mam *m);
/* Counts one append; enough of them queue a full-text index batch (mam.c). */
void mam_index_note(struct mam *m);

#endif
