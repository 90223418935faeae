/* SPDX-License-Identifier: MIT */
/* The server's own figures for /metrics (Prometheus text format): counters bumped where
 * things happen, gauges read when scraped, and two time histograms. */
#ifndef PL_METRICS_H
#define PL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "stanza.h"

#define METRICS_BUCKETS 13

struct histogram {
    uint64_t counts[METRICS_BUCKETS + 1]; /* the last: above every bound */
    uint64_t n;
    double sum; /* seconds */
};

struct metrics {
    uint64_t logins[2]; /* failed, succeeded */
    uint64_t stanzas_in[4], stanzas_out[4]; /* by enum stanza_kind */
    uint64_t deliveries; /* messages handed to a live session */
    uint64_t http_requests;
    struct histogram commit; /* storage commits */
    struct histogram turn;   /* loop turns that read client input: wake-up to done */
    uint64_t turn_woke_us;   /* when this turn woke up; 0: no input read yet */
};

struct server;

void metrics_observe(struct histogram *h, uint64_t us);
/* A read of client input happens in this loop turn (cheap: the time libevent cached). */
void metrics_turn_busy(struct server *srv);
/* The loop turn is over: its time goes into the histogram. */
void metrics_turn_done(struct server *srv);
/* The whole answer to GET /metrics. */
void metrics_write(struct server *srv, struct buf *out);

static inline void metrics_stanza_in(struct metrics *m, enum stanza_kind k)
{
    m->stanzas_in[k]++;
}

static inline void metrics_stanza_out(struct metrics *m, enum stanza_kind k)
{
    m->stanzas_out[k]++;
}

#endif
