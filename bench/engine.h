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
struct evbuffer;
struct ws_client;

/* One session. Lives in the engine's array for the whole run; reused after a close. */
struct client {
    struct engine *eng;
    unsigned num; /* account number: the %d of --users */
    enum client_state state;
    int fd;
    struct bufferevent *bev;
    struct ws_client *ws; /* --transport ws: the WebSocket under the stream, owned */
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
    char header[512]; /* our stream header (ws: <open/>), written once per stream */
    size_t header_len;
    const char *footer; /* our end of the stream: </stream:stream>, or ws: <close/> */
    const char *xmlns;  /* what a stanza's start tag declares: see client_xmlns */
    char ws_host[300];  /* ws: the Host header of the upgrade, domain:port */
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
/*
 * The namespace declaration a stanza's start tag carries after its name, e.g.
 * "<message%s to=...", client_xmlns(c): over a WebSocket each message is a document of its own
 * and declares jabber:client (RFC 7395 §3.3.3; Prosody reads an undeclared one as no
 * namespace); on TCP the stream's default serves, and it is "".
 */
static inline const char *client_xmlns(const struct client *c)
{
    return c->eng->xmlns;
}

/*
 * Output, written out by the loop in one batch. Each call sends one whole element: over a
 * WebSocket it is one message (RFC 7395 §3.3.3), so an element is never sent in pieces. The
 * stanza calls count it for stream management (XEP-0198); the others are for the rest (SASL,
 * stream management's own elements, the stream's end).
 */
void client_send(struct client *c, const void *data, size_t n);
void client_stanza_send(struct client *c, const void *data, size_t n);
void client_printf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_stanza_printf(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Fails clients still logging in, or still ending their stream, timeout_us after the start. */
void engine_expire(struct engine *e, uint64_t now_us, uint64_t timeout_us);
/* Ends every stream politely (the closing tag goes out with the next write); closes from
 * then on are not failures. engine_fini closes what is left, without calling the hooks. */
void engine_close_all(struct engine *e);

/* Protocol side (client_xmpp.c). */
extern const struct parser_events client_parser_events;
/* Writes our stream header: at connect, after STARTTLS and after SASL success. */
void client_send_header(struct client *c);

/* WebSocket transport (client_ws.c), for --transport ws. */
/* Sends the upgrade request and readies the parser for framed input. PL_OK, or PL_EIO. */
int client_ws_start(struct client *c);
/* Reads the server's bytes: the 101, then frames; each message goes to the parser. */
void client_ws_feed(struct client *c, struct evbuffer *in);
/* Sends one element as one text message (dropped before the 101 and after a close). */
void client_ws_send(struct client *c, const void *data, size_t n);
/* True between the server's 101 and the WebSocket's end. */
bool client_ws_is_open(const struct client *c);
/* Starts the WebSocket's closing handshake; false when it is not open. */
bool client_ws_close(struct client *c);
void client_ws_free(struct client *c);

#endif
