/* SPDX-License-Identifier: MIT */
/* XEP-0352 Client State Indication: while a client says it is inactive, presence updates and
 * chat-state-only messages wait (the newest of each per sender), until something that matters
 * arrives for it or it turns active again. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "carbons.h"
#include "csi_queue.h"
#include "msgclass.h"
#include "stream.h"

struct csi_opts {
    long max_held;
};

struct csi_mod {
    struct csi_opts opts;
    int slot;
};

/* A session's state: present once it has said <inactive/>. */
struct csi_sess {
    bool inactive;
    struct csi_queue held;
};

static struct csi_sess *csi_sess_get(const struct csi_mod *m, const struct session *sess)
{
    return sess ? module_session_slot_get(sess, m->slot) : NULL;
}

/* Everything held goes out, oldest first; then it is the caller's stanza's turn. */
static void flush(struct csi_sess *cs, struct session *sess)
{
    size_t n;
    struct stanza **items = csi_queue_take(&cs->held, &n);
    for (size_t i = 0; i < n; i++) {
        module_send_held(sess, items[i]);
        stanza_unref(items[i]);
    }
    free(items);
}

/* A carbon copy of a chat state waits like the chat state itself, under the JID whose
 * state it is: another device's typing must not wake the client either. */
static const char *carbon_key(const struct stanza *st)
{
    const struct xel *inner = msgclass_carbon_inner(st);
    if (!inner)
        return NULL;
    const char *type = xel_attr(inner, "type");
    unsigned bits = type && strcmp(type, "error") == 0 ? MSG_ERROR : MSG_CHAT;
    return msgclass_chatstate_only(msgclass_of_el(inner), bits) ? xel_attr(inner, "from")
                                                                 : NULL;
}

/* What may wait, and whose it is: presence updates (not subscriptions, not errors) and chat
 * states alone, per sender. NULL: st may not wait. */
static const char *wait_key(const struct stanza *st)
{
    if (st->kind == STANZA_PRESENCE)
        return st->type & (PRES_AVAILABLE | PRES_UNAVAILABLE) ? st->from : NULL;
    if (st->kind != STANZA_MESSAGE)
        return NULL;
    unsigned cls = msgclass_of(st);
    if (msgclass_chatstate_only(cls, st->type))
        return st->from;
    return cls == MC_CARBON ? carbon_key(st) : NULL;
}

/* Anything else (a body, a receipt or marker, an iq, a subscription request) is important:
 * what waited goes out first, so that the client sees everything in order. */
static bool csi_hold(void *state, struct session *sess, const struct stanza *st)
{
    struct csi_mod *m = state;
    struct csi_sess *cs = csi_sess_get(m, sess);
    if (!cs || !cs->inactive)
        return false;
    if (wait_key(st)) {
        /* A copy of its own, addressed to this session: fan-outs share one stanza and its
         * bytes carry each recipient's 'to' (a broadcast presence, a carbon copy). */
        struct stanza *own = stanza_compact(st);
        stanza_set_to(own, module_session_jid(sess)->full);
        bool held = csi_queue_hold(&cs->held, own, wait_key(own), (size_t)m->opts.max_held);
        stanza_unref(own); /* the queue holds its own reference */
        if (held)
            return true;
    }
    flush(cs, sess); /* important, or the queue is full */
    return false;
}

static int csi_state(struct route_ctx *rc, struct stanza *st, bool inactive)
{
    struct csi_mod *m = rc->state;
    struct csi_sess *cs = csi_sess_get(m, rc->sess);
    (void)st;
    if (!cs && !inactive)
        return ROUTE_DONE; /* active is where every session starts */
    if (!cs) {
        cs = xcalloc(1, sizeof(*cs));
        module_session_slot_set(rc->sess, m->slot, cs);
    }
    cs->inactive = inactive;
    if (!inactive)
        flush(cs, rc->sess);
    return ROUTE_DONE;
}

static int csi_active(struct route_ctx *rc, struct stanza *st)
{
    return csi_state(rc, st, false);
}

static int csi_inactive(struct route_ctx *rc, struct stanza *st)
{
    return csi_state(rc, st, true);
}

/* Whatever still waits when the session ends is presence and typing: nothing to keep. */
static void csi_session_close(void *state, struct session *sess)
{
    struct csi_mod *m = state;
    struct csi_sess *cs = csi_sess_get(m, sess);
    if (!cs)
        return;
    csi_queue_clear(&cs->held);
    free(cs);
    module_session_slot_set(sess, m->slot, NULL);
}

static int csi_init(struct server *srv, const void *opts, void **state)
{
    (void)srv;
    struct csi_mod *m = xcalloc(1, sizeof(*m));
    m->opts = *(const struct csi_opts *)opts;
    m->slot = module_slot(&csi_module);
    *state = m;
    return PL_OK;
}

static void csi_fini(void *state)
{
    free(state);
}

/* <active/> and <inactive/> are top-level elements of the stream, not stanzas. */
static const struct route csi_routes[] = {
    { .elem = "active", .ns = NS_CSI, .types = ROUTE_ELEMENT, .min_state = SESS_BOUND,
      .fn = csi_active },
    { .elem = "inactive", .ns = NS_CSI, .types = ROUTE_ELEMENT, .min_state = SESS_BOUND,
      .fn = csi_inactive },
};

static const struct stream_feature csi_stream_features[] = { { "csi", NS_CSI }, { NULL, NULL } };

#define OPT(field) offsetof(struct csi_opts, field)

/* A full queue is flushed: the bound keeps an idle client's memory small without losing
 * anything. */
static const struct cfg_opt csi_options[] = {
    { "max_held", CFG_INT, OPT(max_held), "100", 1, 10000, NULL },
};

const struct module csi_module = {
    .name = "csi",
    .options = csi_options,
    .n_options = ARRAY_LEN(csi_options),
    .options_size = sizeof(struct csi_opts),
    .routes = csi_routes,
    .n_routes = ARRAY_LEN(csi_routes),
    .stream_features = csi_stream_features,
    .init = csi_init,
    .fini = csi_fini,
    .session_close = csi_session_close,
    .session_hold = csi_hold,
};
