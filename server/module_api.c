/* SPDX-License-Identifier: MIT */
/* The server as feature modules see it: storage, sessions, slots and delivery, behind calls. */
#include "module.h"

#include <event2/event.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "base.h"
#include "c2s.h"
#include "confirm.h"
#include "deliver.h"
#include "hooks.h"
#include "log.h"
#include "server.h"
#include "scram.h"
#include "session.h"
#include "session_end.h"
#include "session_out.h"

struct storage *module_storage(struct server *srv)
{
    return &srv->store;
}

/* The reap event runs at the end of the loop turn and flushes storage after reaping. */
void module_storage_dirty(struct server *srv)
{
    server_commit_soon(srv);
}

void module_storage_dirty_later(struct server *srv)
{
    server_commit_later(srv);
}

int module_storage_commit(struct server *srv)
{
    int rc = storage_flush(&srv->store);
    if (rc != PL_OK)
        srv->commit_failed = true; /* earlier writes of the turn are gone with it */
    return rc;
}

int module_storage_rollback(struct server *srv)
{
    return storage_rollback(&srv->store);
}

void module_defer(struct server *srv, void (*fn)(void *arg), void *arg)
{
    server_defer(srv, fn, arg);
}

/* Formatted here so that log.c keeps one variadic entry point. */
void module_log(enum log_level level, const char *tag, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_msg(level, tag, "%s", line);
}

const char *module_domain(const struct server *srv)
{
    return srv->cfg.domain;
}

long long module_wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int module_archive_key(struct server *srv, long long *key, unsigned long long *tag)
{
    size_t need = ARCHIVE_TAG_BITS / 8;
    if (srv->rand_left < need) {
        if (RAND_bytes(srv->rand_pool, sizeof(srv->rand_pool)) != 1)
            abort(); /* no randomness: ids could be guessed, and the process cannot go on */
        srv->rand_left = sizeof(srv->rand_pool);
    }
    const unsigned char *raw = srv->rand_pool + (srv->rand_left -= need);
    *tag = 0;
    for (size_t i = 0; i < need; i++)
        *tag = *tag << 8 | raw[i];
    int rc = archive_new_key(&srv->store, module_wall_us(), key);
    if (rc != PL_OK)
        log_msg(LOG_ERROR, "archive", "no archive key: %s", pl_strerror(rc));
    return rc;
}

int module_archive_query(struct route_ctx *rc, struct stanza *st, const char *owner)
{
    for (size_t i = 0; i < modules_count; i++) {
        if (modules[i]->archive_query) {
            rc->state = rc->srv->mod_state[i];
            return modules[i]->archive_query(rc->state, rc, st, owner);
        }
    }
    return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
}

void module_archive_appended(struct server *srv)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->archive_appended)
            modules[i]->archive_appended(srv->mod_state[i]);
}

const char *module_muc_domain(const struct server *srv)
{
    return srv->cfg.muc_domain;
}

const char *module_pubsub_domain(const struct server *srv)
{
    return srv->cfg.pubsub_domain;
}

const char *module_data_dir(const struct server *srv)
{
    return srv->cfg.data_dir;
}

const char *module_web_base(const struct server *srv)
{
    return srv->web_base[0] ? srv->web_base : NULL;
}

void module_userdata_stored(struct server *srv, const char *owner, enum userdata_kind kind,
                            const char *name, const struct xel *el)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->userdata_stored)
            modules[i]->userdata_stored(srv->mod_state[i], owner, kind, name, el);
}

void module_presence_prepare(struct server *srv, struct session *sess, struct stanza *st)
{
    hooks_presence_prepare(srv, sess, st);
}

long long module_started(const struct server *srv)
{
    return (long long)srv->started;
}

bool module_account_exists(struct server *srv, const char *bare)
{
    return session_account(&srv->sessions, bare) || server_account_exists(srv, bare);
}

bool module_account_stored(struct server *srv, const char *bare)
{
    return server_account_exists(srv, bare);
}

struct each_session {
    void (*fn)(void *ctx, struct session *sess);
    void *ctx;
};

static void each_session(void *ctx, const char *key, void *value)
{
    (void)key;
    struct each_session *e = ctx;
    e->fn(e->ctx, value);
}

void module_each_session(struct server *srv, void (*fn)(void *ctx, struct session *sess),
                         void *ctx)
{
    struct each_session e = { fn, ctx };
    hmap_each(&srv->sessions.by_full, each_session, &e);
}

int module_account_password(struct server *srv, const char *bare, const char *password,
                            bool create)
{
    struct scram_creds c;
    int err = scram_creds_make(password, (unsigned)srv->cfg.scram_iterations, &c);
    if (err == PL_OK && create)
        err = account_create(&srv->store, bare, &c);
    else if (err == PL_OK)
        err = account_set_creds(&srv->store, bare, &c);
    explicit_bzero(&c, sizeof(c)); /* the keys are enough to impersonate the account */
    return err;
}

unsigned module_end_session(struct session *sess, const char *condition, const char *text)
{
    session_kick(sess->srv, sess, condition, text);
    return 1;
}

unsigned module_end_sessions(struct server *srv, const char *bare, const char *condition,
                             const char *text)
{
    return session_kick_account(srv, bare, NULL, condition, text);
}

int module_account_delete(struct server *srv, const char *bare, const char *text)
{
    int err = account_delete(&srv->store, bare);
    if (err == PL_OK) {
        hooks_account_deleted(srv, bare);
        module_end_sessions(srv, bare, "not-authorized", text);
    }
    return err;
}

