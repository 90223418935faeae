/* SPDX-License-Identifier: MIT */
/* SCRAM client key cache: ClientKey/ServerKey per (hash, user, salt, iterations), in a file. */
#ifndef PB_KEYCACHE_H
#define PB_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "scram.h"

/* What a client needs to answer a SCRAM challenge without running PBKDF2 again. */
struct client_keys {
    unsigned char client_key[SCRAM_KEY_MAX];
    unsigned char server_key[SCRAM_KEY_MAX];
};

struct keycache;

/*
 * Opens the cache: loads path when it exists, and appends new entries to it (mode 0600, its
 * folder 0700 when created; a symlink is refused). Damaged lines are skipped: they only cost
 * a PBKDF2 run. path NULL keeps the cache in memory only. Returns an owned cache; never NULL
 * (a file that cannot be used is reported on stderr and the cache stays in memory).
 */
struct keycache *keycache_open(const char *path);
void keycache_close(struct keycache *kc);
/*
 * Fills out for this account, running PBKDF2 only on a miss. The password takes part in the
 * key, so a changed password never reuses stale keys. Returns PL_OK, or PL_EINVAL/PL_EIO.
 */
int keycache_get(struct keycache *kc, enum scram_hash h, const char *user, const char *password,
                 const unsigned char *salt, size_t salt_len, unsigned iterations,
                 struct client_keys *out);
/* Lookups answered from the cache and PBKDF2 runs so far. */
void keycache_stats(const struct keycache *kc, uint64_t *hits, uint64_t *misses);
/* The default file: $XDG_CACHE_HOME or ~/.cache, else /tmp. Returns an owned string. */
char *keycache_default_path(void);

#endif
