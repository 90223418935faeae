/* SPDX-License-Identifier: MIT */
/* Accepts client connections and hands them to conn_new, within max_connections and the
 * per-source caps; turns the rest away, also when out of descriptors. Also listens on the
 * local control socket. */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base.h"
#include "clock.h"
#include "conn.h"
#include "http_resp.h"
#include "log.h"
#include "loglimit.h"
#include "server.h"
#include "throttle.h"

/* One line per source and interval for refusals, one per interval for accept failures. */
#define LOG_INTERVAL_MS 10000
#define LOG_MAX_KEYS 4096
#define LOG_KEY_ACCEPT "accept" /* never a source key, which is an address or "unknown" */
/* Peers refused per accept failure before pausing: a flood cannot hold the loop here. */
#define REFUSE_BATCH 128
#define PAUSE_MS 100
#define PAUSE_TEXT "pausing accepts for 100 ms"

/* Best effort: the socket is new and its buffer empty. */
static void send_last_words(evutil_socket_t fd, const struct buf *out)
{
    ssize_t n = send(fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    shutdown(fd, SHUT_WR);
}

static void refuse_http(evutil_socket_t fd)
{
    struct buf out;
    buf_init(&out);
    http_resp_error(&out, 503, "too many connections", false, "Retry-After: 5\r\n");
    send_last_words(fd, &out);
    buf_fini(&out);
}

/* Tells a plaintext client why it is turned away (RFC 6120 §4.9.3.17) before closing; a
 * TLS client has no stream yet to carry the error. */
static void refuse(struct server *srv, evutil_socket_t fd, enum listen_kind kind)
{
    static const struct stream_hooks none;
    if (kind == LISTEN_HTTP)
        refuse_http(fd);
    if (kind == LISTEN_STARTTLS) {
        struct stream *s = stream_new(&srv->stream_cfg, &none, NULL, false, false);
        stream_error(s, srv->stopping ? "system-shutdown" : "resource-constraint",
                     srv->stopping ? NULL : "too many connections");
        send_last_words(fd, stream_output(s));
        stream_free(s);
    }
    close(fd);
}

/* Why a peer from source key must be turned away now, or NULL. */
static const char *refusal(const struct server *srv, const char *key)
{
    if (srv->stopping)
        return "shutting down";
    if (srv->n_conns >= (size_t)srv->cfg.max_connections)
        return "max_connections reached";
    switch (sources_admit(&srv->sources, key, srv->cfg.max_connections_per_source,
                          srv->cfg.max_unauthenticated_per_source)) {
    case SOURCES_FULL:
        return "max_connections_per_source reached";
    case SOURCES_UNAUTH_FULL:
        return "max_unauthenticated_per_source reached";
    case SOURCES_OK:
        break;
    }
    return NULL;
}

/* " (N more since the previous line)" when lines were held back, else "". */
static const char *held_back(char *buf, size_t n, unsigned long held)
{
    if (!held)
        return "";
    snprintf(buf, n, " (%lu more since the previous line)", held);
    return buf;
}

/* A flood of refusals would otherwise be a flood of log lines. Counted per source, so one
 * address flooding does not hide the refusals of others. */
static void log_refusal(struct server *srv, const char *key, const char *why)
{
    unsigned long held;
    char note[64];
    if (loglimit_pass(srv->listen_log, key, clock_now_ms(), &held))
        log_warn("listener", "refusing a connection from %s: %s%s", key, why,
                 held_back(note, sizeof(note), held));
}

static void accept_any(struct server *srv, evutil_socket_t fd, struct sockaddr *sa,
                       enum listen_kind kind)
{
    char key[THROTTLE_SOURCE_LEN];
    throttle_source_key(sa, key);
    const char *why = refusal(srv, key);
    if (why) {
        log_refusal(srv, key, why);
        refuse(srv, fd, kind);
        return;
    }
    bool tls = kind == LISTEN_DIRECT_TLS || kind == LISTEN_HTTPS;
    bool http = kind == LISTEN_HTTP || kind == LISTEN_HTTPS;
    conn_new(srv, fd, sa, tls, http);
}

/* One callback per kind: libevent gives each listener one argument, the server. */
#define ACCEPT_AS(name, kind)                                                                  \
    static void name(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,         \
                     int salen, void *arg)                                                     \
    {                                                                                          \
        (void)l, (void)salen;                                                                  \
        accept_any(arg, fd, sa, kind);                                                         \
    }
ACCEPT_AS(accept_starttls, LISTEN_STARTTLS)
ACCEPT_AS(accept_direct_tls, LISTEN_DIRECT_TLS)
ACCEPT_AS(accept_http, LISTEN_HTTP)
ACCEPT_AS(accept_https, LISTEN_HTTPS)

void listener_specs(const struct server_config *cfg, struct listen_spec out[LISTEN_KINDS])
{
    out[LISTEN_STARTTLS] = (struct listen_spec){ cfg->bind_address, cfg->c2s_port, "STARTTLS" };
    out[LISTEN_DIRECT_TLS] =
        (struct listen_spec){ cfg->bind_address, cfg->c2s_tls_port, "direct TLS" };
    out[LISTEN_HTTP] = (struct listen_spec){ cfg->http_address, cfg->http_port, "HTTP" };
    out[LISTEN_HTTPS] = (struct listen_spec){ cfg->bind_address, cfg->https_port, "HTTPS" };
}

static void set_accepting(struct server *srv, bool on)
{
    for (size_t i = 0; i < ARRAY_LEN(srv->listeners); i++)
        if (srv->listeners[i])
            (on ? evconnlistener_enable : evconnlistener_disable)(srv->listeners[i]);
}

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    if (srv->spare_fd < 0) /* lost when even the spare could not be reopened */
        srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!srv->stopping) /* shutting down keeps them off */
        set_accepting(srv, true);
}

