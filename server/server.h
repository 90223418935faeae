/* SPDX-License-Identifier: MIT */
/* Process state: configuration, event loop, TLS, storage, sessions and module states. */
#ifndef PL_SERVER_H
#define PL_SERVER_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "caps.h"
#include "listener.h"
#include "metrics.h"
#include "options.h"
#include "session.h"
#include "sources.h"
#include "storage.h"
#include "stream.h"

struct event_base;
struct event;
struct evconnlistener;
struct conn;
struct auth_guard;
struct loglimit;
struct control;
typedef struct ssl_ctx_st SSL_CTX;

/* A resumption id whose session has ended, and its count (a late <resume/> learns h). */
#define RESUME_GONE 256
struct resume_gone {
    char id[SM_ID_LEN + 1];
    char bare[128];
    uint32_t h;
};

/* A call queued by module_defer. */
struct deferred_call {
    void (*fn)(void *arg);
    void *arg;
};

struct server {
    struct server_config cfg;
    struct event_base *base;
    SSL_CTX *tls;
    struct storage store;
    struct stream_config stream_cfg;
    struct stream_feature *auth_features; /* the modules' stream features, owned */
    char caps_ver[CAPS_VER_LEN + 1];      /* XEP-0115 hash of the server's disco#info */
    struct session_table sessions;
    struct auth_guard *auth_guard; /* login and registration throttling */
    void *mod_state[MODULE_SLOTS];
    void *mod_opts[MODULE_SLOTS];
    struct conn *conns; /* every live connection */
    size_t n_conns;
    unsigned long next_conn_id;
    struct conn *reap; /* connections to free at the end of this loop turn */
    struct event *reap_ev;
    struct event *commit_ev; /* the group commit, commit_delay_us after the first write */
    long commit_delay_us;    /* commit_interval_ms, longer while commits are costly */
    uint64_t commit_due_us;  /* when commit_ev fires (clock_now_us), while it is pending */
    struct event *sig_term, *sig_int, *stop_timer;
    struct event *sig_hup;    /* reopens the log, reloads the TLS certificate and key */
    struct control *control;  /* parleyctl's channel to the running server */
    struct event *trim_timer; /* the idle sweep, once a second */
    struct event *defer_ev;   /* runs the calls of module_defer at the next loop turn */
    struct deferred_call *deferred; /* queued calls, in order */
    size_t n_deferred;
    struct evconnlistener *listeners[LISTEN_KINDS];
    struct hmap bosh_sessions;       /* BOSH sid -> its session (http_bind.c) */
    struct bosh_limits *bosh_limits; /* what BOSH sessions may negotiate, owned */
    char web_base[300];              /* module_web_base ("" when the web front is off) */
    struct metrics metrics;          /* /metrics' counters */
    struct sources sources; /* live connections per source address, for the per-source caps */
    int spare_fd;           /* kept open to accept and refuse one peer when out of descriptors */
    struct loglimit *listen_log; /* refusals (per source) and accept failures, for the log */
    time_t started;
    bool stopping;
    struct buf scratch; /* serialization buffer, reused for every delivery */
    struct buf *buf_pool[8]; /* server_buf_take's spare buffers */
    size_t n_buf_pool;
    size_t released_bytes; /* freed since the last trim: closed connections, module_memory_released */
    struct hmap resumable; /* stream management resumption id -> session */
    struct resume_gone gone[RESUME_GONE]; /* ids of sessions that ended, newest last */
    size_t gone_next;
    struct session **committing; /* stream management counts waiting for the turn's commit */
    size_t n_committing, cap_committing;
    bool commit_failed; /* a commit of this turn failed (module_storage_commit) */
    struct session **confirming; /* sessions with module_when_confirmed calls waiting */
    size_t n_confirming, cap_confirming;
    struct event *confirm_ev; /* polls them while any wait */
    /* Random bytes for archive tags, drawn in bulk: RAND_bytes costs about a microsecond a
     * call, whatever the size. */
    unsigned char rand_pool[1536];
    size_t rand_left;
    long coalesce_us;          /* fan-out waits this long to share a write; 0: not now */
    struct event *coalesce_ev; /* the load watch that sets it */
    uint64_t coalesce_cpu_us, coalesce_wall_us; /* at the watch's last tick */
    struct conn **delayed;     /* connections with output held back (conn_delay.c) */
    size_t n_delayed, cap_delayed;
    struct event *delay_ev;    /* hands it to the sockets */
    int wake_fd;              /* the store's readers signal completions here (store_wake.c) */
    struct event *wake_ev;
};

/* Loads the config at path (errors appended to err as "file:line: message").
 * Returns PL_OK or PL_EINVAL / PL_EIO. */
int server_load_config(struct server *srv, const char *path, struct buf *err);
/* Frees what server_load_config stored (the options' strings, the modules' option structs). */
void server_config_free(struct server *srv);
/* Opens storage, TLS, modules and listeners. Returns PL_OK or an error (logged). */
int server_start(struct server *srv);
/* Runs the loop until SIGTERM/SIGINT, then closes streams gracefully and flushes storage. */
int server_run(struct server *srv);
void server_fini(struct server *srv);
/* Wires the store's completion wake-up to the loop (server/store_wake.c); the store must be
 * open and the event base made. close is called after the store is closed. */
int store_wake_open(struct server *srv);
void store_wake_close(struct server *srv);

/* Path of the SQLite database inside data_dir (owned by the caller). */
char *server_db_path(const struct server_config *cfg);
/* Does a local account exist for this bare JID? */
bool server_account_exists(struct server *srv, const char *bare);
/* Is domain (prepared) the one this server hosts? */
bool server_hosts(const struct server *srv, const char *domain);
/* The registry position of the module serving domain (prepared) as a service of its own
 * (struct module's service_domain), or -1. */
int server_service(const struct server *srv, const char *domain);
/* Queues fn(arg) for the next loop turn, after the sockets that are ready (module_defer). */
void server_defer(struct server *srv, void (*fn)(void *arg), void *arg);
/* A serialization buffer of the server's pool (empty), and back: nested fan-outs each get
 * their own without allocating in steady state. */
struct buf *server_buf_take(struct server *srv);
void server_buf_give(struct server *srv, struct buf *b);
/* Commits the batch within commit_interval_ms (group commit), then sends what waited for it. */
void server_commit_soon(struct server *srv);
/* Commits the batch within commit_lazy_ms, or sooner if asked: for writes that nobody was
 * promised, which then share fewer, fuller commits. */
void server_commit_later(struct server *srv);
/* A connection has died: queue it for freeing at the end of the loop turn. */
void server_reap(struct server *srv, struct conn *c);

/* XEP-0115: hashes the server's disco#info into srv->caps_ver and has sc announce it
 * (server/disco.c). */
void disco_caps_init(struct server *srv, struct stream_config *sc);

#endif
