/* SPDX-License-Identifier: MIT */
/* What a feature module exports: routes, disco features, options and lifecycle hooks. */
#ifndef PL_MODULE_H
#define PL_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "options.h" /* enum log_level */
#include "storage.h" /* enum userdata_kind */
#include "router.h"

struct server;
struct session;
struct stream_feature;
struct message_event;

/* ---- HTTP requests the web front hands to a module (struct module's web_routes) ---- */

/* One whole request, borrowed for the call. */
struct web_request {
    const char *method;
    const char *path; /* without query, e.g. /upload/3f2a.../photo.jpg */
    const char *base; /* scheme://host:port as the client reached the server */
    const char *body; /* the whole body ("" when empty) */
    size_t body_len;
    const char *peer; /* the client's address, for logs */
    /* A header's first value (case-insensitive name), NULL when absent. */
    const char *(*header)(const struct web_request *rq, const char *name);
    const void *impl; /* the front's, for header */
};

/* The module's answer: status and, for 2xx/3xx, type and body (owned by the front); for
 * 4xx/5xx, message (static) becomes the JSON error body. */
struct web_answer {
    int status;
    const char *type;
    struct buf *body;
    const char *message;
    char headers[512]; /* extra header lines, each ended by \r\n */
};

struct web_route {
    const char *prefix;  /* the paths it serves, e.g. "/upload/" */
    const char *methods; /* those it answers, space-separated, e.g. "GET HEAD PUT" */
    /* Largest PUT body it takes (0: the front's http_max_body_bytes), read at start. */
    size_t (*max_put_bytes)(void *state);
    void (*serve)(void *state, const struct web_request *rq, struct web_answer *an);
};

/* A stanza policy's decision between two parties: allowed (ROUTE_PASS), dropped silently
 * (ROUTE_DONE) or refused with an error to the sender (ROUTE_ERROR(cond)), which may carry one
 * application-specific condition element (e.g. <blocked xmlns='urn:xmpp:blocking:errors'/>). */
struct filter_verdict {
    int res;
    const char *app_name; /* NULL: none */
    const char *app_ns;
};

/*
 * One message from a local account (or re-delivered by the server) to a local account, as the
 * delivery core sees it. Only messages reach the hooks; error, groupchat and headline ones
 * too, so each module picks what it keeps. Strings are borrowed for the call.
 */
struct message_event {
    struct server *srv;
    struct stanza *st;            /* the message; only message_prepare may change it */
    const struct session *sender; /* the sending session; NULL when the server sends */
    const char *from_bare;        /* sender's account (NULL: not a local account) */
    const struct jid *to;         /* the recipient as addressed (bare or full) */
    bool replay;                  /* the server re-delivers a message it already handled
                                   * (offline flush, an expired SM session's queue): it is
                                   * already archived and must not be copied again */
    unsigned delivered;           /* done: resources that got it */
    bool stored;                  /* done: a module kept it for later (undelivered) */
    const struct session *delivered_to; /* done: the resource that got it, when only one */
};