/*
 * Out of descriptors, waiting peers would sit in the backlog with no answer. The spare
 * descriptor is given up to accept them one at a time and turn each away with
 * resource-constraint. Returns true when the backlog is empty and the spare is back.
 */
static bool refuse_waiting(struct server *srv, struct evconnlistener *l, unsigned *n)
{
    enum listen_kind kind = LISTEN_STARTTLS;
    for (int i = 0; i < LISTEN_KINDS; i++)
        if (l == srv->listeners[i])
            kind = i;
    for (*n = 0; *n < REFUSE_BATCH && srv->spare_fd >= 0;) {
        close(srv->spare_fd);
        int fd = accept4(evconnlistener_get_fd(l), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int err = errno;
        if (fd >= 0) {
            refuse(srv, fd, kind);
            (*n)++;
        }
        srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return (err == EAGAIN || err == EWOULDBLOCK) && srv->spare_fd >= 0;
    }
    return false;
}

/* libevent calls this when accept fails for a reason other than EAGAIN or EINTR. The
 * listening socket stays readable, so anything not drained waits out a pause: retrying at
 * once would spin. */
static void accept_error(struct evconnlistener *l, void *arg)
{
    struct server *srv = arg;
    int err = EVUTIL_SOCKET_ERROR();
    unsigned refused = 0;
    bool drained = (err == EMFILE || err == ENFILE) && refuse_waiting(srv, l, &refused);
    unsigned long held;
    char note[64];
    if (loglimit_pass(srv->listen_log, LOG_KEY_ACCEPT, clock_now_ms(), &held))
        log_warn("listener", "accept failed: %s; %u waiting peers refused, %s%s",
                 evutil_socket_error_to_string(err), refused,
                 drained ? "none left waiting" : PAUSE_TEXT,
                 held_back(note, sizeof(note), held));
    if (drained)
        return;
    const struct timeval pause = { 0, PAUSE_MS * 1000 };
    set_accepting(srv, false);
    event_base_once(srv->base, -1, EV_TIMEOUT, resume_accepting, srv, &pause);
}

struct loglimit *listener_log_new(void)
{
    return loglimit_new(LOG_INTERVAL_MS, LOG_MAX_KEYS);
}

static void log_held(void *ctx, const char *key, unsigned long held)
{
    (void)ctx;
    if (strcmp(key, LOG_KEY_ACCEPT) == 0)
        log_warn("listener", "%lu more accept failures since the previous line", held);
    else
        log_warn("listener", "%lu more connections from %s refused since the previous line",
                 held, key);
}

void listener_tick(struct server *srv, uint64_t now_ms)
{
    loglimit_flush(srv->listen_log, now_ms, log_held, NULL);
}

/* Fills ss with address:port; 0 (logged) when address is not a numeric IP address. */
static socklen_t make_addr(const char *address, long port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, address, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        return sizeof(*in);
    }
    if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return sizeof(*in6);
    }
    log_error("listener", "listening address '%s' is not an IP address", address);
    return 0;
}

