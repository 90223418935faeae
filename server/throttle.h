/* SPDX-License-Identifier: MIT */
/* Failed-login throttling: a token bucket per account and per IP address. */
#ifndef PL_THROTTLE_H
#define PL_THROTTLE_H

#include <stdbool.h>

struct throttle;

/* Allows per_minute failures per key per minute (bursts up to per_minute). Owned. */
struct throttle *throttle_new(long per_minute);
void throttle_free(struct throttle *t);
/* May this key try again now? */
bool throttle_allowed(struct throttle *t, const char *key);
/* Records a failure for key. */
void throttle_fail(struct throttle *t, const char *key);

#endif
