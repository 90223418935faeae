/* SPDX-License-Identifier: MIT */
/* The client engine: many XMPP client sessions on one libevent loop, and their events. */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "hist.h"
#include "keycache.h"
#include "net.h"
#include "opts.h"
#include "parser.h"
#include "sasl_client.h"

/* Monotonic microseconds: every timestamp in the bot. */
static inline uint64_t pb_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

enum client_state {
    CL_IDLE,        /* not started, or closed and ready to start again */
    CL_CONNECTING,  /* TCP/TLS connect, stream header, features */
    CL_STARTTLS,    /* <starttls/> sent */
    CL_AUTH,        /* SASL exchange */
    CL_BINDING,     /* bind iq sent */
    CL_REGISTERING, /* XEP-0077 iq sent */
    CL_RESUMING,    /* XEP-0198 <resume/> sent instead of a bind */
    CL_ONLINE,      /* bound, initial presence sent */
};

struct engine;

/* One session. Lives in the engine's array for the whole run; reused after a close. */
struct client {
    struct engine *eng;
    unsigned num; /* account number: the %d of --users */
    enum client_state state;
    int fd;
    struct bufferevent *bev;
    struct parser *parser;
    struct sasl_client *sasl; /* during authentication only, owned */
    char *user;               /* account name, owned */
    char *jid;                /* bound full JID, XML-escaped for attributes, owned */
    size_t live_pos;          /* the scenario's bookkeeping (index in its online list) */
    uint64_t start_us;        /* connect start, for the login latency */
    bool tls_on;
    bool authed;
    bool in_feed;      /* inside parser_feed: closing must wait */
    bool want_close;   /* close once the feed returns */
    bool want_tls;     /* switch to TLS once the feed returns */
    bool want_restart; /* new stream once the feed returns */
    bool close_failed; /* the close asked for during a feed is a failure */
    bool ending;       /* our closing tag is out (client_end): the server's end is no failure */
    bool sm_on;        /* XEP-0198: <enable/> is out; stanzas count from here */
    bool sm_enabled;   /* the server said <enabled/> */
    uint32_t sm_out;   /* stanzas sent since <enable/> */
    uint32_t sm_in;    /* stanzas received since <enabled/>: the h of our acks */
    uint32_t sm_acked; /* the server's last h: how many of ours it has handled */
    char *sm_id;       /* the server's resumption id (<enabled id=''/>), owned; kept across a
                        * client_drop for the <resume/> of the next start */
    bool resuming;     /* the next start resumes sm_id instead of binding a resource */
    uint32_t resume_h; /* sm_in when the connection was dropped: the h of our <resume/> */
};

/* What scenarios hear about; ctx is engine.ctx. Called from the loop, never re-entrantly. */
struct engine_hooks {
    void (*online)(void *ctx, struct client *c, uint64_t now_us);
    void (*message)(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us);
    /* After a close (failed or deliberate); the client may be started again. */
    void (*closed)(void *ctx, struct client *c, bool failed);
    /* Presence stanzas (MUC joins answer with presence); NULL drops them. */
    void (*presence)(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us);
    /* Results and errors of iqs the scenario sent (not bind or registration); NULL drops them. */
    void (*iq_result)(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us);
};

struct engine {
    struct event_base *base;
    SSL_CTX *tls;
    const struct bench_opts *o;
    struct net_addr server;
    struct net_sources sources;
    struct keycache *keys;
    struct parser_limits limits;
    struct engine_hooks hooks;
    void *ctx;
    struct client *clients; /* o->count of them, clients[i].num = o->first + i */
    size_t n;
    char header[512]; /* our stream header, written once per stream */
    size_t header_len;
    /* counters */
    unsigned in_flight; /* started and neither online nor closed */
    unsigned online;
    uint64_t logins, failures, registered, errors;
    uint64_t sm_enabled, sm_acks; /* sessions with stream management on; acks received */
    uint64_t sm_unacked;          /* stanzas the server never acked, at each session's close */
    uint64_t resumed;             /* sessions resumed (XEP-0198 <resumed/>) */
    struct hist resume_us;        /* connect start to <resumed/> */
    struct hist login_us; /* connect start to bind result */
    char last_error[160];
    uint64_t now_us; /* clock read once per batch of input */
    bool closing;    /* shutting down: closes are not failures */
};

/* Sets up the loop, TLS context, addresses and clients. Returns PL_OK, or PL_EINVAL with a
 * message on stderr. */
int engine_init(struct engine *e, const struct bench_opts *o, const struct engine_hooks *h,
                void *ctx);
void engine_fini(struct engine *e);
/* Starts connecting an idle client. Returns PL_OK, or PL_EIO (counted as a failure). */
int client_start(struct client *c);
/* Closes now, or once the current feed returns. failed counts it and keeps why. */
void client_close(struct client *c, bool failed, const char *why);
/*
 * Ends an online session the clean way: sends </stream:stream> and waits for the server's
 * own closing tag or EOF, which then close the client without counting a failure. c->ending
 * stays set after that close, for the closed hook, until the next client_start.
 */
void client_end(struct client *c);
/*
 * Drops an online session's connection the way a lost network does: no closing tag, no TLS
 * close_notify, no failure counted. With a resumption id the next client_start resumes it.
 */
void client_drop(struct client *c);
/* The output buffer: append stanzas; the loop writes them out in one batch. */
struct evbuffer *client_output(struct client *c);
/* The output buffer for one whole stanza: counted for stream management (XEP-0198). */
struct evbuffer *client_stanza_output(struct client *c);
/* Appends formatted bytes to the output. */
void client_printf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fails clients still logging in, or still ending their stream, timeout_us after the start. */
void engine_expire(struct engine *e, uint64_t now_us, uint64_t timeout_us);
/* Ends every stream politely (the closing tag goes out with the next write); closes from
 * then on are not failures. engine_fini closes what is left, without calling the hooks. */
void engine_close_all(struct engine *e);

/* Protocol side (client_xmpp.c). */
extern const struct parser_events client_parser_events;
/* Writes our stream header: at connect, after STARTTLS and after SASL success. */
void client_send_header(struct client *c);

#endif
