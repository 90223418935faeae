/* SPDX-License-Identifier: MIT */
/* XEP-0160 offline storage: keeps chat and normal messages for accounts with no available
 * resource, within a per-account quota, and hands them over at the next initial presence. */
#include "offline.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "storage.h"

struct offline_opts {
    long max_messages;
};

int offline_store(struct offline *o, const char *owner, const struct stanza *st,
                  bool check_quota)
{
    struct storage *store = module_storage(o->srv);
    if (check_quota) {
        size_t n;
        if (offline_count(store, owner, &n) != PL_OK)
            return PL_EIO;
        if (n >= (size_t)o->max_messages)
            return PL_ELIMIT;
    }
    /* Not time(): its coarse clock may still show the last second for a few milliseconds. */
    long long now = module_wall_us() / 1000000;
    const char *domain = module_domain(o->srv);
    buf_reset(&o->scratch);
    if (!offline_serialize(st, domain, now, &o->scratch))
        return PL_EIO;
    struct offline_row row = { .stamp = now,
                               .stanza_id = offline_stanza_id(st, owner),
                               .xml = o->scratch.data,
                               .xml_len = o->scratch.len };
    int rc = offline_put(store, owner, &row);
    o->writes += rc == PL_OK;
    if (rc == PL_EEXIST)
        rc = PL_OK; /* kept already (e.g. again after a stream-management session expired) */
    if (rc == PL_OK)
        module_storage_dirty(o->srv); /* durable at the turn's end, before any ack goes */
    return rc;
}

/* Only the server stamps a delay from its own domain (offline_from_store trusts it): one a
 * sender wrote itself is taken out of a live message. */
static void offline_prepare(void *state, struct message_event *ev)
{
    struct offline *o = state;
    if (ev->replay)
        return;
    struct xel *c = ev->st->root->first;
    while (c) {
        struct xel *next = c->next;
        const char *from = c->name && strcmp(c->name, "delay") == 0 && c->ns &&
                                   strcmp(c->ns, NS_DELAY) == 0
                               ? xel_attr(c, "from")
                               : NULL;
        if (from && strcmp(from, module_domain(o->srv)) == 0)
            xel_unlink(ev->st->root, c);
        c = next;
    }
}

/* No resource took the message: keep it, drop a lone chat state, or leave it to the usual
 * rules. The account's default privacy list has already let it in. */
static int offline_undelivered(void *state, struct message_event *ev)
{
    struct offline *o = state;
    switch (offline_classify(ev->st)) {
    case OFFLINE_SKIP:
        return ROUTE_PASS;
    case OFFLINE_DROP:
        return ROUTE_DONE;
    case OFFLINE_STORE:
        break;
    }
    /* Handed over from the store, then given back unacknowledged by an ended stream-management
     * session: its row is still there (a slice goes only once confirmed), in its place. */
    if (ev->replay && offline_from_store(ev->st, module_domain(o->srv))) {
        ev->stored = true;
        return ROUTE_DONE;
    }
    /* A message the server re-delivers was accepted before (an expired stream-management
     * session's): the quota no longer applies to it, it must not be lost. */
    int rc = offline_store(o, ev->to->bare, ev->st, !ev->replay);
    if (rc == PL_ELIMIT)
        return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
    if (rc != PL_OK) {
        module_log(LOG_ERROR, "offline", "%s: a message could not be kept", ev->to->bare);
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    ev->stored = true;
    return ROUTE_DONE;
}

static void offline_available(void *state, struct session *sess)
{
    offline_flush_start(state, sess);
}

static bool offline_hold(void *state, struct session *sess, const struct stanza *st)
{
    return offline_flush_hold(state, sess, st);
}

static void offline_session_close(void *state, struct session *sess)
{
    offline_flush_end(state, sess);
}

extern const struct module offline_module;

static int offline_init(struct server *srv, const void *opts, void **state)
{
    struct offline *o = xcalloc(1, sizeof(*o));
    o->srv = srv;
    o->max_messages = ((const struct offline_opts *)opts)->max_messages;
    o->slot = module_slot(&offline_module);
    buf_init(&o->scratch);
    *state = o;
    return PL_OK;
}

static void offline_fini(void *state)
{
    struct offline *o = state;
    offline_flush_free_all(o);
    buf_fini(&o->scratch);
    free(o);
}

#define OPT(field) offsetof(struct offline_opts, field)

static const struct cfg_opt offline_options[] = {
    { "max_messages", CFG_INT, OPT(max_messages), "1000", 1, 1000000, NULL },
};

static void offline_metrics(void *state, struct buf *out)
{
    const struct offline *o = state;
    module_metric(out, "parley_offline_writes_total", "counter",
                  "Messages kept for accounts without a resource.", o->writes);
}

static const char *const offline_features[] = { "msgoffline", NULL };

const struct module offline_module = {
    .name = "offline",
    .options = offline_options,
    .n_options = ARRAY_LEN(offline_options),
    .options_size = sizeof(struct offline_opts),
    .features = offline_features,
    .init = offline_init,
    .fini = offline_fini,
    .session_close = offline_session_close,
    .message_prepare = offline_prepare,
    .message_undelivered = offline_undelivered,
    .session_hold = offline_hold,
    .session_available = offline_available,
    .metrics = offline_metrics,
};
