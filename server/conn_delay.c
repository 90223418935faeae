/* SPDX-License-Identifier: MIT */
/* Output coalescing: while the server is busy, what sessions are sent waits up to
 * coalesce_us before it goes to their sockets, so that one TLS record and one write carry
 * several stanzas (a write costs the sender several microseconds of kernel time, whatever
 * its size). */
#include <stdlib.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base.h"
#include "clock.h"
#include "conn_int.h"
#include "server.h"

#define COALESCE_TICK_US 100000
#define COALESCE_OFF_SHARE 70 /* percent of output_coalesce_cpu_pct */
/* One TLS record's worth: what a failed write leaves for libevent to retry it must hand
 * OpenSSL again in one piece, and libevent writes at most this much at a time. */
#define WRITE_THROUGH_MAX 16384

/* What waited goes out as one record and one write now. Handed to a TLS bufferevent on the
 * socket, it would wait for the loop to see the socket writable: two epoll_ctl calls and a
 * wakeup per write, a tenth of a busy room server's time. Only when nothing else is queued
 * (order) and in one record; otherwise, or if the write does not complete, libevent takes
 * the same bytes and retries them as OpenSSL requires. */
static void write_through(struct conn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    size_t n = evbuffer_get_length(c->delayed);

    if (ssl && n <= WRITE_THROUGH_MAX && evbuffer_get_length(out) == 0 &&
        SSL_is_init_finished(ssl)) {
        const void *bytes = evbuffer_pullup(c->delayed, -1);
        if (SSL_write(ssl, bytes, (int)n) == (int)n) {
            evbuffer_drain(c->delayed, n);
            return;
        }
        ERR_clear_error(); /* libevent meets the condition again when it retries */
    }
    evbuffer_add_buffer(out, c->delayed);
}

static void flush_all(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    for (size_t i = 0; i < srv->n_delayed; i++) {
        struct conn *c = srv->delayed[i];
        c->delay_index = 0;
        if (!c->reaped)
            write_through(c);
    }
    srv->n_delayed = 0;
}

void conn_delay_write(struct conn *c, const void *bytes, size_t n)
{
    struct server *srv = c->tp.srv;
    if (!c->delayed)
        c->delayed = evbuffer_new();
    evbuffer_add(c->delayed, bytes, n);
    if (c->delay_index)
        return;
    if (srv->n_delayed == srv->cap_delayed) {
        srv->cap_delayed = srv->cap_delayed ? 2 * srv->cap_delayed : 64;
        srv->delayed = xrealloc(srv->delayed, srv->cap_delayed * sizeof(*srv->delayed));
    }
    srv->delayed[srv->n_delayed++] = c;
    c->delay_index = srv->n_delayed; /* 1-based: 0 means not listed */
    if (!evtimer_pending(srv->delay_ev, NULL)) {
        struct timeval tv = { 0, srv->coalesce_us };
        evtimer_add(srv->delay_ev, &tv);
    }
}

size_t conn_delay_queued(const struct conn *c)
{
    return c->delayed ? evbuffer_get_length(c->delayed) : 0;
}

void conn_delay_flush(struct conn *c)
{
    if (c->delayed && evbuffer_get_length(c->delayed))
        evbuffer_add_buffer(bufferevent_get_output(c->bev), c->delayed);
}

/* The process's CPU time over the last tick decides: a busy server coalesces, an idle one
 * sends at the end of each loop turn (the window would only add latency). */
static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    uint64_t cpu_us = (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
    uint64_t now_us = clock_now_us();
    uint64_t busy = cpu_us - srv->coalesce_cpu_us, wall = now_us - srv->coalesce_wall_us;
    srv->coalesce_cpu_us = cpu_us;
    srv->coalesce_wall_us = now_us;
    long pct = wall ? (long)(busy * 100 / wall) : 0, on_at = srv->cfg.output_coalesce_cpu_pct;
    /* Off again only well below where it turned on: coalescing lowers the load it answers,
     * and a server switching every tick would have the latency of both and the cost of
     * neither. */
    bool on = srv->coalesce_us ? pct >= on_at * COALESCE_OFF_SHARE / 100 : pct >= on_at;
    srv->coalesce_us = on ? srv->cfg.output_coalesce_ms * 1000 : 0;
}

int conn_delay_start(struct server *srv)
{
    if (!srv->cfg.output_coalesce_ms)
        return PL_OK;
    srv->delay_ev = evtimer_new(srv->base, flush_all, srv);
    srv->coalesce_ev = event_new(srv->base, -1, EV_PERSIST, tick, srv);
    const struct timeval every = { 0, COALESCE_TICK_US };
    return srv->delay_ev && srv->coalesce_ev && event_add(srv->coalesce_ev, &every) == 0
               ? PL_OK
               : PL_EIO;
}

void conn_delay_forget(struct conn *c)
{
    struct server *srv = c->tp.srv;
    if (c->delay_index) {
        size_t i = c->delay_index - 1;
        srv->delayed[i] = srv->delayed[--srv->n_delayed];
        if (i < srv->n_delayed)
            srv->delayed[i]->delay_index = i + 1;
        c->delay_index = 0;
    }
    if (c->delayed)
        evbuffer_free(c->delayed);
    c->delayed = NULL;
}