int module_slot(const struct module *m)
{
    for (size_t i = 0; i < modules_count && i < MODULE_SLOTS; i++)
        if (modules[i] == m)
            return (int)i;
    return -1;
}

void *module_state(struct server *srv, const struct module *m)
{
    int slot = module_slot(m);
    return slot >= 0 ? srv->mod_state[slot] : NULL;
}

void *module_session_slot_get(const struct session *sess, int slot)
{
    return slot >= 0 && slot < MODULE_SLOTS ? sess->slots[slot] : NULL;
}

void module_session_slot_set(struct session *sess, int slot, void *p)
{
    if (slot >= 0 && slot < MODULE_SLOTS)
        sess->slots[slot] = p;
}

struct session *module_sessions_first(struct server *srv, const char *bare)
{
    struct account_sessions *acct = session_account(&srv->sessions, bare);
    return acct ? acct->first : NULL;
}

struct session *module_sessions_next(const struct session *sess)
{
    return sess->next_resource;
}

struct session *module_session_find(struct server *srv, const char *full)
{
    return session_find(&srv->sessions, full);
}

const struct jid *module_session_jid(const struct session *sess)
{
    return sess->jid;
}

bool module_session_available(const struct session *sess)
{
    return sess->available;
}

int module_session_priority(const struct session *sess)
{
    return sess->priority;
}

const struct stanza *module_session_presence(const struct session *sess)
{
    return sess->presence;
}

void module_session_set_presence(struct session *sess, bool available, int priority,
                                 struct stanza *presence)
{
    bool initial = available && !sess->available;
    bool gone = !available && sess->available;
    sess->available = available;
    sess->priority = priority;
    stanza_unref(sess->presence);
    sess->presence = presence;
    if (initial)
        hooks_session_available(sess->srv, sess);
    else if (gone)
        hooks_session_unavailable(sess->srv, sess);
    if (available)
        hooks_session_presence(sess->srv, sess);
}

void module_send(struct session *sess, const struct stanza *st)
{
    session_send(sess, st, NULL, 0);
}

void module_send_serialized(struct session *sess, const struct stanza *st, const void *bytes,
                            size_t n)
{
    session_send(sess, st, bytes, n);
}

bool module_deliver_copy(struct server *srv, struct session *sess, const struct stanza *copy,
                         const struct stanza *original)
{
    struct filter_verdict v;
    if (module_filter_in(srv, sess->jid->bare, sess, original, &v) != ROUTE_PASS)
        return false;
    session_send(sess, copy, NULL, 0);
    return true;
}

bool module_deliver(struct server *srv, struct session *sess, const struct stanza *st)
{
    return module_deliver_copy(srv, sess, st, st);
}

void module_deliver_message(struct server *srv, struct stanza *st)
{
    deliver_message_from(srv, st, false);
}

void module_send_held(struct session *sess, const struct stanza *st)
{
    struct filter_verdict v; /* a block made while it waited still applies */
    if (module_filter_in(sess->srv, sess->jid->bare, sess, st, &v) != ROUTE_PASS)
        return;
    struct buf *b = server_buf_take(sess->srv);
    stanza_write(st, b);
    session_send_past_gates(sess, b->data, b->len);
    server_buf_give(sess->srv, b);
}

void module_when_confirmed(struct session *sess, void (*fn)(void *arg, bool confirmed),
                           void *arg)
{
    confirm_when(sess, fn, arg);
}

int module_send_slices(struct session *sess,
                       bool (*next)(void *arg, struct buf *out, size_t budget),
                       void (*release)(void *arg), void *arg)
{
    struct transport *t = sess->tp;
    if (!t) {
        release(arg);
        return PL_ECLOSED;
    }
    int rc = t->ops->send_slices(t, next, release, arg);
    if (rc == PL_OK && sess->sm) { /* one stanza the client counts, never sent again */
        sm_sent(sess->sm, NULL, 0);
        c2s_sm_sent(t, sess->sm);
    }
    return rc;
}

void module_memory_released(struct server *srv, size_t bytes)
{
    srv->released_bytes += bytes;
}

unsigned module_send_available(struct server *srv, const char *bare, const struct stanza *st,
                               const struct session *except)
{
    return deliver_to_resources(srv, bare, st, INT_MIN, except);
}

void module_fanout_init(struct fanout *f)
{
    *f = (struct fanout){ .st = NULL };
    buf_init(&f->bytes);
    buf_init(&f->line);
}

void module_fanout_fini(struct fanout *f)
{
    buf_fini(&f->bytes);
    buf_fini(&f->line);
}

void module_fanout_set(struct fanout *f, const struct stanza *st)
{
    buf_reset(&f->bytes);
    stanza_write(st, &f->bytes);
    f->head = 1 + strlen(st->root->name);
    f->st = st;
}

bool module_fanout_deliver(struct server *srv, struct fanout *f, struct session *sess)
{
    struct filter_verdict v;
    if (module_filter_in(srv, sess->jid->bare, sess, f->st, &v) != ROUTE_PASS)
        return false;
    struct buf *b = &f->line;
    buf_reset(b);
    /* one write per stanza: stream management counts stanzas, client state sees each */
    stanza_splice_to(b, f->bytes.data, f->bytes.len, f->head, sess->jid->full);
    session_send_bulk(sess, f->st, b->data, b->len);
    return true;
}
