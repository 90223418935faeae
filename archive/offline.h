/* SPDX-License-Identifier: MIT */
/* Offline storage (XEP-0160): what the module's files share. */
#ifndef PL_OFFLINE_H
#define PL_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "module.h"

struct offline_flush;

/* The module's state (archive/offline.c). */
struct offline {
    struct server *srv;
    long max_messages;             /* per account; past it a message is refused */
    int slot;                      /* per session: the flush to it while one runs */
    struct offline_flush *flushes; /* every flush not yet freed, so that fini frees them */
    struct buf scratch;            /* a message's stored form while it is written */
    unsigned long long writes;     /* messages kept, for /metrics */
};

/* Keeps st for owner, stamped now. check_quota: refuse (PL_ELIMIT) when owner has
 * max_messages already. PL_OK also when owner has it already (same stanza-id); PL_EIO. The
 * write joins the loop turn's batch, committed at the turn's end. */
int offline_store(struct offline *o, const char *owner, const struct stanza *st,
                  bool check_quota);

/* Flushes (archive/offline_flush.c). start: sess became available; its account's stored
 * messages go to it in order, in slices, and are deleted once it has them. hold: the output
 * gate that keeps live messages to sess until the stored ones have gone. end: sess is gone;
 * held messages are kept for the next login. free_all: at fini. */
void offline_flush_start(struct offline *o, struct session *sess);
bool offline_flush_hold(struct offline *o, struct session *sess, const struct stanza *st);
void offline_flush_end(struct offline *o, struct session *sess);
void offline_flush_free_all(struct offline *o);

/* What to do with a message for an account that has no available resource. */
enum offline_verdict {
    OFFLINE_STORE, /* keep it for the next login */
    OFFLINE_DROP,  /* a chat state alone: worthless later, dropped without an error */
    OFFLINE_SKIP,  /* not ours (headline, groupchat, error, <no-store/>): the usual rules apply */
};

/* Decides for st (a message) per XEP-0160, XEP-0085 and XEP-0334. */
enum offline_verdict offline_classify(const struct stanza *st);
/* The id of st's <stanza-id/> given by owner (borrowed from st), NULL when it has none. */
const char *offline_stanza_id(const struct stanza *st, const char *owner);
/* Appends st to out as stored: with a XEP-0203 <delay/> from domain, stamped when (seconds
 * since the epoch). false when when cannot be written as a date (nothing appended then). */
bool offline_serialize(const struct stanza *st, const char *domain, long long when,
                       struct buf *out);
/* Does st end with the <delay/> offline_serialize gives, i.e. was it handed over from the
 * store? */
bool offline_from_store(const struct stanza *st, const char *domain);
/* Parses one stored stanza (xml, len bytes) back into a tree (owned), NULL when it is not one
 * well-formed jabber:client stanza. */
struct stanza *offline_parse(const char *xml, size_t len);

#endif