/* Binds the way listener_new does (SO_REUSEADDR, so a port in TIME_WAIT passes as it would
 * at start-up), then lets the port go at once. */
int listener_probe(const char *address, long port, int *err)
{
    *err = 0;
    struct sockaddr_storage ss;
    socklen_t len = make_addr(address, port, &ss);
    if (!len)
        return PL_EINVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    int rc = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                     bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, 1) == 0
                 ? PL_OK
                 : PL_EIO;
    if (rc != PL_OK)
        *err = errno;
    if (fd >= 0)
        close(fd);
    return rc;
}

struct evconnlistener *listener_new(struct server *srv, const char *address, long port,
                                    enum listen_kind kind)
{
    static evconnlistener_cb const accept_cb[LISTEN_KINDS] = {
        accept_starttls, accept_direct_tls, accept_http, accept_https };
    struct sockaddr_storage ss;
    socklen_t len = make_addr(address, port, &ss);
    if (!len)
        return NULL;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    struct evconnlistener *l = evconnlistener_new_bind(
        srv->base, accept_cb[kind], srv, flags, 1024,
        (struct sockaddr *)&ss, (int)len);
    if (!l) {
        log_error("listener", "cannot listen on %s:%ld: %s", address, port,
                  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return NULL;
    }
    evconnlistener_set_error_cb(l, accept_error);
    return l;
}

/* ---- the local control socket ---- */

struct listener_unix {
    struct evconnlistener *l;
    void (*on_accept)(void *arg, int fd);
    void *arg;
};

static void accept_unix(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *arg)
{
    struct listener_unix *u = arg;
    (void)l, (void)sa, (void)salen;
    u->on_accept(u->arg, fd);
}

struct listener_unix *listener_new_unix(struct server *srv, const char *path,
                                        void (*on_accept)(void *arg, int fd), void *arg)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (n >= sizeof(sa.sun_path)) {
        log_error("listener", "%s: path too long for a UNIX socket", path);
        return NULL;
    }
    memcpy(sa.sun_path, path, n + 1);
    struct listener_unix *u = xcalloc(1, sizeof(*u));
    *u = (struct listener_unix){ NULL, on_accept, arg };
    /* Only the server's user may connect: 0600 from the first moment, not after a chmod. */
    mode_t old = umask(0177);
    u->l = evconnlistener_new_bind(srv->base, accept_unix, u,
                                   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
                                   (struct sockaddr *)&sa, (int)sizeof(sa));
    int err = errno;
    umask(old);
    if (!u->l) {
        log_error("listener", "cannot listen on %s: %s", path, strerror(err));
        free(u);
        return NULL;
    }
    return u;
}

void listener_free_unix(struct listener_unix *u)
{
    if (!u)
        return;
    evconnlistener_free(u->l);
    free(u);
}
