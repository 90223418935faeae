/* SPDX-License-Identifier: MIT */
/* Per-key log limiter: at most one line per key per interval, the rest only counted. */
#ifndef PL_LOGLIMIT_H
#define PL_LOGLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loglimit;

/* At most one line per key every interval_ms; at most max_keys keys tracked. Owned. */
struct loglimit *loglimit_new(uint64_t interval_ms, size_t max_keys);
void loglimit_free(struct loglimit *l);

/* An event worth a log line happened for key at now_ms (monotonic). Returns true when the
 * caller logs it now, with *held set to the events of key held back since its previous line
 * (say so in the line); false when this one is held back and counted. A key whose interval
 * has passed may be forgotten, count included, to make room (a full table is walked at most
 * once a second when a walk finds nothing); with no room, a new key's events are held back
 * uncounted, so a flood from many keys still writes boundedly. */
bool loglimit_pass(struct loglimit *l, const char *key, uint64_t now_ms, unsigned long *held);
/* Forgets keys whose interval has passed (a batch per call; call it periodically), first
 * calling emit for each that held events back, so a flood that stops is still summed up. */
void loglimit_flush(struct loglimit *l, uint64_t now_ms,
                    void (*emit)(void *ctx, const char *key, unsigned long held), void *ctx);
/* Keys tracked now. */
size_t loglimit_size(const struct loglimit *l);

#endif
