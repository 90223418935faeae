/* SPDX-License-Identifier: MIT */
/* Connection I/O: bufferevents (plain, STARTTLS filter, direct TLS), limits and teardown; and
 * the one-line exchanges of the local control socket. */
#include "conn_int.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "c2s.h"
#include "clock.h"
#include "log.h"
#include "server.h"

#define LINGER_SECONDS 5
#define OUTPUT_POLL_MS 20
#define EAGER_TRIM_READS 16 /* a login and the client's first requests fit in this many */
/* What an idle TLS session holds, about (bench/RESULTS.md): counted as released when it goes. */
#define CONN_TYPICAL_BYTES (16 * 1024)

static void read_cb(struct bufferevent *bev, void *arg);
static void write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);
static void timer_cb(evutil_socket_t fd, short what, void *arg);

static void arm_timer(struct conn *c, enum conn_timer mode, long ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    c->timer_mode = mode;
    evtimer_add(c->timer, &tv);
}

static void arm_auth_timer(struct conn *c)
{
    uint64_t now = clock_now_ms();
    arm_timer(c, TIMER_AUTH, c->auth_deadline > now ? (long)(c->auth_deadline - now) : 0);
}

static bool describe_peer(struct conn *c, const struct sockaddr *sa)
{
    bool loopback = false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, c->tp.peer, sizeof(c->tp.peer));
        loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, c->tp.peer, sizeof(c->tp.peer));
        loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
        snprintf(c->tp.peer, sizeof(c->tp.peer), "unknown");
    }
    throttle_source_key(sa, c->tp.peer_key);
    return loopback;
}

static void setup_bev(struct conn *c)
{
    /* No write callback (only a reply in slices asks for one, conn_watch_output): draining is
     * watched by the resume and linger timers, which also see the socket buffer under a TLS
     * filter. */
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* The socket under libevent, TLS from the first byte when direct_tls. */
static bool open_bev(struct conn *c, int fd, bool direct_tls)
{
    struct server *srv = c->tp.srv;
    /* XMPP is request/response in small writes: Nagle plus delayed ACKs would add 40 ms. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int opts = BEV_OPT_CLOSE_ON_FREE;
    SSL *ssl = direct_tls ? SSL_new(srv->tls) : NULL;
    if (direct_tls && ssl)
        c->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                opts);
    else if (!direct_tls)
        c->bev = bufferevent_socket_new(srv->base, fd, opts);
    if (c->bev)
        return true;
    log_error(c->tp.tag, "cannot set up the connection from %s", c->tp.peer);
    SSL_free(ssl);
    close(fd);
    return false;
}

struct conn *conn_new(struct server *srv, int fd, const struct sockaddr *sa, bool direct_tls,
                      bool http)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    c->tp.ops = &conn_transport_ops;
    c->tp.srv = srv;
    c->tp.kind = "tcp";
    c->direct_tls = direct_tls;
    snprintf(c->tp.tag, sizeof(c->tp.tag), "c%lu", ++srv->next_conn_id);
    c->loopback = describe_peer(c, sa);
    if (!open_bev(c, fd, direct_tls)) {
        free(c);
        return NULL;
    }
    setup_bev(c);
    c->timer = evtimer_new(srv->base, timer_cb, c);
    c->web = http;
    if (http) {
        conn_http_start(c);
    } else {
        conn_auth_start(c);
        c->tp.stream = stream_new(&srv->stream_cfg, &c2s_hooks, &c->tp, direct_tls,
                                  conn_plaintext_ok(c));
    }
    c->tokens = (double)srv->cfg.max_stanzas_per_second;
    c->refill_ms = clock_now_ms();
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    sources_add(&srv->sources, c->tp.peer_key);
    c->unauthenticated = true;
    log_debug(c->tp.tag, "connection from %s%s%s", c->tp.peer, direct_tls ? " (TLS)" : "",
              http ? " (HTTP)" : "");
    return c;
}

void conn_auth_start(struct conn *c)
{
    struct server *srv = c->tp.srv;
    c->auth_deadline = clock_now_ms() + (uint64_t)srv->cfg.auth_timeout * 1000u;
    arm_timer(c, TIMER_AUTH, srv->cfg.auth_timeout * 1000L);
}

void conn_idle_timer(struct conn *c, long seconds)
{
    arm_timer(c, TIMER_IDLE, seconds * 1000L);
}

bool conn_plaintext_ok(const struct conn *c)
{
    const struct server_config *cfg = &c->tp.srv->cfg;
    bool plain_web = c->web && !c->direct_tls && cfg->http_loopback_login;
    return c->loopback && (cfg->allow_plaintext_loopback || plain_web);
}

bool conn_secure(const struct conn *c) { return c->direct_tls; }

void conn_free(struct conn *c)
{
    struct server *srv = c->tp.srv;
    c2s_session_free(&c->tp);
    conn_slices_cancel(c, false);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->tp.srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->tp.srv->n_conns--;
    sources_remove(&c->tp.srv->sources, c->tp.peer_key, c->unauthenticated);
    stream_free(c->tp.stream);
    conn_http_free(c);
    conn_ws_free(c);
    conn_delay_forget(c);
    if (c->bev)
        bufferevent_free(c->bev);
    event_free(c->timer);
    log_debug(c->tp.tag, "connection freed");
    free(c);
    /* Thousands of sessions that end together (a restart of a client fleet) leave their
     * TLS, parser and session memory scattered over the heap: count it, so the idle sweep
     * gives the pages back instead of keeping the peak for the life of the process. */
    srv->released_bytes += CONN_TYPICAL_BYTES;
}

/* Never free inside our own callbacks: the server frees at the end of the loop turn. */
static void reap(struct conn *c)
{
    if (c->reaped)
        return;
    conn_slices_cancel(c, false);
    c->reaped = true;
    c->tp.closing = true;
    c2s_connection_lost(&c->tp);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    evtimer_del(c->timer);
    server_reap(c->tp.srv, c);
}

void conn_drop(struct conn *c, const char *why)
{
    log_info(c->tp.tag, "dropping the connection: %s", why);
    reap(c);
}

/* Output waiting for the peer: after STARTTLS most of it sits, encrypted, in the socket
 * bufferevent under the TLS filter. */
size_t conn_queued(const struct conn *c)
{
    struct bufferevent *under = bufferevent_get_underlying(c->bev);
    return evbuffer_get_length(bufferevent_get_output(c->bev)) +
           (under ? evbuffer_get_length(bufferevent_get_output(under)) : 0) +
           conn_delay_queued(c);
}

void conn_write_raw(struct conn *c, const void *bytes, size_t n)
{
    c->out_total += n;
    conn_delay_flush(c); /* what waited goes first */
    evbuffer_add(bufferevent_get_output(c->bev), bytes, n);
}

/* libevent calls the write callback when the output falls to the low watermark. */
static void write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    if (c->on_output_low)
        c->on_output_low(c);
}

