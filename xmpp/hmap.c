/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map with linear probing, tombstones and a per-map random seed. */
#include "hmap.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define HMAP_MIN_CAP 16

void hmap_init(struct hmap *m)
{
    memset(m, 0, sizeof(*m));
    RAND_bytes((unsigned char *)&m->seed, sizeof(m->seed));
}

void hmap_fini(struct hmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->used = m->tombs = 0;
}

/* FNV-1a over the key, seeded so that collisions cannot be planned from outside. */
static uint32_t hash_key(const struct hmap *m, const char *key)
{
    uint64_t h = 1469598103934665603ull ^ m->seed;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

static struct hmap_slot *find(const struct hmap *m, const char *key, uint32_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct hmap_slot *s = &m->slots[i];
        if (!s->key && !s->tomb)
            return NULL;
        if (s->key && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void grow(struct hmap *m)
{
    struct hmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap ? (m->used * 4 >= old_cap ? old_cap * 2 : old_cap) : HMAP_MIN_CAP;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    m->used = m->tombs = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            hmap_put(m, old[i].key, old[i].value);
    free(old);
}

void *hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_slot *s = find(m, key, hash_key(m, key));
    return s ? s->value : NULL;
}

void *hmap_put(struct hmap *m, const char *key, void *value)
{
    if ((m->used + m->tombs + 1) * 4 > m->cap * 3)
        grow(m);
    uint32_t h = hash_key(m, key);
    struct hmap_slot *s = find(m, key, h);
    if (s) {
        void *prev = s->value;
        s->key = key;
        s->value = value;
        return prev;
    }
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].tomb)
        m->tombs--;
    m->slots[i] = (struct hmap_slot){ .key = key, .value = value, .hash = h };
    m->used++;
    return NULL;
}

void *hmap_del(struct hmap *m, const char *key)
{
    struct hmap_slot *s = find(m, key, hash_key(m, key));
    if (!s)
        return NULL;
    void *prev = s->value;
    *s = (struct hmap_slot){ .tomb = 1 };
    m->used--;
    m->tombs++;
    return prev;
}

void hmap_each(const struct hmap *m, void (*fn)(void *ctx, const char *key, void *value),
               void *ctx)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            fn(ctx, m->slots[i].key, m->slots[i].value);
}
