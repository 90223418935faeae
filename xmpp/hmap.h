/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map from NUL-terminated string keys (borrowed) to pointers. */
#ifndef PL_HMAP_H
#define PL_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
    const char *key; /* NULL: empty */
    void *value;
    uint32_t hash;
    uint8_t tomb;
};

/* Keys are borrowed: they must live as long as their entry (usually inside the value). */
struct hmap {
    struct hmap_slot *slots;
    size_t cap;  /* power of two */
    size_t used; /* live entries */
    size_t tombs;
    uint64_t seed;
};

void hmap_init(struct hmap *m);
void hmap_fini(struct hmap *m);
void *hmap_get(const struct hmap *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *hmap_put(struct hmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *hmap_del(struct hmap *m, const char *key);
/* Calls fn for each entry; fn must not modify the map. */
void hmap_each(const struct hmap *m, void (*fn)(void *ctx, const char *key, void *value),
               void *ctx);

#endif