void conn_watch_output(struct conn *c, size_t low_watermark, void (*on_low)(struct conn *c))
{
    c->on_output_low = on_low;
    bufferevent_setcb(c->bev, read_cb, on_low ? write_cb : NULL, event_cb, c);
    bufferevent_setwatermark(c->bev, EV_WRITE, on_low ? low_watermark : 0, 0);
}

void conn_send_bytes(struct conn *c, const void *bytes, size_t n, bool bulk)
{
    if (c->reaped)
        return;
    if (conn_slices_hold(c, bytes, n)) {
        /* queued behind a reply written in slices */
    } else if (bulk && c->tp.srv->coalesce_us && c->tp.sess && !c->tp.closing) {
        c->out_total += n;
        conn_delay_write(c, bytes, n);
    } else {
        conn_write_raw(c, bytes, n);
    }
    size_t q = conn_backlog(c);
    if (q > (size_t)c->tp.srv->cfg.max_output_bytes) {
        log_warn(c->tp.tag, "peer is not reading: %zu bytes queued, dropping the connection", q);
        reap(c);
    }
}

void conn_close(struct conn *c, const char *condition, const char *text)
{
    if (c->tp.closing)
        return;
    c->tp.closing = true;
    /* The stream's last words cannot wait behind a reply that will never be finished. */
    conn_slices_cancel(c, true);
    conn_delay_flush(c);
    if (c->tp.stream) {
        if (condition)
            stream_error(c->tp.stream, condition, text);
        else
            stream_end(c->tp.stream);
        c->tp.ops->flush_stream(&c->tp);
        c2s_session_detach(&c->tp);
    }
    if (c->ws)
        conn_ws_closing(c);
    if (c->reaped)
        return;
    c->linger_until = clock_now_ms() + LINGER_SECONDS * 1000u;
    evtimer_del(c->timer);
    arm_timer(c, TIMER_LINGER, 0);
}

static bool drained(struct conn *c) { return conn_queued(c) == 0; }

/*
 * A closing connection first drains its output, then half-closes and discards input until
 * the peer closes too: closing with unread input would reset the connection and could
 * destroy the stream error the peer has not read yet.
 */
