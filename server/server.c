/* SPDX-License-Identifier: MIT */
/* Process lifecycle: storage, TLS, modules, listeners, signals, reaping, shutdown (the config is
 * server_config.c). */
#include "resume.h"
#include "server.h"
#include "session_out.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_guard.h"
#include "base.h"
#include "c2s.h"
#include "clock.h"
#include "confirm.h"
#include "conn_int.h"
#include "control.h"
#include "http_bind.h"
#include "listener.h"
#include "log.h"
#include "loglimit.h"
#include "module.h"
#include "tls.h"

#define SHUTDOWN_GRACE_MS 2000
#define TRIM_RETURN_PAGES 256
#define TRIM_RETURN_BYTES (256 * 1024) /* what modules freed (module_memory_released) */

bool server_account_exists(struct server *srv, const char *bare)
{
    struct scram_creds c;
    return creds_get(&srv->store, bare, &c) == PL_OK;
}

bool server_hosts(const struct server *srv, const char *domain)
{
    return strcmp(srv->cfg.domain, domain) == 0;
}

int server_service(const struct server *srv, const char *domain)
{
    for (size_t i = 0; i < modules_count; i++) {
        const char *d = modules[i]->service_domain ? modules[i]->service_domain(srv) : NULL;
        if (d && strcmp(d, domain) == 0)
            return (int)i;
    }
    return -1;
}

/* What a pooled buffer keeps between uses: ordinary stanzas never need more. */
#define POOL_BUF_KEEP (256 * 1024)

struct buf *server_buf_take(struct server *srv)
{
    struct buf *b;
    if (srv->n_buf_pool) {
        b = srv->buf_pool[--srv->n_buf_pool];
    } else {
        b = xmalloc(sizeof(*b));
        buf_init(b);
    }
    buf_reset(b);
    return b;
}

void server_buf_give(struct server *srv, struct buf *b)
{
    buf_reset(b);
    buf_shrink(b, POOL_BUF_KEEP); /* a file or a large roster once is no reason to keep it */
    if (srv->n_buf_pool < ARRAY_LEN(srv->buf_pool)) {
        srv->buf_pool[srv->n_buf_pool++] = b;
        return;
    }
    buf_fini(b);
    free(b);
}

void server_reap(struct server *srv, struct conn *c)
{
    /* conn_free unlinks from srv->conns; the reap list is a separate chain. */
    c->reap_next = srv->reap;
    srv->reap = c;
    event_active(srv->reap_ev, EV_TIMEOUT, 0);
}

/* Adaptive group commit: the next commit waits COMMIT_COST_RATIO times as long as this one
 * took, between commit_interval_ms and commit_interval_max_ms. A busy archive then writes
 * more rows per page and commit (a commit's cost is mostly pages, shared by its rows), and
 * commits stay a small share of the loop; a quiet server keeps the short interval. A
 * delay of 0 means commit_interval_ms. */
#define COMMIT_COST_RATIO 30
static void commit_adapt(struct server *srv, long took_us)
{
    long lo = srv->cfg.commit_interval_ms * 1000;
    long hi = srv->cfg.commit_interval_max_ms * 1000;
    long us = took_us * COMMIT_COST_RATIO;
    srv->commit_delay_us = us > hi ? hi : us;
    if (srv->commit_delay_us < lo || lo == 0) /* 0: every loop turn commits, as configured */
        srv->commit_delay_us = lo;
}

/* Arms the commit to run within us, unless it is already due by then. */
static void commit_within(struct server *srv, long us)
{
    uint64_t due = clock_now_us() + (uint64_t)us;
    if (!srv->commit_ev || (evtimer_pending(srv->commit_ev, NULL) && srv->commit_due_us <= due))
        return;
    struct timeval tv = { us / 1000000, us % 1000000 };
    srv->commit_due_us = due;
    evtimer_add(srv->commit_ev, &tv); /* a pending one moves */
}

/* Group commit: the writes of every loop turn within commit_interval_ms go in one
 * transaction, so that a busy server writes each index page once per interval instead of once
 * per turn. Nothing that promises durability goes out before it (stream management acks,
 * confirmations): they wait for this. */
static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    int wait_ms = storage_flush_delay_ms(&srv->store);
    if (wait_ms > 0) {
        commit_within(srv, wait_ms * 1000L);
        return;
    }
    uint64_t t0 = clock_now_us();
    /* Stream management counts only what is committed: a failed commit acks nothing. */
    bool committed = storage_flush(&srv->store) == PL_OK && !srv->commit_failed;
    srv->commit_failed = false;
    uint64_t took = clock_now_us() - t0;
    metrics_observe(&srv->metrics.commit, took);
    commit_adapt(srv, (long)took);
    sm_commit_settle(srv, committed);
    confirm_check(srv);
}

