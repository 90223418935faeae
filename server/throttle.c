/* SPDX-License-Identifier: MIT */
/* Token buckets keyed by string; the table is bounded and forgets refilled keys. */
#include "throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "hmap.h"

#define SWEEP_BATCH 64         /* refilled buckets forgotten per pass over a full table */
#define SWEEP_INTERVAL_MS 1000 /* after a pass that found nothing, the next waits this long */

struct bucket {
    double tokens;
    uint64_t at; /* ms, monotonic: when tokens was last brought up to date */
    char key[];
};

struct throttle {
    struct hmap keys;
    double per_minute;
    size_t max_keys;
    struct bucket *overflow; /* shared by the keys that find the table full */
    uint64_t no_sweep_until; /* ms: a full table's last pass found nothing to forget */
};

static struct bucket *bucket_new(const struct throttle *t, const char *key, uint64_t now)
{
    size_t n = strlen(key) + 1;
    struct bucket *b = xmalloc(sizeof(*b) + n);
    memcpy(b->key, key, n);
    b->tokens = t->per_minute;
    b->at = now;
    return b;
}

struct throttle *throttle_new(long per_minute, size_t max_keys)
{
    struct throttle *t = xcalloc(1, sizeof(*t));
    hmap_init(&t->keys);
    t->per_minute = (double)per_minute;
    t->max_keys = max_keys;
    t->overflow = bucket_new(t, "", 0);
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
    free(t->overflow);
    free(t);
}

size_t throttle_size(const struct throttle *t) { return t->keys.used; }

/* Brings b up to now; a clock that went backwards (it should not) refills nothing. */
static double refill(const struct throttle *t, struct bucket *b, uint64_t now)
{
    if (now <= b->at)
        return b->tokens;
    b->tokens += (double)(now - b->at) * t->per_minute / 60000.0;
    if (b->tokens > t->per_minute)
        b->tokens = t->per_minute;
    b->at = now;
    return b->tokens;
}

struct sweep {
    struct throttle *t;
    uint64_t now;
    struct bucket *full[SWEEP_BATCH]; /* refilled buckets found in this pass */
    size_t n;
};

static void find_refilled(void *ctx, const char *key, void *value)
{
    struct sweep *sw = ctx;
    (void)key;
    if (sw->n < ARRAY_LEN(sw->full) && refill(sw->t, value, sw->now) >= sw->t->per_minute)
        sw->full[sw->n++] = value;
}

/*
 * Keeps the table bounded by forgetting buckets that have refilled (they hold nothing).
 * Returns false when every bucket still counts: the new key then shares the overflow bucket.
 * Failing open would give whoever holds many sources (an IPv6 /48 is 65,536 /64s) no limit
 * at all; sharing one bucket lets them refuse only the other keys that find no room, until
 * buckets refill. A pass that found nothing is not repeated for SWEEP_INTERVAL_MS, or every
 * new key of a flood would walk the whole table.
 */
static bool make_room(struct throttle *t, uint64_t now)
{
    if (t->keys.used < t->max_keys)
        return true;
    if (now < t->no_sweep_until)
        return false;
    struct sweep sw = { .t = t, .now = now };
    hmap_each(&t->keys, find_refilled, &sw);
    for (size_t i = 0; i < sw.n; i++) {
        hmap_del(&t->keys, sw.full[i]->key);
        free(sw.full[i]);
    }
    if (sw.n == 0)
        t->no_sweep_until = now + SWEEP_INTERVAL_MS;
    return sw.n > 0;
}

/* key's bucket; when it has none, a new one (create) or NULL (a full bucket's answer would
 * do), or the overflow bucket when the table has no room. */
static struct bucket *bucket_for(struct throttle *t, const char *key, uint64_t now,
                                 bool create)
{
    struct bucket *b = hmap_get(&t->keys, key);
    if (b)
        return b;
    if (!make_room(t, now))
        return t->overflow;
    if (!create)
        return NULL;
    b = bucket_new(t, key, now);
    hmap_put(&t->keys, b->key, b);
    return b;
}

bool throttle_allowed(struct throttle *t, const char *key, uint64_t now_ms)
{
    struct bucket *b = bucket_for(t, key, now_ms, false);
    return !b || refill(t, b, now_ms) >= 1.0;
}

bool throttle_charge(struct throttle *t, const char *key, uint64_t now_ms)
{
    struct bucket *b = bucket_for(t, key, now_ms, true);
    if (refill(t, b, now_ms) < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

void throttle_refund(struct throttle *t, const char *key, uint64_t now_ms)
{
    struct bucket *b = hmap_get(&t->keys, key);
    if (!b)
        b = t->overflow; /* it may have lent the token; a bucket is capped, so at worst a
                          * forgotten key's refund fills it a little early */
    refill(t, b, now_ms);
    b->tokens += 1.0;
    if (b->tokens > t->per_minute)
        b->tokens = t->per_minute;
    if (b == t->overflow || b->tokens < t->per_minute)
        return;
    /* Full again, it holds nothing: every successful login ends here, and a login storm
     * must not leave a bucket per account behind. */
    hmap_del(&t->keys, b->key);
    free(b);
}

void throttle_source_key(const struct sockaddr *sa, char out[THROTTLE_SOURCE_LEN])
{
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  THROTTLE_SOURCE_LEN);
        return;
    }
    if (sa->sa_family != AF_INET6) {
        snprintf(out, THROTTLE_SOURCE_LEN, "unknown");
        return;
    }
    struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
        /* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: their /64 is everyone. */
        inet_ntop(AF_INET, a.s6_addr + 12, out, THROTTLE_SOURCE_LEN);
        return;
    }
    memset(a.s6_addr + 8, 0, 8);
    inet_ntop(AF_INET6, &a, out, THROTTLE_SOURCE_LEN);
}
