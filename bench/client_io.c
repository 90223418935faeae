/* SPDX-License-Identifier: MIT */
/* Client connections: sockets from the source pool, bufferevents, TLS, feeding the parser. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "base.h"
#include "engine.h"
#include "ns.h"

#define MAX_STANZA_BYTES (1u << 20)

static void read_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

static SSL_CTX *make_tls(const struct bench_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Loopback benchmark against self-signed test certificates: nothing to verify against. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    /* Idle sessions of a login storm give their record buffers back; the stepped scenarios
     * keep them, as reallocating per record would cost more than the memory. */
    bool stepped = o->scenario == SCEN_CHAT || o->scenario == SCEN_MUC || o->scenario == SCEN_MIXED;
    if (!stepped)
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* One read takes whatever has arrived, several records at once, rather than a record's
     * header and then its body (two reads a record). read_cb takes what libevent leaves in
     * OpenSSL's buffer (drain_tls). */
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

/* The stream's start and end: on TCP the stream element's tags (RFC 6120 §4.2, §4.4), over a
 * WebSocket <open/> and <close/> (RFC 7395 §3.4, §3.6), each a message of its own. */
static void make_header(struct engine *e)
{
    bool ws = e->o->transport == BTRANSPORT_WS;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, ws ? "<open xmlns='" NS_FRAMING "' to='"
                    : "<?xml version='1.0'?><stream:stream xmlns='" NS_CLIENT
                      "' xmlns:stream='" NS_STREAM "' to='");
    xml_escape(e->o->domain, strlen(e->o->domain), &b);
    buf_puts(&b, ws ? "' version='1.0'/>" : "' version='1.0'>");
    e->header_len = b.len < sizeof(e->header) ? b.len : 0;
    memcpy(e->header, b.data, e->header_len);
    buf_fini(&b);
    e->footer = ws ? "<close xmlns='" NS_FRAMING "'/>" : "</stream:stream>";
    e->xmlns = ws ? " xmlns='" NS_CLIENT "'" : "";
    snprintf(e->ws_host, sizeof(e->ws_host), "%s:%ld", e->o->domain, e->o->port);
}

static void make_clients(struct engine *e)
{
    e->n = (size_t)e->o->count;
    e->clients = xcalloc(e->n, sizeof(*e->clients));
    char name[256];
    for (size_t i = 0; i < e->n; i++) {
        struct client *c = &e->clients[i];
        c->eng = e;
        c->num = (unsigned)(e->o->first + (long)i);
        c->fd = -1;
        opts_user_name(e->o, c->num, name, sizeof(name));
        bool owner = i == 0 && e->o->mam && e->o->mam_user; /* the archive's owner */
        c->user = xstrdup(owner ? e->o->mam_user : name);
    }
}

static int open_keycache(struct engine *e)
{
    char *path = e->o->keycache ? xstrdup(e->o->keycache) : keycache_default_path();
    e->keys = keycache_open(path);
    free(path);
    return PL_OK;
}

int engine_init(struct engine *e, const struct bench_opts *o, const struct engine_hooks *h,
                void *ctx)
{
    memset(e, 0, sizeof(*e));
    e->o = o;
    e->hooks = *h;
    e->ctx = ctx;
    e->limits = (struct parser_limits){ MAX_STANZA_BYTES, 64, 64 };
    hist_init(&e->login_us);
    hist_init(&e->resume_us);
    if (net_addr_parse(o->host, (int)o->port, &e->server) != PL_OK) {
        fprintf(stderr, "parley-bench: --host must be a numeric address: %s\n", o->host);
        return PL_EINVAL;
    }
    if (net_sources_parse(o->source, e->server.ss.ss_family, &e->sources) != PL_OK) {
        fprintf(stderr, "parley-bench: bad --source %s (A.B.C.D-A.B.C.E, same family as "
                        "--host)\n", o->source);
        return PL_EINVAL;
    }
    struct event_config *cfg = event_config_new();
    /* Output comes and goes every tick: coalesce the epoll_ctl calls of one loop turn. */
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    e->base = cfg ? event_base_new_with_config(cfg) : NULL;
    if (cfg)
        event_config_free(cfg);
    e->tls = make_tls(o);
    if (!e->base || !e->tls) {
        fprintf(stderr, "parley-bench: cannot set up the event loop or TLS\n");
        return PL_EINVAL;
    }
    make_header(e);
    make_clients(e);
    return open_keycache(e);
}