struct module {
    const char *name;
    /* Options read from the module's [name] section into a struct of options_size bytes. */
    const struct cfg_opt *options;
    size_t n_options;
    size_t options_size;
    const struct route *routes;
    size_t n_routes;
    /* Disco#info features the module provides (NULL-terminated, may be NULL). */
    const char *const *features;
    /* Stream features the module announces after authentication (ended by a NULL name, may
     * be NULL), e.g. XEP-0352's <csi/>. */
    const struct stream_feature *stream_features;
    /* Creates the module's state; opts points at its parsed options. PL_OK or an error. */
    int (*init)(struct server *srv, const void *opts, void **state);
    void (*fini)(void *state);
    /* A resource was bound / has gone: session_close runs at the end of the loop turn in
     * which the connection ended, after the session left the table. */
    void (*session_open)(void *state, struct session *sess);
    void (*session_close)(void *state, struct session *sess);
    /* Stanza policy (privacy lists, blocking), both optional; see module_filter_out/_in. Each
     * fills v and returns v->res. */
    int (*filter_out)(void *state, const char *owner, const struct session *sender,
                      const char *to, const struct stanza *st, struct filter_verdict *v);
    int (*filter_in)(void *state, const char *owner, const struct session *sess,
                     const struct stanza *st, struct filter_verdict *v);
    /* A message between local accounts, in three steps (all optional; see struct
     * message_event): prepare before delivery (stamp or strip children of ev->st),
     * undelivered when no resource took it and the recipient's account-wide policy lets it in
     * (keep it for later: ROUTE_DONE kept or dropped on purpose, ROUTE_ERROR(cond) refuse,
     * ROUTE_PASS not this module's business; a module that keeps it sets ev->stored), done
     * afterwards, for messages delivered or kept (record it, copy it); a refused message
     * reaches no done. */
    void (*message_prepare)(void *state, struct message_event *ev);
    int (*message_undelivered)(void *state, struct message_event *ev);
    void (*message_done)(void *state, const struct message_event *ev);
    /* Output gate: every stanza on its way to sess passes here first (presence, messages,
     * iq); returning true means the module kept it (stanza_ref) to send later with
     * module_send_held. Keep it cheap: it runs per recipient. */
    bool (*session_hold)(void *state, struct session *sess, const struct stanza *st);
    /* sess sent its initial presence (it became available). */
    void (*session_available)(void *state, struct session *sess);
    /* sess sent available presence, its initial one or a change: module_session_presence
     * holds it. Runs after session_available. */
    void (*session_presence)(void *state, struct session *sess);
    /* sess's available presence st is about to go to its subscribers: the module may add
     * to it (XEP-0153's avatar hash). */
    void (*presence_prepare)(void *state, struct session *sess, struct stanza *st);
    /* sess, available until now, is no longer: it sent unavailable presence (it may stay
     * bound), or its session ends. Runs before session_close. */
    void (*session_unavailable)(void *state, struct session *sess);
    /* A service on a domain of its own (group chat on muc_domain): the domain (prepared), or
     * NULL. Every stanza addressed to it or to a JID at it goes to service_route, once the
     * router has checked it (IN phase) and the sender's outbound policy let it out; the
     * route's result is handled as a route handler's. Only bound sessions reach a service. */
    const char *(*service_domain)(const struct server *srv);
    int (*service_route)(struct route_ctx *rc, struct stanza *st);
    /* The message archive's service to other modules (module_archive_query and
     * module_archive_appended); NULL: this module keeps no archive. */
    int (*archive_query)(void *state, struct route_ctx *rc, struct stanza *st,
                         const char *owner);
    void (*archive_appended)(void *state);
    /* A request on parleyctl's channel to the running server that the core does not know
     * (server/control.c): the module appends its one-line answer ("ok ..." or "error ...")
     * to out and returns true, or returns false when the request is not its. */
    bool (*control)(void *state, const char *line, struct buf *out);
    /* Disco#info features a local account's bare JID offers (NULL-terminated, may be NULL),
     * e.g. its message archive. */
    const char *const *account_features;
    /* bare's account was deleted (its stored data went with it): forget what is kept of it
     * in memory. Its sessions end after this. */
    void (*account_deleted)(void *state, const char *bare);
    /* owner's vCard or private XML fragment (kind, name) was stored as el (committed). */
    void (*userdata_stored)(void *state, const char *owner, enum userdata_kind kind,
                            const char *name, const struct xel *el);
    /* A disco#info identity a local account's bare JID has besides account/registered
     * (XEP-0163's pubsub/pep), as "category/type"; NULL: none. */
    const char *account_identity;
    /* Paths of the web front (http_port, https_port) the module answers (may be NULL). */
    const struct web_route *web_routes;
    size_t n_web_routes;
    /* Appends the module's figures to a /metrics answer, in the Prometheus text format
     * (each family with its # HELP and # TYPE lines, names starting parley_); optional. */
    void (*metrics)(void *state, struct buf *out);
};

/* The static registry (server/modules.c). */
extern const struct module *const modules[];
extern const size_t modules_count;

/*
 * Stanza policy across all modules (server/filter.c); the first module that does not allow
 * decides. Stanzas between resources of one account, and stanzas without 'from', are always
 * allowed. Both return v->res (see struct filter_verdict).
 * module_filter_out: may account `owner` send st to the JID `to`? sender is the sending
 *   session, or NULL when the server acts for the account (e.g. presence broadcast or probe
 *   answers on its behalf), in which case the account-wide (default) policy applies.
 * module_filter_in: may st (from st->from) reach owner's session sess? sess NULL asks for the
 *   account as a whole: stanzas the server handles on its behalf or keeps while it is offline.
 * Delivery (deliver.c) and the router already ask for everything they route; a module that
 * sends a stanza between two accounts itself (presence broadcast, probe answers) asks both.
 */
int module_filter_out(struct server *srv, const char *owner, const struct session *sender,
                      const char *to, const struct stanza *st, struct filter_verdict *v);
int module_filter_in(struct server *srv, const char *owner, const struct session *sess,
                     const struct stanza *st, struct filter_verdict *v);
/* The error reply a refusing verdict sends to st's sender (owned), or NULL when st must not be
 * answered (an error or a result, or a verdict that drops). */
struct stanza *module_filter_error(const struct stanza *st, const struct filter_verdict *v);

/*
 * What a feature module may ask of the server (server/module_api.c), so that feature folders
 * need only this header, router.h and storage.h. Sessions and stanzas returned are borrowed.
 */
struct storage;
struct jid;