void server_commit_soon(struct server *srv)
{
    commit_within(srv, srv->commit_delay_us ? srv->commit_delay_us
                                            : srv->cfg.commit_interval_ms * 1000);
}

void server_commit_later(struct server *srv)
{
    commit_within(srv, srv->cfg.commit_lazy_ms * 1000); /* a sooner one stays */
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    while (srv->reap) {
        struct conn *c = srv->reap;
        srv->reap = c->reap_next;
        conn_free(c);
    }
    server_commit_soon(srv); /* what the sessions that ended wrote */
    confirm_check(srv);
    if (srv->stopping && srv->n_conns == 0)
        event_base_loopexit(srv->base, NULL);
}

static void trim_idle(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    size_t released = 0;
    uint64_t now = clock_now_ms();
    for (struct conn *c = srv->conns; c; c = c->next) {
        released += conn_trim_idle(c);
        c2s_sm_tick(&c->tp, now);
    }
    auth_guard_tick(srv->auth_guard, now); /* sums up throttled logins the log held back */
    listener_tick(srv, now);               /* and refused connections */
    /* After a burst (a login storm) many parsers go at once, many connections closed, or an
     * account's large roster was freed: give the pages back, so that idle sessions really
     * cost what they hold. */
    if (released >= TRIM_RETURN_PAGES || srv->released_bytes >= TRIM_RETURN_BYTES) {
        storage_release_memory(&srv->store); /* the pages those reads brought into the cache */
        malloc_trim(0);
    }
    srv->released_bytes = 0;
}

/* The calls queued so far run now; those they queue wait for the next turn. */
static void run_deferred(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    struct deferred_call *calls = srv->deferred;
    size_t n = srv->n_deferred;
    srv->deferred = NULL;
    srv->n_deferred = 0;
    for (size_t i = 0; i < n; i++)
        calls[i].fn(calls[i].arg);
    free(calls);
}

void server_defer(struct server *srv, void (*fn)(void *arg), void *arg)
{
    /* A zero timeout, not event_active: timers become active only after the loop has polled
     * the sockets, so the I/O that is ready runs before the deferred work. */
    static const struct timeval now = { 0, 0 };
    srv->deferred = xrealloc(srv->deferred, (srv->n_deferred + 1) * sizeof(*srv->deferred));
    srv->deferred[srv->n_deferred++] = (struct deferred_call){ fn, arg };
    if (srv->defer_ev && !evtimer_pending(srv->defer_ev, NULL))
        evtimer_add(srv->defer_ev, &now);
}

static void stop_now(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    (void)fd, (void)what;
    event_base_loopexit(srv->base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, close every stream politely, give peers a moment. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    (void)what;
    if (srv->stopping)
        return;
    log_info("server", "signal %d: shutting down", (int)sig);
    srv->stopping = true;
    for (size_t i = 0; i < ARRAY_LEN(srv->listeners); i++)
        if (srv->listeners[i])
            evconnlistener_disable(srv->listeners[i]);
    http_bind_shutdown(srv); /* first: their last answers go out on the connections */
    for (struct conn *c = srv->conns; c; c = c->next)
        conn_close(c, "system-shutdown", NULL);
    struct timeval grace = { SHUTDOWN_GRACE_MS / 1000, (SHUTDOWN_GRACE_MS % 1000) * 1000 };
    srv->stop_timer = evtimer_new(srv->base, stop_now, srv);
    evtimer_add(srv->stop_timer, &grace);
    event_active(srv->reap_ev, EV_TIMEOUT, 0);
}

/* SIGHUP: logrotate has moved the log away, or the certificate was renewed. Connections
 * hold a reference to the context they started with, so only new ones see the new files. */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    (void)sig, (void)what;
    if (!srv->cfg.log_file[0])
        log_info("server", "SIGHUP: logging to standard error (no log_file to reopen)");
    else if (log_open(srv->cfg.log_file) == PL_OK)
        log_info("server", "SIGHUP: reopened log_file %s", srv->cfg.log_file);
    SSL_CTX *ctx = tls_ctx_new(srv->cfg.tls_cert, srv->cfg.tls_key);
    if (!ctx) {
        log_error("server", "SIGHUP: TLS certificate and key not reloaded; keeping the old ones");
        return;
    }
    SSL_CTX_free(srv->tls);
    srv->tls = ctx;
    log_info("server", "SIGHUP: reloaded TLS certificate %s and key %s for new connections",
             srv->cfg.tls_cert, srv->cfg.tls_key);
}

/* Descriptors the server holds besides connections: stdio, the listeners and the spare,
 * libevent's epoll and signal descriptors, SQLite's database, WAL, shared-memory and
 * temporary files, and one more to accept and refuse a peer at max_connections (about 15 in
 * use after start-up; the rest is headroom). */