void engine_fini(struct engine *e)
{
    /* The scenario may already have freed what its hooks touch: it hears nothing more. */
    e->hooks = (struct engine_hooks){ 0 };
    for (size_t i = 0; i < e->n; i++) {
        client_close(&e->clients[i], false, NULL);
        free(e->clients[i].user);
        free(e->clients[i].sm_id);
    }
    free(e->clients);
    keycache_close(e->keys);
    net_sources_fini(&e->sources);
    if (e->tls)
        SSL_CTX_free(e->tls);
    if (e->base)
        event_base_free(e->base);
    memset(e, 0, sizeof(*e));
}

static SSL *new_ssl(struct client *c)
{
    SSL *ssl = SSL_new(c->eng->tls);
    if (ssl)
        SSL_set_tlsext_host_name(ssl, c->eng->o->domain);
    return ssl;
}

static void note_reason(struct engine *e, const char *why)
{
    snprintf(e->last_error, sizeof(e->last_error), "%s", why ? why : "failed");
}

/* The bufferevent: direct TLS owns the fd; plain keeps it ours so STARTTLS can swap. */
static struct bufferevent *make_bev(struct client *c)
{
    struct engine *e = c->eng;
    if (e->o->tls != BTLS_DIRECT)
        return bufferevent_socket_new(e->base, c->fd, 0);
    SSL *ssl = new_ssl(c);
    struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(
                                        e->base, c->fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                        BEV_OPT_CLOSE_ON_FREE)
                                  : NULL;
    if (!bev) {
        SSL_free(ssl);
        return NULL;
    }
    c->fd = -1;
    c->tls_on = true;
    return bev;
}

int client_start(struct client *c)
{
    struct engine *e = c->eng;
    if (c->state != CL_IDLE)
        return PL_EINVAL;
    c->start_us = pb_now_us();
    c->ending = false;
    c->fd = net_socket(&e->sources, e->server.ss.ss_family);
    int saved = c->fd < 0 ? errno : 0;
    c->bev = c->fd >= 0 ? make_bev(c) : NULL;
    if (!c->bev || bufferevent_socket_connect(c->bev, (struct sockaddr *)&e->server.ss,
                                              (int)e->server.len) != 0) {
        char why[128];
        snprintf(why, sizeof(why), "cannot connect: %s", strerror(saved ? saved : errno));
        c->state = CL_CONNECTING;
        e->in_flight++;
        client_close(c, true, why); /* frees whatever was made */
        return PL_EIO;
    }
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->parser = parser_new(&e->limits, &client_parser_events, c);
    c->state = CL_CONNECTING;
    e->in_flight++;
    /* Held by the bufferevent until the connection is up: the stream header, or the
     * WebSocket's upgrade request (the header follows its answer). */
    if (e->o->transport != BTRANSPORT_WS) {
        client_send_header(c);
    } else if (client_ws_start(c) != PL_OK) {
        client_close(c, true, "no randomness for the WebSocket key");
        return PL_EIO;
    }
    return PL_OK;
}

static void release(struct client *c)
{
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->fd >= 0)
        close(c->fd);
    c->bev = NULL;
    c->fd = -1;
    client_ws_free(c);
    parser_free(c->parser);
    c->parser = NULL;
    if (c->sasl) {
        sasl_client_fini(c->sasl);
        free(c->sasl);
        c->sasl = NULL;
    }
    free(c->jid);
    c->jid = NULL;
    if (c->sm_enabled && c->sm_out > c->sm_acked)
        c->eng->sm_unacked += c->sm_out - c->sm_acked; /* XEP-0198 h counts mod 2^32 */
    c->sm_on = c->sm_enabled = false;
    c->sm_out = c->sm_in = c->sm_acked = 0;
    c->tls_on = c->authed = false;
    c->want_close = c->want_tls = c->want_restart = false;
}

