/* SPDX-License-Identifier: MIT */
/* Live connections per source: one small entry per address that has connections, so every
 * accept, authentication and close costs one hash lookup. */
#include "sources.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

struct source_count {
    unsigned all;
    unsigned unauth;
    char key[]; /* the map borrows it */
};

void sources_init(struct sources *t) { hmap_init(&t->by_key); }

static void free_entry(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    free(value);
}

void sources_fini(struct sources *t)
{
    hmap_each(&t->by_key, free_entry, NULL);
    hmap_fini(&t->by_key);
}

enum sources_verdict sources_admit(const struct sources *t, const char *key, long max_all,
                                   long max_unauth)
{
    const struct source_count *e = hmap_get(&t->by_key, key);
    if (!e)
        return SOURCES_OK;
    if ((long)e->all >= max_all)
        return SOURCES_FULL;
    if ((long)e->unauth >= max_unauth)
        return SOURCES_UNAUTH_FULL;
    return SOURCES_OK;
}

void sources_add(struct sources *t, const char *key)
{
    struct source_count *e = hmap_get(&t->by_key, key);
    if (!e) {
        size_t n = strlen(key) + 1;
        e = xcalloc(1, sizeof(*e) + n);
        memcpy(e->key, key, n);
        hmap_put(&t->by_key, e->key, e);
    }
    e->all++;
    e->unauth++;
}

void sources_authenticated(struct sources *t, const char *key)
{
    struct source_count *e = hmap_get(&t->by_key, key);
    if (e && e->unauth)
        e->unauth--;
}

void sources_remove(struct sources *t, const char *key, bool unauthenticated)
{
    struct source_count *e = hmap_get(&t->by_key, key);
    if (!e)
        return;
    if (unauthenticated && e->unauth)
        e->unauth--;
    /* Entries go at zero: a scan from many addresses leaves nothing behind. */
    if (--e->all == 0) {
        hmap_del(&t->by_key, e->key);
        free(e);
    }
}

void sources_counts(const struct sources *t, const char *key, unsigned *all, unsigned *unauth)
{
    const struct source_count *e = hmap_get(&t->by_key, key);
    *all = e ? e->all : 0;
    *unauth = e ? e->unauth : 0;
}
