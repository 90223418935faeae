/* SPDX-License-Identifier: MIT */
/* A BOSH session's output queue (cut only where the glue's pieces end) and its response cache. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "bosh_int.h"

/* Storage an emptied queue or cache entry may keep: enough for a few stanzas without a malloc,
 * small enough that idle sessions stay small. */
#define KEEP_BYTES 4096
#define KEEP_CUTS 64

void bosh_queue_init(struct bosh_queue *q)
{
    memset(q, 0, sizeof(*q));
    buf_init(&q->bytes);
}

void bosh_queue_fini(struct bosh_queue *q)
{
    buf_fini(&q->bytes);
    free(q->cuts);
    bosh_queue_init(q);
}

size_t bosh_queue_len(const struct bosh_queue *q)
{
    return q->bytes.len - q->head;
}

size_t bosh_queue_memory(const struct bosh_queue *q)
{
    return q->bytes.cap + q->cap * sizeof(*q->cuts);
}

/* Taken bytes stay in place until the next push, which moves what is left to the front once
 * the taken part is the larger: each byte moves at most once on average. */
static void compact(struct bosh_queue *q)
{
    if (q->head == q->bytes.len) {
        buf_reset(&q->bytes);
        buf_shrink(&q->bytes, KEEP_BYTES);
        q->head = q->first = q->n = 0;
        if (q->cap > KEEP_CUTS) {
            free(q->cuts);
            q->cuts = NULL;
            q->cap = 0;
        }
        return;
    }
    if (q->head < bosh_queue_len(q))
        return;
    size_t left = bosh_queue_len(q);
    memmove(q->bytes.data, q->bytes.data + q->head, left + 1);
    q->bytes.len = left;
    for (size_t i = q->first; i < q->n; i++)
        q->cuts[i - q->first] = q->cuts[i] - q->head;
    q->n -= q->first;
    q->first = 0;
    q->head = 0;
}

void bosh_queue_push(struct bosh_queue *q, const char *bytes, size_t n)
{
    if (n == 0)
        return;
    compact(q);
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 16;
        q->cuts = xrealloc(q->cuts, q->cap * sizeof(*q->cuts));
    }
    buf_append(&q->bytes, bytes, n);
    q->cuts[q->n++] = q->bytes.len;
}

size_t bosh_queue_take(struct bosh_queue *q, size_t max, const char **bytes)
{
    if (q->first == q->n)
        return 0;
    size_t end = q->cuts[q->first++];
    while (q->first < q->n && q->cuts[q->first] - q->head <= max)
        end = q->cuts[q->first++];
    *bytes = q->bytes.data + q->head;
    size_t n = end - q->head;
    q->head = end;
    return n;
}

void bosh_queue_settle(struct bosh_queue *q)
{
    compact(q);
}

void bosh_cache_store(struct bosh_session *s, uint64_t rid)
{
    struct bosh_cached *victim = &s->cache[0];
    for (unsigned i = 0; i < s->p.requests; i++) {
        struct bosh_cached *c = &s->cache[i];
        if (!c->used) {
            victim = c;
            break;
        }
        if (c->rid < victim->rid)
            victim = c;
    }
    /* Swapped, not copied: the evicted response's storage writes the next one. */
    struct buf old = victim->body;
    victim->body = s->body;
    victim->rid = rid;
    victim->used = true;
    s->body = old;
    buf_reset(&s->body);
}

const struct buf *bosh_cache_find(const struct bosh_session *s, uint64_t rid)
{
    for (unsigned i = 0; i < s->p.requests; i++)
        if (s->cache[i].used && s->cache[i].rid == rid)
            return &s->cache[i].body;
    return NULL;
}

void bosh_cache_drop_acked(struct bosh_session *s, uint64_t rid)
{
    for (unsigned i = 0; i < s->p.requests; i++) {
        struct bosh_cached *c = &s->cache[i];
        if (c->used && c->rid <= rid) {
            c->used = false;
            buf_reset(&c->body);
            buf_shrink(&c->body, KEEP_BYTES);
        }
    }
}

void bosh_trim_idle(struct bosh_session *s)
{
    if (bosh_queue_len(&s->out) > 0)
        return;
    bosh_queue_fini(&s->out);
    buf_fini(&s->body);
    for (unsigned i = 0; i < s->p.requests; i++) {
        if (s->cache[i].used)
            buf_fit(&s->cache[i].body);
        else
            buf_fini(&s->cache[i].body);
    }
}
