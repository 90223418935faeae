/* SPDX-License-Identifier: MIT */
/* Open-loop rate control: how many sends are due now to hold a target rate, and stepped load. */
#ifndef PB_RATE_H
#define PB_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Paces sends at per_second on a monotonic microsecond clock. Credit accrues continuously;
 * a stalled caller catches up by at most max_burst sends so that a pause never turns into a
 * flood (the missed sends are counted in `behind` instead). Caller's storage.
 * The cap applies to every rate_due call, so max_burst must exceed the sends due in one
 * ordinary tick of the caller (0 sends nothing and counts every due send as behind).
 * A negative, NaN or infinite rate counts as 0; a clock that steps back earns no credit.
 */
struct rate {
    double per_second;
    double credit;
    uint64_t last_us;
    unsigned max_burst;
    uint64_t behind; /* sends dropped because the caller could not keep up */
};

void rate_init(struct rate *r, double per_second, unsigned max_burst, uint64_t now_us);
/* Changes the target rate from now on (credit so far is kept). */
void rate_set(struct rate *r, double per_second, uint64_t now_us);
/* Returns how many sends are due at now_us and consumes them. */
unsigned rate_due(struct rate *r, uint64_t now_us);

/* Stepped load: rates[i] holds for step_us, one step after another. */
struct steps {
    const double *rates;
    size_t n;
    uint64_t step_us;
    uint64_t start_us;
};

/* The step index at now_us (0 before start_us), or n once every step has passed or step_us is 0. */
size_t steps_index(const struct steps *s, uint64_t now_us);
/*
 * Parses "1000,5000,20000" (non-negative finite numbers in strtod syntax such as "1e3", spaces
 * around them allowed) into an array the caller frees; returns its length. Returns 0 and sets
 * *rates to NULL when text is NULL or malformed (empty, an empty field, a negative, junk).
 */
size_t steps_parse(const char *text, double **rates);

#endif
