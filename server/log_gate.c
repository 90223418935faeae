/* SPDX-License-Identifier: MIT */
/* A rate limit for one repeated log line: a flood must not become a log flood. */
#include "log_gate.h"

bool log_gate_pass(struct log_gate *g, uint64_t now_ms, unsigned interval_ms,
                   unsigned *skipped)
{
    if (g->next_ms && now_ms < g->next_ms) {
        g->skipped++;
        return false;
    }
    *skipped = g->skipped;
    g->skipped = 0;
    g->next_ms = now_ms + interval_ms;
    return true;
}
