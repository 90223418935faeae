/* SPDX-License-Identifier: MIT */
/* XEP-0198 stream management state of one session: counters and the unacknowledged stanzas,
 * kept as serialized bytes for retransmission (sans-IO). */
#include "sm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define SM_FIRST_CAP 16
#define SM_KEEP_BYTES 4096

struct sm *sm_new(const char *id, unsigned max_s)
{
    struct sm *sm = xcalloc(1, sizeof(*sm));
    if (id)
        snprintf(sm->id, sizeof(sm->id), "%s", id);
    sm->max_s = max_s;
    buf_init(&sm->bytes);
    return sm;
}

void sm_free(struct sm *sm)
{
    if (!sm)
        return;
    buf_fini(&sm->bytes);
    free(sm->lens);
    free(sm);
}

uint32_t sm_unacked(const struct sm *sm) { return sm->h_out - sm->acked; }

size_t sm_unacked_bytes(const struct sm *sm) { return sm->bytes.len - sm->head; }

/* Doubles the ring of sizes, unrolled to start at 0. */
static void grow_lens(struct sm *sm)
{
    size_t n = sm_unacked(sm), cap = sm->cap ? sm->cap * 2 : SM_FIRST_CAP;
    uint32_t *lens = xmalloc(cap * sizeof(*lens));
    for (size_t i = 0; i < n; i++)
        lens[i] = sm->lens[(sm->first + i) % sm->cap];
    free(sm->lens);
    sm->lens = lens;
    sm->first = 0;
    sm->cap = cap;
}

void sm_sent(struct sm *sm, const void *bytes, size_t n)
{
    if (sm_unacked(sm) == sm->cap)
        grow_lens(sm);
    sm->lens[(sm->first + sm_unacked(sm)) % sm->cap] = (uint32_t)n;
    if (n)
        buf_append(&sm->bytes, bytes, n);
    sm->h_out++;
    sm->since_request++;
}

/* Drops the oldest k stanzas; the byte buffer moves down only once its dead head is at least
 * half of it, so acking costs no copy per stanza. */
static void drop_oldest(struct sm *sm, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        sm->head += sm->lens[sm->first];
        sm->first = (sm->first + 1) % sm->cap;
    }
    sm->acked += k;
    if (sm->head == sm->bytes.len) {
        buf_reset(&sm->bytes);
        buf_shrink(&sm->bytes, SM_KEEP_BYTES); /* a burst's buffer does not stay for life */
        sm->head = 0;
    } else if (sm->head * 2 >= sm->bytes.len) {
        memmove(sm->bytes.data, sm->bytes.data + sm->head, sm->bytes.len - sm->head);
        sm->bytes.len -= sm->head;
        sm->head = 0;
    }
}

int sm_acked(struct sm *sm, uint32_t h)
{
    uint32_t newly = h - sm->acked; /* wraps like the counters */
    if (newly > sm_unacked(sm))
        return PL_EINVAL;
    drop_oldest(sm, newly);
    sm->request_pending = false;
    return PL_OK;
}

void sm_each_unacked(const struct sm *sm, void (*fn)(void *ctx, const char *bytes, size_t n),
                     void *ctx)
{
    size_t off = sm->head;
    for (uint32_t i = 0; i < sm_unacked(sm); i++) {
        uint32_t n = sm->lens[(sm->first + i) % sm->cap];
        fn(ctx, sm->bytes.data + off, n);
        off += n;
    }
}

void sm_clear(struct sm *sm)
{
    sm->acked = sm->h_out;
    sm->first = 0;
    sm->head = 0;
    buf_reset(&sm->bytes);
}
