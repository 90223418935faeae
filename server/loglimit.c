/* SPDX-License-Identifier: MIT */
/* Per-key log limiter: remembers when each key last logged and how many lines it held back. */
#include "loglimit.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "hmap.h"

#define SWEEP_BATCH 64         /* expired keys forgotten per pass over a full table */
#define SWEEP_INTERVAL_MS 1000 /* after a pass that found nothing, the next waits this long */

struct entry {
    uint64_t logged_at; /* ms, monotonic */
    unsigned long held; /* events held back since logged_at */
    char key[];
};

struct loglimit {
    struct hmap keys;
    uint64_t interval_ms;
    size_t max_keys;
    uint64_t no_sweep_until; /* ms: a full table's last pass found nothing to forget */
};

struct loglimit *loglimit_new(uint64_t interval_ms, size_t max_keys)
{
    struct loglimit *l = xcalloc(1, sizeof(*l));
    hmap_init(&l->keys);
    l->interval_ms = interval_ms;
    l->max_keys = max_keys;
    return l;
}

static void free_entry(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    free(value);
}

void loglimit_free(struct loglimit *l)
{
    if (!l)
        return;
    hmap_each(&l->keys, free_entry, NULL);
    hmap_fini(&l->keys);
    free(l);
}

size_t loglimit_size(const struct loglimit *l) { return l->keys.used; }

static bool expired(const struct loglimit *l, const struct entry *e, uint64_t now)
{
    return now < e->logged_at || now - e->logged_at >= l->interval_ms;
}

struct sweep {
    const struct loglimit *l;
    uint64_t now;
    struct entry *old[SWEEP_BATCH];
    size_t n;
};

static void find_expired(void *ctx, const char *key, void *value)
{
    struct sweep *sw = ctx;
    (void)key;
    if (sw->n < ARRAY_LEN(sw->old) && expired(sw->l, value, sw->now))
        sw->old[sw->n++] = value;
}

/* A pass that found nothing is not repeated for SWEEP_INTERVAL_MS: during a flood from many
 * keys, each new one would otherwise walk the whole table. */
static bool make_room(struct loglimit *l, uint64_t now)
{
    if (l->keys.used < l->max_keys)
        return true;
    if (now < l->no_sweep_until)
        return false;
    struct sweep sw = { .l = l, .now = now };
    hmap_each(&l->keys, find_expired, &sw);
    for (size_t i = 0; i < sw.n; i++) {
        hmap_del(&l->keys, sw.old[i]->key);
        free(sw.old[i]);
    }
    if (sw.n == 0)
        l->no_sweep_until = now + SWEEP_INTERVAL_MS;
    return sw.n > 0;
}

void loglimit_flush(struct loglimit *l, uint64_t now_ms,
                    void (*emit)(void *ctx, const char *key, unsigned long held), void *ctx)
{
    struct sweep sw = { .l = l, .now = now_ms };
    hmap_each(&l->keys, find_expired, &sw);
    for (size_t i = 0; i < sw.n; i++) {
        if (sw.old[i]->held)
            emit(ctx, sw.old[i]->key, sw.old[i]->held);
        hmap_del(&l->keys, sw.old[i]->key);
        free(sw.old[i]);
    }
}

bool loglimit_pass(struct loglimit *l, const char *key, uint64_t now_ms, unsigned long *held)
{
    struct entry *e = hmap_get(&l->keys, key);
    *held = 0;
    if (!e) {
        if (!make_room(l, now_ms))
            return false;
        size_t n = strlen(key) + 1;
        e = xcalloc(1, sizeof(*e) + n);
        memcpy(e->key, key, n);
        e->logged_at = now_ms;
        hmap_put(&l->keys, e->key, e);
        return true;
    }
    if (!expired(l, e, now_ms)) {
        e->held++;
        return false;
    }
    *held = e->held;
    e->held = 0;
    e->logged_at = now_ms;
    return true;
}
