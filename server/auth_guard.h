/* SPDX-License-Identifier: MIT */
/* Login and registration throttling policy: which buckets an attempt is charged to. */
#ifndef PL_AUTH_GUARD_H
#define PL_AUTH_GUARD_H

#include <stdbool.h>

struct auth_guard;

/* per_source: failed logins per minute from one source (throttle_source_key), whatever the
 * account; per_account: failed logins per minute from one source for one account, and
 * registrations per minute from one source. Owned. */
struct auth_guard *auth_guard_new(long per_source, long per_account);
void auth_guard_free(struct auth_guard *g);

/* May source start a login at all? Charges nothing. A refusal is logged under tag, at most
 * once a minute per source (later lines say how many were held back). */
bool auth_guard_may_start(struct auth_guard *g, const char *tag, const char *source);
/* A password is about to be checked for bare (NULL: the name is unusable): charges one
 * attempt to the source and to the source with bare, both or neither. Returns false (logged
 * as above) when either has none left. */
bool auth_guard_charge(struct auth_guard *g, const char *tag, const char *source,
                       const char *bare);
/* The charged attempt succeeded: gives its tokens back. */
void auth_guard_refund(struct auth_guard *g, const char *source, const char *bare);
/* Charges one registration attempt from source (every attempt costs a key derivation, so
 * success is charged too); false when none is left. */
bool auth_guard_register(struct auth_guard *g, const char *source);

/* Housekeeping, about once a second: logs how many refusals were held back from sources
 * whose minute has passed. */
void auth_guard_tick(struct auth_guard *g);

#endif