static void linger(struct conn *c)
{
    if (!c->shut && drained(c)) {
        shutdown(bufferevent_getfd(c->bev), SHUT_WR);
        c->shut = true;
    }
    uint64_t now = clock_now_ms();
    if (now >= c->linger_until) {
        log_debug(c->tp.tag, "closing: the peer neither reads nor closes");
        reap(c);
        return;
    }
    /* Draining is polled; once half-closed only the peer's EOF (event_cb) or the deadline
     * can end it, so sleep until the deadline. */
    arm_timer(c, TIMER_LINGER, c->shut ? (long)(c->linger_until - now) : OUTPUT_POLL_MS);
}

/* Hands the socket from the plaintext bufferevent to a TLS one. A TLS bufferevent on the
 * socket itself (rather than a filter stacked on the old one) saves a buffer layer, a copy
 * per record and the memory of a second bufferevent for the life of the session. */
static void start_tls(struct conn *c)
{
    c->tls_pending = false;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    /* <proceed/> must reach the peer in plaintext first; on a fresh socket it always fits.
     * (The old bufferevent keeps its copy and is freed below.) */
    size_t n = evbuffer_get_length(out);
    const unsigned char *bytes = evbuffer_pullup(out, (ev_ssize_t)n);
    bool sent = n == 0 || send(fd, bytes, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n;
    SSL *ssl = sent ? SSL_new(c->tp.srv->tls) : NULL;
    if (!ssl) {
        log_warn(c->tp.tag, "cannot start TLS");
        reap(c);
        return;
    }
    bufferevent_setfd(c->bev, -1); /* keep the socket open when the old bufferevent goes */
    bufferevent_free(c->bev);      /* pending input is dropped: nothing may precede TLS */
    c->bev = bufferevent_openssl_socket_new(c->tp.srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        log_warn(c->tp.tag, "cannot start TLS");
        close(fd);
        c->bev = bufferevent_socket_new(c->tp.srv->base, -1, 0); /* something to free later */
        reap(c);
        return;
    }
    setup_bev(c);
    stream_tls_started(c->tp.stream);
}

/* Token bucket on stanzas: an over-eager client is paused, not disconnected. */
static bool over_rate(struct conn *c)
{
    uint64_t now = clock_now_ms();
    double rate = (double)c->tp.srv->cfg.max_stanzas_per_second;
    c->tokens += rate * (double)(now - c->refill_ms) / 1000.0;
    if (c->tokens > rate)
        c->tokens = rate;
    c->refill_ms = now;
    return c->tokens < 0;
}

/* How long the tokens owed take to come back. */
static long owed_ms(const struct conn *c)
{
    return (long)(-c->tokens * 1000.0 / (double)c->tp.srv->cfg.max_stanzas_per_second) + 1;
}

static void pause_reading(struct conn *c, long resume_ms)
{
    c->paused = true;
    bufferevent_disable(c->bev, EV_READ);
    if (resume_ms > 0)
        arm_timer(c, TIMER_RESUME, resume_ms);
}

static void resume_reading(struct conn *c)
{
    if (!c->paused || c->tp.closing || conn_http_busy(c))
        return;
    c->paused = false;
    bufferevent_enable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        read_cb(c->bev, c);
}

void conn_pause(struct conn *c) { pause_reading(c, 0); }

/* From inside a callback of another connection's read, maybe this one's: what is buffered is
 * read at the next turn, not now. */
void conn_resume(struct conn *c)
{
    if (!c->paused || c->tp.closing || conn_http_busy(c))
        return;
    c->paused = false;
    bufferevent_enable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_input(c->bev)))
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static int read_stream(struct conn *c, const char *data, size_t n)
{
    int rc = stream_feed(c->tp.stream, data, n);
    c->tp.ops->flush_stream(&c->tp);
    return rc;
}