/* A clean end says so in TLS too (close_notify), so the server reads an orderly EOF. */
static void say_goodbye(struct client *c)
{
    SSL *ssl = c->tls_on && c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
    if (!ssl)
        return;
    SSL_shutdown(ssl); /* one alert straight to the socket; we do not wait for the answer */
    ERR_clear_error(); /* a refused write must not be blamed on another connection */
}

void client_close(struct client *c, bool failed, const char *why)
{
    if (c->state == CL_IDLE && !c->bev && c->fd < 0)
        return;
    if (c->in_feed) {
        /* The parser is on the stack: finish after parser_feed returns (read_cb). The
         * reason is copied now: it may live on the caller's stack. */
        if (failed && !c->close_failed && !c->eng->closing)
            note_reason(c->eng, why);
        c->close_failed = c->close_failed || failed;
        c->want_close = true;
        parser_stop(c->parser);
        return;
    }
    struct engine *e = c->eng;
    bool deferred = c->want_close; /* the reason was noted when the close was asked for */
    c->close_failed = false;
    if (c->state == CL_ONLINE)
        e->online--;
    else if (c->state != CL_IDLE)
        e->in_flight--;
    c->state = CL_IDLE;
    if (c->ending && !failed)
        say_goodbye(c);
    release(c);
    failed = failed && !e->closing;
    if (failed)
        e->failures++;
    if (failed && !deferred)
        note_reason(e, why);
    if (e->hooks.closed)
        e->hooks.closed(e->ctx, c, failed);
}

void client_send(struct client *c, const void *data, size_t n)
{
    if (!c->bev)
        return;
    if (c->ws)
        client_ws_send(c, data, n);
    else
        evbuffer_add(bufferevent_get_output(c->bev), data, n);
}

void client_stanza_send(struct client *c, const void *data, size_t n)
{
    c->sm_out += c->sm_on;
    client_send(c, data, n);
}

/* A message is framed from whole bytes, so a WebSocket's element is formatted first: on the
 * stack, as nearly all are small, else in a buffer of its size. */
static void __attribute__((format(printf, 2, 0)))
send_vprintf(struct client *c, const char *fmt, va_list ap)
{
    if (!c->bev)
        return;
    if (!c->ws) {
        evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
        return;
    }
    char small[1024];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n >= 0 && (size_t)n < sizeof(small)) {
        client_ws_send(c, small, (size_t)n);
    } else if (n >= 0) {
        char *big = xmalloc((size_t)n + 1);
        vsnprintf(big, (size_t)n + 1, fmt, again);
        client_ws_send(c, big, (size_t)n);
        free(big);
    }
    va_end(again);
}

void client_printf(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_vprintf(c, fmt, ap);
    va_end(ap);
}

void client_stanza_printf(struct client *c, const char *fmt, ...)
{
    c->sm_out += c->sm_on;
    va_list ap;
    va_start(ap, fmt);
    send_vprintf(c, fmt, ap);
    va_end(ap);
}

void client_drop(struct client *c)
{
    if (c->state != CL_ONLINE)
        return;
    c->resuming = c->sm_enabled && c->sm_id;
    c->resume_h = c->sm_in;
    c->ending = false; /* no goodbye: the connection just goes */
    client_close(c, false, NULL);
}

void client_end(struct client *c)
{
    if (!c->bev || c->ending)
        return;
    c->ending = true;
    if (c->ws && !client_ws_is_open(c)) {
        client_close(c, false, NULL); /* before the 101 there is no stream to end */
        return;
    }
    /* The server answers before its own closing tag: the final count of what it handled. */
    if (c->sm_enabled)
        client_printf(c, "<r xmlns='" NS_SM "'/>");
    client_send(c, c->eng->footer, strlen(c->eng->footer));
}

void client_send_header(struct client *c)
{
    client_send(c, c->eng->header, c->eng->header_len);
}

/*
 * STARTTLS: the plain bufferevent is dropped and a TLS one takes over the same socket. A
 * socket-level TLS bufferevent is cheaper per record than a filter stacked on the plain one.
 */
