/* SPDX-License-Identifier: MIT */
/* /metrics: the Prometheus text exposition format 0.0.4, written from the server's counters,
 * its tables and the modules' own figures. */
#include "metrics.h"

#include <event2/event.h>
#include <inttypes.h>
#include <string.h>

#include "base.h"
#include "module.h"
#include "server.h"
#include "transport.h"

/* Seconds: from a tenth of a millisecond to a second, as a loop turn or a commit may take. */
static const double bounds[METRICS_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                0.005,  0.01,    0.025,  0.05,  0.1,
                                                0.25,   0.5,     1.0 };

static const char *const kinds[4] = { "other", "message", "presence", "iq" };

void metrics_observe(struct histogram *h, uint64_t us)
{
    double s = (double)us / 1e6;
    size_t i = 0;
    while (i < METRICS_BUCKETS && s > bounds[i])
        i++;
    h->counts[i]++;
    h->n++;
    h->sum += s;
}

void metrics_turn_busy(struct server *srv)
{
    if (srv->metrics.turn_woke_us)
        return;
    struct timeval tv; /* the time libevent took when the loop woke: no clock read */
    if (event_base_gettimeofday_cached(srv->base, &tv) == 0)
        srv->metrics.turn_woke_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void metrics_turn_done(struct server *srv)
{
    uint64_t woke = srv->metrics.turn_woke_us;
    if (!woke)
        return;
    srv->metrics.turn_woke_us = 0;
    uint64_t now = (uint64_t)module_wall_us();
    metrics_observe(&srv->metrics.turn, now > woke ? now - woke : 0);
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_histogram(struct buf *out, const char *name, const char *help,
                            const struct histogram *h)
{
    family(out, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->counts[i];
        buf_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i], cum);
    }
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->n);
    buf_printf(out, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, h->sum, name, h->n);
}

static void write_by_kind(struct buf *out, const char *name, const char *help,
                          const uint64_t *v)
{
    family(out, name, "counter", help);
    for (size_t k = 0; k < 4; k++)
        buf_printf(out, "%s{kind=\"%s\"} %" PRIu64 "\n", name, kinds[k], v[k]);
}

struct by_transport {
    uint64_t tcp, websocket, bosh, detached;
};

static void count_session(void *ctx, const char *key, void *value)
{
    struct by_transport *n = ctx;
    const struct session *s = value;
    (void)key;
    const char *kind = s->tp ? s->tp->kind : NULL;
    if (!kind)
        n->detached++;
    else if (strcmp(kind, "websocket") == 0)
        n->websocket++;
    else if (strcmp(kind, "bosh") == 0)
        n->bosh++;
    else
        n->tcp++;
}

static void write_sessions(struct server *srv, struct buf *out)
{
    struct by_transport n = { 0 };
    hmap_each(&srv->sessions.by_full, count_session, &n);
    family(out, "parley_sessions", "gauge", "Bound resources by transport (detached: waiting "
                                            "for stream management resumption).");
    buf_printf(out, "parley_sessions{transport=\"tcp\"} %" PRIu64 "\n", n.tcp);
    buf_printf(out, "parley_sessions{transport=\"websocket\"} %" PRIu64 "\n", n.websocket);
    buf_printf(out, "parley_sessions{transport=\"bosh\"} %" PRIu64 "\n", n.bosh);
    buf_printf(out, "parley_sessions{transport=\"detached\"} %" PRIu64 "\n", n.detached);
    family(out, "parley_connections", "gauge", "Open client and HTTP connections.");
    buf_printf(out, "parley_connections %zu\n", srv->n_conns);
}

static void write_counters(struct server *srv, struct buf *out)
{
    const struct metrics *m = &srv->metrics;
    family(out, "parley_logins_total", "counter", "Password checks by result.");
    buf_printf(out, "parley_logins_total{result=\"success\"} %" PRIu64 "\n", m->logins[1]);
    buf_printf(out, "parley_logins_total{result=\"failure\"} %" PRIu64 "\n", m->logins[0]);
    write_by_kind(out, "parley_stanzas_in_total", "Stanzas received from clients.",
                  m->stanzas_in);
    write_by_kind(out, "parley_stanzas_out_total", "Stanzas sent to sessions.",
                  m->stanzas_out);
    family(out, "parley_deliveries_total", "counter",
           "Messages handed to a live session of their recipient.");
    buf_printf(out, "parley_deliveries_total %" PRIu64 "\n", m->deliveries);
    family(out, "parley_http_requests_total", "counter", "Requests on the web front.");
    buf_printf(out, "parley_http_requests_total %" PRIu64 "\n", m->http_requests);
}

void metrics_write(struct server *srv, struct buf *out)
{
    write_sessions(srv, out);
    write_counters(srv, out);
    write_histogram(out, "parley_storage_commit_seconds", "Time of each storage commit.",
                    &srv->metrics.commit);
    write_histogram(out, "parley_loop_turn_seconds",
                    "Loop turns that read client input, from waking up to done.",
                    &srv->metrics.turn);
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->metrics && srv->mod_state[i])
            modules[i]->metrics(srv->mod_state[i], out);
}
