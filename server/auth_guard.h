/* SPDX-License-Identifier: MIT */
/* Login and registration throttling policy: which buckets an attempt is charged to. */
#ifndef PL_AUTH_GUARD_H
#define PL_AUTH_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "throttle.h"

struct auth_guard;

/* per_source: login attempts per minute from one source (throttle_source_key), whatever the
 * account; per_account: login attempts per minute from one source for one account, and
 * registrations per minute from one source. An attempt that succeeds is given back. Owned.
 * Every call takes now_ms, monotonic milliseconds (clock_now_ms). */
struct auth_guard *auth_guard_new(long per_source, long per_account);
void auth_guard_free(struct auth_guard *g);

/* May a login attempt from source go ahead: a whole token left for the source and, unless
 * bare is NULL, for the source with bare? Charges nothing. A refusal is logged under tag, at
 * most once a minute per source (later lines say how many were held back). */
bool auth_guard_allowed(struct auth_guard *g, const char *tag, const char *source,
                        const char *bare, uint64_t now_ms);
/* A password is about to be checked for bare (NULL: the name is unusable): charges one
 * attempt to the source and to the source with bare, both or neither. Returns false (logged
 * as above) when either has none left. */
bool auth_guard_charge(struct auth_guard *g, const char *tag, const char *source,
                       const char *bare, uint64_t now_ms);
/* The charged attempt succeeded: gives its tokens back. */
void auth_guard_refund(struct auth_guard *g, const char *source, const char *bare,
                       uint64_t now_ms);
/* Charges one registration attempt from source (every attempt costs a key derivation, so
 * success is charged too); false when none is left. */
bool auth_guard_register(struct auth_guard *g, const char *source, uint64_t now_ms);

/* Housekeeping, about once a second: logs how many refusals were held back from sources
 * whose minute has passed. */
void auth_guard_tick(struct auth_guard *g, uint64_t now_ms);

/* Size of a source-and-account key, NUL included: the source, '|', and the base64 SHA-256
 * of the bare JID, so a bucket costs the same however long the JID. */
#define AUTH_GUARD_KEY_LEN (THROTTLE_SOURCE_LEN + 45)

/* Writes into out the key of the bucket for source and bare. Two JIDs share a bucket only if
 * their digests collide, and then only within one source. */
void auth_guard_pair_key(const char *source, const char *bare, char out[AUTH_GUARD_KEY_LEN]);

#endif