#define RESERVED_FDS 32

/* Every connection needs a descriptor: take the whole hard limit, and fit within it. Running
 * into the limit would leave new peers unanswered in the backlog. */
static int fit_descriptors(struct server *srv)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return PL_OK;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)LONG_MAX)
        return PL_OK;
    long limit = (long)rl.rlim_cur, usable = limit - RESERVED_FDS;
    if (usable < 1) {
        log_error("server", "the descriptor limit (%ld) leaves no room for connections: "
                  "raise it above %d (ulimit -n)", limit, RESERVED_FDS);
        return PL_ELIMIT;
    }
    if (srv->cfg.max_connections > usable) {
        log_warn("server", "max_connections lowered from %ld to %ld: the descriptor limit is "
                 "%ld, %d kept for the server itself", srv->cfg.max_connections, usable,
                 limit, RESERVED_FDS);
        srv->cfg.max_connections = usable;
    }
    return PL_OK;
}

static void log_from_storage(void *ctx, enum storage_log_level level, const char *msg)
{
    (void)ctx;
    log_msg(level == STORAGE_LOG_WARN ? LOG_WARN : LOG_ERROR, "storage", "%s", msg);
}

/* A session's write event goes when its output drains and comes back with more output, on a
 * busy server often within one loop turn; the changelist gives the kernel only the net
 * change of each turn, so such pairs cost no epoll_ctl at all. Its caveat, descriptors
 * cloned with dup(), does not apply: the server never dups a socket. */
static struct event_base *new_event_base(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

static int open_storage(struct server *srv)
{
    if (mkdir(srv->cfg.data_dir, 0700) != 0 && errno != EEXIST) {
        log_error("server", "cannot create data_dir %s: %s", srv->cfg.data_dir, strerror(errno));
        return PL_EIO;
    }
    char *path = server_db_path(&srv->cfg);
    srv->store.log = (struct storage_logger){ log_from_storage, NULL };
    int rc = storage_open_sqlite(&srv->store, path);
    if (rc != PL_OK) {
        log_error("server", "cannot open the database %s", path);
        srv->store.ops = NULL; /* nothing to flush or close */
    }
    free(path);
    return rc;
}

/* The stream features every module announces after authentication, in registry order. */
static void collect_stream_features(struct server *srv)
{
    size_t n = 0;
    for (size_t i = 0; i < modules_count; i++)
        for (const struct stream_feature *f = modules[i]->stream_features; f && f->name; f++)
            n++;
    srv->auth_features = xcalloc(n + 1, sizeof(*srv->auth_features));
    n = 0;
    for (size_t i = 0; i < modules_count; i++)
        for (const struct stream_feature *f = modules[i]->stream_features; f && f->name; f++)
            srv->auth_features[n++] = *f;
    srv->stream_cfg.auth_features = srv->auth_features;
    srv->stream_cfg.n_auth_features = n;
}

static void fill_stream_config(struct server *srv)
{
    struct stream_config *sc = &srv->stream_cfg;
    sc->domain = srv->cfg.domain;
    sc->limits.max_stanza_bytes = (size_t)srv->cfg.max_stanza_bytes;
    sc->limits.max_depth = (unsigned)srv->cfg.max_depth;
    sc->limits.max_attrs = (unsigned)srv->cfg.max_attrs;
    sc->max_bytes_before_auth = (size_t)srv->cfg.max_bytes_before_auth;
    sc->tls_available = srv->tls != NULL;
    sc->registration = srv->cfg.allow_registration;
    sc->roster_versioning = true; /* the roster module is always built in */
    sc->max_auth_failures = (unsigned)srv->cfg.max_auth_failures;
    collect_stream_features(srv);
    disco_caps_init(srv, sc);
}

static int init_modules(struct server *srv)
{
    for (size_t i = 0; i < modules_count; i++) {
        if (!modules[i]->init)
            continue;
        int rc = modules[i]->init(srv, srv->mod_opts[i], &srv->mod_state[i]);
        if (rc != PL_OK) {
            log_error("server", "module %s failed to start: %s", modules[i]->name,
                      pl_strerror(rc));
            return rc;
        }
    }
    return PL_OK;
}

static int open_listeners(struct server *srv)
{
    struct listen_spec specs[LISTEN_KINDS];
    listener_specs(&srv->cfg, specs);
    /* Given up when accept runs out of descriptors, so waiting peers still get an answer. */
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < LISTEN_KINDS; i++) {
        if (specs[i].port == 0)
            continue; /* 0 disables a listener */
        srv->listeners[i] = listener_new(srv, specs[i].address, specs[i].port, i);
        if (!srv->listeners[i])
            return PL_EIO;
        log_info("server", "listening on %s:%ld (%s) for %s", specs[i].address, specs[i].port,
                 specs[i].what, srv->cfg.domain);
    }
    return PL_OK;
}