static bool switch_to_tls(struct client *c)
{
    c->want_tls = false;
    SSL *ssl = new_ssl(c);
    struct bufferevent *old = c->bev;
    bufferevent_disable(old, EV_READ | EV_WRITE);
    c->bev = ssl ? bufferevent_openssl_socket_new(c->eng->base, c->fd, ssl,
                                                  BUFFEREVENT_SSL_CONNECTING,
                                                  BEV_OPT_CLOSE_ON_FREE)
                 : NULL;
    bufferevent_free(old); /* our fd is not closed with it; safe inside its callback */
    if (!c->bev) {
        SSL_free(ssl);
        client_close(c, true, "cannot start TLS");
        return false;
    }
    c->fd = -1;
    c->tls_on = true;
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    parser_reset(c->parser);
    client_send_header(c);
    return true;
}

/* After the parser stopped: returns true when feeding may go on with the same input. */
static bool after_stop(struct client *c)
{
    if (c->want_close)
        return false;
    if (c->want_tls) {
        switch_to_tls(c); /* the old input buffer is gone: nothing may precede TLS anyway */
        return false;
    }
    if (c->want_restart) {
        c->want_restart = false;
        parser_reset(c->parser);
        client_send_header(c);
        return true;
    }
    return false;
}

static void feed_input(struct client *c, struct evbuffer *in)
{
    if (c->ws) {
        client_ws_feed(c, in);
        return;
    }
    while (!c->want_close && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        size_t used = 0;
        enum parser_error perr;
        int rc = parser_feed(c->parser, v.iov_base, v.iov_len, &used, &perr);
        evbuffer_drain(in, rc == PL_OK ? v.iov_len : used);
        if (rc == PL_EINVAL) {
            client_close(c, true, "the server sent malformed XML");
            break;
        }
        if (rc == PL_ECLOSED && !after_stop(c))
            break;
    }
}

/* libevent's OpenSSL bufferevent reads one or two records per readable event and then waits
 * for the socket, but with read-ahead the next records may already sit in OpenSSL's buffer,
 * the socket empty: they would wait for the server's next write. Decrypt them here. */
static void drain_tls(struct client *c, struct bufferevent *bev)
{
    SSL *ssl = c->tls_on ? bufferevent_openssl_get_ssl(bev) : NULL;
    struct evbuffer *in = bufferevent_get_input(bev);
    char plain[16384];

    while (ssl && !c->want_close && c->bev == bev && SSL_has_pending(ssl)) {
        int n = SSL_read(ssl, plain, sizeof(plain));
        if (n <= 0) {
            ERR_clear_error(); /* libevent meets the same condition at its next read */
            break;
        }
        evbuffer_add(in, plain, (size_t)n);
        feed_input(c, in);
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct client *c = arg;
    c->eng->now_us = pb_now_us(); /* one clock read for every stanza of this batch */
    c->in_feed = true;
    feed_input(c, bufferevent_get_input(bev));
    drain_tls(c, bev);
    c->in_feed = false;
    if (c->want_close)
        client_close(c, c->close_failed, NULL);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct client *c = arg;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return; /* connected: the stream header is already queued */
    if ((what & BEV_EVENT_EOF) && c->ending) {
        client_close(c, false, NULL); /* the answer to our closing tag */
        return;
    }
    char why[160];
    unsigned long ssl_err = bufferevent_get_openssl_error(bev);
    if (what & BEV_EVENT_EOF)
        snprintf(why, sizeof(why), "the server closed the connection");
    else if (ssl_err)
        snprintf(why, sizeof(why), "TLS: %s", ERR_reason_error_string(ssl_err));
    else
        snprintf(why, sizeof(why), "socket: %s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    client_close(c, true, why);
}

void engine_expire(struct engine *e, uint64_t now_us, uint64_t timeout_us)
{
    for (size_t i = 0; i < e->n; i++) {
        struct client *c = &e->clients[i];
        bool pending = c->state != CL_IDLE && (c->state != CL_ONLINE || c->ending);
        if (pending && now_us > c->start_us && now_us - c->start_us > timeout_us)
            client_close(c, true, c->ending ? "the server did not end the stream"
                                            : "login timed out");
    }
}

void engine_close_all(struct engine *e)
{
    e->closing = true;
    for (size_t i = 0; i < e->n; i++) {
        struct client *c = &e->clients[i];
        if (c->bev)
            client_end(c);
    }
}