/* Feeds whatever input is buffered, one contiguous chunk at a time, until a limit stops us. */
static void read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->tp.closing) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    while (!c->tp.closing && !c->paused && !conn_http_busy(c) && evbuffer_get_length(in) > 0) {
        size_t n = evbuffer_get_contiguous_space(in), used = n;
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
        int rc = c->http ? conn_http_read(c, data, n, &used)
                 : c->ws ? conn_ws_read(c, data, n, &used)
                         : read_stream(c, data, n);
        evbuffer_drain(in, used);
        if (c->tls_pending && !c->reaped) {
            start_tls(c);
            return;
        }
        if (rc == PL_ECLOSED) {
            conn_close(c, NULL, NULL);
            return;
        }
        if (over_rate(c))
            pause_reading(c, owed_ms(c));
    }
    if (c->tp.closing)
        return;
    /* A client that does not read its own replies stops being read until it catches up. */
    if (!c->paused && conn_backlog(c) > (size_t)c->tp.srv->cfg.max_output_bytes / 2)
        pause_reading(c, OUTPUT_POLL_MS);
    /* While it logs in a connection gives its parser back after each read, so a login storm
     * does not leave thousands of parsers behind to fragment the heap. After that it keeps
     * the parser until a sweep finds it idle: a chatty session would otherwise rebuild one
     * per read. */
    c->reads++;
    if (c->login_reads < EAGER_TRIM_READS && c->tp.stream) {
        c->login_reads++;
        stream_trim(c->tp.stream);
    }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    if (what & BEV_EVENT_ERROR) {
        unsigned long err = bufferevent_get_openssl_error(c->bev);
        char msg[256] = "";
        if (err)
            ERR_error_string_n(err, msg, sizeof(msg));
        log_debug(c->tp.tag, "connection error %s", msg);
    } else if (what & BEV_EVENT_EOF) {
        log_debug(c->tp.tag, "peer closed the connection");
    } else {
        return;
    }
    reap(c);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd, (void)what;
    switch (c->timer_mode) {
    case TIMER_AUTH:
        if (stream_state(c->tp.stream) != STREAM_BOUND) {
            log_info(c->tp.tag, "no authenticated session after %lds",
                     c->tp.srv->cfg.auth_timeout);
            conn_close(c, "connection-timeout", NULL);
        }
        break;
    case TIMER_RESUME:
        if (conn_backlog(c) > (size_t)c->tp.srv->cfg.max_output_bytes / 4) {
            arm_timer(c, TIMER_RESUME, OUTPUT_POLL_MS); /* still behind on its output */
            break;
        }
        resume_reading(c);
        if (!c->tp.stream)
            conn_idle_timer(c, c->tp.srv->cfg.http_idle_timeout);
        else if (stream_state(c->tp.stream) != STREAM_BOUND)
            arm_auth_timer(c); /* the deadline stays where it was */
        break;
    case TIMER_LINGER:
        linger(c);
        break;
    case TIMER_IDLE:
        log_debug(c->tp.tag, "closing: no request for %lds", c->tp.srv->cfg.http_idle_timeout);
        conn_close(c, NULL, NULL);
        break;
    }
}

bool conn_trim_idle(struct conn *c)
{
    bool idle = c->reads == 0 && !c->tp.closing && c->tp.stream;
    bool released = idle && stream_trim(c->tp.stream);
    if (idle && c->ws)
        released |= conn_ws_trim(c);
    c->reads = 0;
    return released;
}

/* ---- one-line exchanges ---- */

struct conn_line {
    struct bufferevent *bev;
    const struct conn_line_ops *ops;
    void *arg;
};

/* libevent defers the free of a bufferevent past its own callback, so this is safe there. */
static void line_done(struct conn_line *l)
{
    l->ops->closed(l->arg, l);
    conn_line_free(l);
}

/* The answer is written: the exchange is over. */
static void line_written(struct bufferevent *bev, void *arg)
{
    (void)bev;
    line_done(arg);
}

static void line_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)what;
    line_done(arg);
}

static void line_read(struct bufferevent *bev, void *arg)
{
    struct conn_line *l = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char *line = evbuffer_readln(in, NULL, EVBUFFER_EOL_LF);
    if (!line && evbuffer_get_length(in) <= l->ops->max_line)
        return; /* the rest of the line is on its way */
    bufferevent_disable(bev, EV_READ);
    struct buf out;
    buf_init(&out);
    l->ops->answer(l->arg, line, &out);
    free(line);
    if (!out.len) {
        buf_fini(&out);
        line_done(l); /* nothing to write: no write callback would come */
        return;
    }
    evbuffer_add(bufferevent_get_output(bev), out.data, out.len);
    buf_fini(&out);
    bufferevent_setcb(bev, NULL, line_written, line_event, l);
}

struct conn_line *conn_line_new(struct server *srv, int fd, const struct conn_line_ops *ops,
                                void *arg)
{
    struct bufferevent *bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(fd);
        return NULL;
    }
    struct conn_line *l = xcalloc(1, sizeof(*l));
    *l = (struct conn_line){ bev, ops, arg };
    const struct timeval limit = { ops->timeout_s, 0 };
    bufferevent_set_timeouts(bev, &limit, &limit);
    bufferevent_setcb(bev, line_read, NULL, line_event, l);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return l;
}

void conn_line_free(struct conn_line *l)
{
    if (!l)
        return;
    bufferevent_free(l->bev);
    free(l);
}