/* The server's store; writes made through it join the loop turn's batch. */
struct storage *module_storage(struct server *srv);
/* Asks for the batch to be committed soon: within commit_interval_ms, or up to
 * commit_interval_max_ms while commits are costly (group commit). Stream
 * management acks and confirmations wait for that commit. */
void module_storage_dirty(struct server *srv);
/* Asks for the batch to be committed within commit_lazy_ms, for writes on which nothing is
 * promised (the archived copy of a delivered message): fewer, fuller commits. A
 * module_storage_dirty or an acknowledgement waiting brings the commit forward. */
void module_storage_dirty_later(struct server *srv);
/* Commits the batch now, for an acknowledgement that promises durability: send it only when
 * this returns PL_OK. On failure the batch is lost (rolled back) and an error returned. */
int module_storage_commit(struct server *srv);
/* Drops the batch now (writes of a request that failed half-way). PL_OK or an error. */
int module_storage_rollback(struct server *srv);
/* The wall clock in microseconds since the epoch (timestamps that leave the process). */
long long module_wall_us(void);
/* A fresh archive key (archive_new_key, now) and random tag: a message's row in the archive
 * and its stanza-id (archive_sid_format). Keys grow with time, so the archive only appends.
 * PL_OK, or the store's error (logged). */
int module_archive_key(struct server *srv, long long *key, unsigned long long *tag);
/* Answers an XEP-0313 iq (query, form, metadata) on owner's archive for rc's sender, as the
 * archive module answers an account about its own: for a room's archive, whose rights the
 * caller checked. A route result; service-unavailable when no module keeps an archive. */
int module_archive_query(struct route_ctx *rc, struct stanza *st, const char *owner);
/* A message was appended to the archive outside the archive module (a room's): it counts
 * toward the next batch of the full-text index. */
void module_archive_appended(struct server *srv);
/* The domain this server hosts (prepared). */
const char *module_domain(const struct server *srv);
/* The domain of group chat (muc_domain, prepared). */
const char *module_muc_domain(const struct server *srv);
/* owner's vCard or private XML fragment was stored (profile/ calls this after its commit):
 * every module's userdata_stored hook runs. */
void module_userdata_stored(struct server *srv, const char *owner, enum userdata_kind kind,
                            const char *name, const struct xel *el);
/* The domain of the publish-subscribe service (pubsub_domain, prepared). */
const char *module_pubsub_domain(const struct server *srv);
/* The folder of the server's state (data_dir), for a module's files. */
const char *module_data_dir(const struct server *srv);
/* Where clients reach the web front, for URLs handed out: https://<domain>:<https_port>, or
 * http://<domain>:<http_port> when HTTPS is off; NULL when both are off. */
const char *module_web_base(const struct server *srv);
/* sess is about to broadcast st, its available presence: every module's presence_prepare
 * may add to it first (the presence module calls this). */
void module_presence_prepare(struct server *srv, struct session *sess, struct stanza *st);
/* When the server started (seconds since the epoch). */
long long module_started(const struct server *srv);
/* Does a local account exist for bare (online or stored)? */
bool module_account_exists(struct server *srv, const char *bare);
/* Creates the account bare (create) or changes its password: SCRAM credentials derived from
 * password with the configured iterations, joining the batch. PL_EEXIST when creating one
 * that exists, PL_ENOTFOUND when changing one that does not. */
int module_account_password(struct server *srv, const char *bare, const char *password,
                            bool create);
/* Deletes the account bare (its data goes with it) and ends its sessions with
 * not-authorized and text; PL_ENOTFOUND when there is none. */
int module_account_delete(struct server *srv, const char *bare, const char *text);
/* Ends sess (stream error condition with text); returns 1. */
unsigned module_end_session(struct session *sess, const char *condition, const char *text);
/* Ends every session of bare (stream error condition with text); returns how many. */
unsigned module_end_sessions(struct server *srv, const char *bare, const char *condition,
                             const char *text);
/* Is bare in the store? Sessions of a deleted account linger until they are ended: keep
 * nothing for it then, its name may be someone else's soon. */
bool module_account_stored(struct server *srv, const char *bare);
/* Runs fn(arg) at the next loop turn, after the I/O that is ready by then, so that long work
 * can go in slices without stalling other sessions. Calls run in the order queued; arg stays
 * the caller's (it must outlive the call, e.g. the module's state). A call still queued when
 * the loop stops never runs: module fini must not count on it. */
void module_defer(struct server *srv, void (*fn)(void *arg), void *arg);
/* One log line under tag (server/log.c's format and runtime threshold; lines past 1 KiB are
 * cut). Never pass message bodies or credentials above LOG_DEBUG. */
