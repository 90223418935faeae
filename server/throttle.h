/* SPDX-License-Identifier: MIT */
/* Token buckets keyed by string (a source, a source and an account) with a bounded table. */
#ifndef PL_THROTTLE_H
#define PL_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct throttle;

/* Buckets of per_minute tokens refilling at per_minute per minute; at most max_keys keys are
 * tracked at once (keys whose bucket is full again are forgotten). Keys that find no room
 * share one more bucket of the same rate, the overflow bucket. Owned. */
struct throttle *throttle_new(long per_minute, size_t max_keys);
void throttle_free(struct throttle *t);

/* Does key's bucket (the overflow bucket for a key that finds no room) have a whole token at
 * now_ms (monotonic milliseconds, clock_now_ms)? Takes nothing. */
bool throttle_allowed(struct throttle *t, const char *key, uint64_t now_ms);
/* Takes one token from key's bucket. A bucket never goes below zero: with less than one token
 * left nothing is taken and false is returned. When the table is full of keys that still
 * count, a new key is charged to the overflow bucket, which refuses once empty like any. */
bool throttle_charge(struct throttle *t, const char *key, uint64_t now_ms);
/* Gives back one token charged to key; a bucket full again is forgotten (it holds nothing).
 * An untracked key's token goes back to the overflow bucket, which may have lent it. */
void throttle_refund(struct throttle *t, const char *key, uint64_t now_ms);
/* Keys tracked now. */
size_t throttle_size(const struct throttle *t);

/* Longest source key, NUL included (an IPv6 /64 prefix in text form fits). */
#define THROTTLE_SOURCE_LEN 64

/* Writes into out the key that counts sa as one source: an IPv4 address (also when mapped
 * into IPv6), or the /64 prefix of an IPv6 address, since one host usually owns a whole /64.
 * The same key serves login and registration throttling. */
void throttle_source_key(const struct sockaddr *sa, char out[THROTTLE_SOURCE_LEN]);

#endif
