/* SPDX-License-Identifier: MIT */
/* A rate limit for one repeated log line: one line per interval, the rest only counted. */
#ifndef PL_LOG_GATE_H
#define PL_LOG_GATE_H

#include <stdbool.h>
#include <stdint.h>

/* Zeroed storage is a valid gate that lets the next line through. */
struct log_gate {
    uint64_t next_ms;  /* monotonic ms before which lines are only counted */
    unsigned skipped;  /* lines held back since the last one let through */
};

/* Returns true when a line may be written at now_ms (then *skipped is how many were held
 * back before it, and the gate closes for interval_ms); false when it is only counted. */
bool log_gate_pass(struct log_gate *g, uint64_t now_ms, unsigned interval_ms,
                   unsigned *skipped);

#endif