int server_start(struct server *srv)
{
    log_set_level((enum log_level)srv->cfg.log_level);
    if (srv->cfg.log_file[0] && log_open(srv->cfg.log_file) != PL_OK)
        return PL_EIO;
    signal(SIGPIPE, SIG_IGN);
    if (fit_descriptors(srv) != PL_OK)
        return PL_ELIMIT;
    srv->started = time(NULL);
    buf_init(&srv->scratch);
    session_table_init(&srv->sessions);
    resume_init(srv);
    http_bind_init(srv);
    sources_init(&srv->sources);
    srv->auth_guard = auth_guard_new(srv->cfg.auth_source_failures_per_minute,
                                     srv->cfg.auth_failures_per_minute);
    srv->listen_log = listener_log_new();
    if (open_storage(srv) != PL_OK)
        return PL_EIO;
    srv->tls = tls_ctx_new(srv->cfg.tls_cert, srv->cfg.tls_key);
    if (!srv->tls)
        return PL_EIO;
    fill_stream_config(srv);
    srv->base = new_event_base();
    srv->reap_ev = event_new(srv->base, -1, 0, reap_cb, srv);
    srv->commit_ev = evtimer_new(srv->base, commit_cb, srv);
    srv->defer_ev = evtimer_new(srv->base, run_deferred, srv);
    if (store_wake_open(srv) != PL_OK || conn_delay_start(srv) != PL_OK)
        return PL_EIO;
    srv->sig_term = evsignal_new(srv->base, SIGTERM, on_signal, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, on_signal, srv);
    evsignal_add(srv->sig_term, NULL);
    evsignal_add(srv->sig_int, NULL);
    srv->sig_hup = evsignal_new(srv->base, SIGHUP, on_reload, srv);
    evsignal_add(srv->sig_hup, NULL);
    const struct timeval every_second = { 1, 0 };
    srv->trim_timer = event_new(srv->base, -1, EV_PERSIST, trim_idle, srv);
    event_add(srv->trim_timer, &every_second);
    if (init_modules(srv) != PL_OK)
        return PL_EINVAL;
    /* Without it the server still serves (parleyctl deluser then cannot end sessions), but
     * never beside another server on the same data_dir. */
    if (control_open(srv, &srv->control) == PL_EEXIST)
        return PL_EEXIST;
    return open_listeners(srv);
}

int server_run(struct server *srv)
{
    /* One turn at a time, so that each turn's time can be taken for /metrics. */
    while (!event_base_got_exit(srv->base) && event_base_loop(srv->base, EVLOOP_ONCE) == 0)
        metrics_turn_done(srv);
    log_info("server", "stopped");
    return PL_OK;
}

static void free_events(struct server *srv)
{
    struct event *evs[] = { srv->reap_ev,   srv->commit_ev,  srv->sig_term,
                            srv->sig_int,   srv->sig_hup,    srv->stop_timer,
                            srv->trim_timer, srv->defer_ev,  srv->delay_ev,
                            srv->coalesce_ev };
    for (size_t i = 0; i < ARRAY_LEN(evs); i++)
        if (evs[i])
            event_free(evs[i]);
    for (size_t i = 0; i < ARRAY_LEN(srv->listeners); i++)
        if (srv->listeners[i])
            evconnlistener_free(srv->listeners[i]);
}

void server_fini(struct server *srv)
{
    free(srv->delayed);
    control_close(srv->control); /* first: no request may find a half-torn server */
    srv->control = NULL;
    srv->reap = NULL; /* every queued connection is still on srv->conns */
    while (srv->conns)
        conn_free(srv->conns);
    http_bind_fini(srv); /* after the connections, which may hold its requests */
    resume_fini(srv);
    confirm_fini(srv);
    free(srv->committing);
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->fini && srv->mod_state[i])
            modules[i]->fini(srv->mod_state[i]);
    if (srv->store.ops) {
        storage_flush(&srv->store);
        storage_close(&srv->store);
    }
    store_wake_close(srv);
    free_events(srv);
    free(srv->deferred); /* calls the stopped loop never ran: their owners are gone */
    if (srv->base)
        event_base_free(srv->base);
    SSL_CTX_free(srv->tls);
    auth_guard_free(srv->auth_guard);
    loglimit_free(srv->listen_log);
    session_table_fini(&srv->sessions);
    sources_fini(&srv->sources);
    if (srv->spare_fd >= 0)
        close(srv->spare_fd);
    buf_fini(&srv->scratch);
    free(srv->auth_features);
    while (srv->n_buf_pool) {
        struct buf *b = srv->buf_pool[--srv->n_buf_pool];
        buf_fini(b);
        free(b);
    }
    server_config_free(srv);
}