void module_log(enum log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The state m's init made (NULL when m is not registered or has no state). */
void *module_state(struct server *srv, const struct module *m);
/* The registry position of m, i.e. its per-session slot; -1 when m is not registered. */
int module_slot(const struct module *m);
/* The module's per-session pointer at slot (owned by the module; NULL until set). */
void *module_session_slot_get(const struct session *sess, int slot);
void module_session_slot_set(struct session *sess, int slot, void *p);

/* Calls fn for every bound session (in no particular order); fn must not end sessions. */
void module_each_session(struct server *srv, void (*fn)(void *ctx, struct session *sess),
                         void *ctx);
/* The account's bound resources: first (NULL when none online), then next. */
struct session *module_sessions_first(struct server *srv, const char *bare);
struct session *module_sessions_next(const struct session *sess);
/* The session bound to a full JID, or NULL. */
struct session *module_session_find(struct server *srv, const char *full);
const struct jid *module_session_jid(const struct session *sess);
bool module_session_available(const struct session *sess);
int module_session_priority(const struct session *sess);
/* The session's last available presence (NULL when unavailable). */
const struct stanza *module_session_presence(const struct session *sess);
/* Records availability: presence (owned by the session from now on, may be NULL) replaces
 * the previous one, which is released. */
void module_session_set_presence(struct session *sess, bool available, int priority,
                                 struct stanza *presence);

/* Sends st to one session (through the session_hold gates; no policy asked: for the server's
 * own answers and for stanzas between resources of one account). */
void module_send(struct session *sess, const struct stanza *st);
/* Delivers st (from st->from) to one session the way a live stanza is: the recipient's
 * policy is asked once, then the session_hold gates. Returns true when it went out (or was
 * held). For offline flushes, carbon copies and every stanza a module hands to someone. */
bool module_deliver(struct server *srv, struct session *sess, const struct stanza *st);
/* Delivers copy (a wrapper from the account itself: carbons, archive results) to one session,
 * asking the recipient's policy about the original it carries. Returns true when sent. */
bool module_deliver_copy(struct server *srv, struct session *sess, const struct stanza *copy,
                         const struct stanza *original);
/* Sends st that a session_hold gate kept, past every gate (in the order the module chose),
 * unless the recipient's policy now refuses it. */
void module_send_held(struct session *sess, const struct stanza *st);
/* fn(arg, true) runs once everything sent to sess so far has reached the client: acked
 * under stream management, written to its socket without it; fn(arg, false) when the
 * session ends (or its resumption window passes) first. Runs from the event loop, never
 * from inside this call. */
void module_when_confirmed(struct session *sess, void (*fn)(void *arg, bool confirmed),
                           void *arg);
/* Sends st, already serialized into bytes (fan-out serializes once), to one session; like
 * module_send otherwise. */
void module_send_serialized(struct session *sess, const struct stanza *st, const void *bytes,
                            size_t n);
/* Delivers a message from a service (st->from a room, say) to the local JID st->to the way
 * the router delivers one: to the account's resources, or kept offline; archived. */
void module_deliver_message(struct server *srv, struct stanza *st);
/* Sends a long reply to one session in slices, at its reader's pace (conn_send_slices in
 * server/conn.h): next appends about budget bytes and returns true with the last slice;
 * release(arg) runs once, when done or when the connection goes (also when this fails).
 * Other stanzas to the session wait behind the reply. PL_OK, PL_ELIMIT or PL_ECLOSED. */
int module_send_slices(struct session *sess,
                       bool (*next)(void *arg, struct buf *out, size_t budget),
                       void (*release)(void *arg), void *arg);
/* A module freed a large structure (bytes): the server gives free heap pages back to the
 * system soon after, so that memory an account used does not stay with the process. */
void module_memory_released(struct server *srv, size_t bytes);
/*
 * A stanza serialized once for a fan-out to many sessions, without 'to': each send splices the
 * recipient's full JID in. The caller owns the struct (init/fini) and keeps st alive while it
 * sends; module_fanout_set may be called again for the next stanza (buffers are reused).
 */
struct fanout {
    struct buf bytes; /* st serialized without 'to' */
    size_t head;      /* where 'to' goes: just after the element name */
    struct buf line;  /* one recipient's bytes */
    const struct stanza *st;
};
void module_fanout_init(struct fanout *f);
void module_fanout_fini(struct fanout *f);
/* Serializes st (which must have no 'to') into f. */
void module_fanout_set(struct fanout *f, const struct stanza *st);
/* Delivers f's stanza to sess, addressed to its full JID: the recipient's policy is asked (as
 * module_deliver does), then the hold gates. Returns true when it went out (or was held). */
bool module_fanout_deliver(struct server *srv, struct fanout *f, struct session *sess);

/* Serializes st once and sends it to every available resource of bare, skipping except.
 * Returns the number of recipients. */
unsigned module_send_available(struct server *srv, const char *bare, const struct stanza *st,
                               const struct session *except);

#endif
