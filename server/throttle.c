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

/* Keeps the table bounded: under a flood of distinct keys, forget them all and start over. */
static void make_room(struct throttle *t)
{
    if (t->keys.used < THROTTLE_MAX_KEYS)
        return;
    hmap_each(&t->keys, free_bucket, NULL);
    hmap_fini(&t->keys);
    hmap_init(&t->keys);
}

void throttle_fail(struct throttle *t, const char *key)
{
    double now = now_s();
    struct bucket *b = hmap_get(&t->keys, key);
    if (!b) {
        make_room(t);
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
