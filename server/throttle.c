/* SPDX-License-Identifier: MIT */
/* Token buckets keyed by account or IP; the table is bounded and forgets refilled keys. */
#include "throttle.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "hmap.h"

#define THROTTLE_MAX_KEYS 65536

struct bucket {
    double tokens;
    double at; /* seconds, monotonic */
    char key[];
};

struct throttle {
    struct hmap keys;
    double per_minute;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct throttle *throttle_new(long per_minute)
{
    struct throttle *t = xcalloc(1, sizeof(*t));
    hmap_init(&t->keys);
    t->per_minute = (double)per_minute;
    return t;
}

static void free_bucket(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    free(value);
}

void throttle_free(struct throttle *t)
{
    if (!t)
        return;
    hmap_each(&t->keys, free_bucket, NULL);
    hmap_fini(&t->keys);
    free(t);
}

static double refill(struct throttle *t, struct bucket *b, double now)
{
    b->tokens += (now - b->at) * t->per_minute / 60.0;
    if (b->tokens > t->per_minute)
        b->tokens = t->per_minute;
    b->at = now;
    return b->tokens;
}

bool throttle_allowed(struct throttle *t, const char *key)
{
    struct bucket *b = hmap_get(&t->keys, key);
    return !b || refill(t, b, now_s()) >= 1.0;
}

struct sweep {
    struct throttle *t;
    double now;
    struct bucket *full[64]; /* refilled buckets found in this pass */
    size_t n;
};

static void find_refilled(void *ctx, const char *key, void *value)
{
    struct sweep *sw = ctx;
    (void)key;
    if (sw->n < ARRAY_LEN(sw->full) && refill(sw->t, value, sw->now) >= sw->t->per_minute)
        sw->full[sw->n++] = value;
}

/* Keeps the table bounded by forgetting buckets that have refilled (they hold nothing).
 * Returns false when every bucket still counts: the new key then goes untracked, and the
 * per-address bucket, checked first, still limits who can fill the table. */
static bool make_room(struct throttle *t, double now)
{
    if (t->keys.used < THROTTLE_MAX_KEYS)
        return true;
    struct sweep sw = { .t = t, .now = now };
    hmap_each(&t->keys, find_refilled, &sw);
    for (size_t i = 0; i < sw.n; i++) {
        hmap_del(&t->keys, sw.full[i]->key);
        free(sw.full[i]);
    }
    return sw.n > 0;
}

void throttle_fail(struct throttle *t, const char *key)
{
    double now = now_s();
    struct bucket *b = hmap_get(&t->keys, key);
    if (!b) {
        if (!make_room(t, now))
            return;
        size_t n = strlen(key) + 1;
        b = xmalloc(sizeof(*b) + n);
        memcpy(b->key, key, n);
        b->tokens = t->per_minute;
        b->at = now;
        hmap_put(&t->keys, b->key, b);
    }
    refill(t, b, now);
    b->tokens -= 1.0;
}
