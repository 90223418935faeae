/* SPDX-License-Identifier: MIT */
/* XEP-0198 stream management state of one session: counters and the unacknowledged stanzas,
 * kept as serialized bytes for retransmission (sans-IO). */
#ifndef PL_SM_H
#define PL_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SM_ID_LEN 32 /* hex characters of a resumption id */

struct sm {
    char id[SM_ID_LEN + 1]; /* "" when not resumable */
    unsigned max_s;         /* resumption window granted, seconds */
    uint32_t h_in;          /* stanzas received from the client */
    uint32_t h_committed;   /* of those, handled and committed: what <a/> and <resumed/> say */
    uint32_t h_out;         /* stanzas sent to the client */
    uint32_t acked;         /* the client's last h: h_out - acked are unacknowledged */
    uint32_t since_request; /* stanzas sent since our last <r/> */
    bool request_pending;   /* our <r/> waits for its <a/> */
    uint64_t request_ms;    /* when it was sent */
    struct buf bytes;       /* unacknowledged stanzas, oldest first, from head */
    size_t head;
    uint32_t *lens;         /* their sizes, a ring of cap entries from first */
    size_t first, cap;
};

/* Returns owned state; id NULL or "" for a session that cannot be resumed. */
struct sm *sm_new(const char *id, unsigned max_s);
void sm_free(struct sm *sm);

/* One stanza went to the client (n may be 0 for one that cannot be sent again). */
void sm_sent(struct sm *sm, const void *bytes, size_t n);
/* The client acknowledged h stanzas: PL_OK, or PL_EINVAL when h counts stanzas never sent
 * (nothing changes then). Counters wrap at 2^32. */
int sm_acked(struct sm *sm, uint32_t h);
/* Stanzas sent and not yet acknowledged, and the bytes they hold. */
uint32_t sm_unacked(const struct sm *sm);
size_t sm_unacked_bytes(const struct sm *sm);
/* Calls fn for each unacknowledged stanza, oldest first. */
void sm_each_unacked(const struct sm *sm, void (*fn)(void *ctx, const char *bytes, size_t n),
                     void *ctx);
/* Forgets every unacknowledged stanza (they have been handed elsewhere). */
void sm_clear(struct sm *sm);

#endif
