/* SPDX-License-Identifier: MIT */
/* XEP-0280 Message Carbons: enable/disable per resource, and the copies of delivered messages. */
#include "carbons.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "msgclass.h"
#include "ns.h"

struct carbons_mod {
    struct server *srv;
    int slot;
    /* The message being delivered had <private/> (stripped by carbons_prepare): no copies. */
    const struct stanza *private_st;
};

/* The per-session slot holds the module's state while carbons are on, NULL otherwise: a flag
 * that needs no allocation, and stays with the session across a stream resumption. */
static bool enabled(const struct carbons_mod *m, const struct session *sess)
{
    return module_session_slot_get(sess, m->slot) != NULL;
}

/* The state is the account's own: a request addressed to another account is refused. */
static int carbons_iq(struct route_ctx *rc, struct stanza *st)
{
    struct carbons_mod *m = rc->state;
    const struct xel *req = xel_first_elem(st->root);
    if (rc->to && rc->to->local &&
        (rc->to->resource || strcmp(rc->to->bare, module_session_jid(rc->sess)->bare) != 0))
        return ROUTE_ERROR(COND_FORBIDDEN);
    bool on = strcmp(req->name, "enable") == 0;
    if (!on && strcmp(req->name, "disable") != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    module_session_slot_set(rc->sess, m->slot, on ? m : NULL);
    return router_reply_result(rc, st);
}

/* §7: <private/> keeps a message out of every copy, and is removed from what is delivered.
 * Which message had it is remembered until its message_done: the delivery core runs prepare
 * and done of one message back to back, with no other message's prepare in between. */
static void carbons_prepare(void *state, struct message_event *ev)
{
    struct carbons_mod *m = state;
    struct xel *priv = xel_child(ev->st->root, "private", NS_CARBONS);
    m->private_st = priv ? ev->st : NULL;
    if (priv)
        xel_unlink(ev->st->root, priv);
}

/* Did sess get the message itself? When several resources did, they are the available ones
 * of the highest non-negative priority (RFC 6121 §8.5.2.1.1). */
static bool got_original(const struct message_event *ev, const struct session *sess, int best)
{
    if (ev->delivered_to)
        return sess == ev->delivered_to;
    return ev->delivered > 1 && module_session_available(sess) &&
           module_session_priority(sess) == best;
}

static int best_priority(struct server *srv, const char *bare)
{
    int best = -1;
    for (struct session *s = module_sessions_first(srv, bare); s; s = module_sessions_next(s))
        if (module_session_available(s) && module_session_priority(s) > best)
            best = module_session_priority(s);
    return best;
}

/* A copy goes to a resource only when its own policy lets the original's sender in: the
 * wrapper comes from the account itself, which every policy allows. */
static void send_copy(struct carbons_mod *m, struct session *to, struct stanza *copy,
                      const struct stanza *msg)
{
    stanza_set_to(copy, module_session_jid(to)->full);
    module_deliver_copy(m->srv, to, copy, msg);
}

/* Copies of msg to the enabled resources of bare but skip (the sender) and, in the
 * recipient's account, those that got the message itself. */
static void copy_to(struct carbons_mod *m, const struct message_event *ev, const char *bare,
                    const char *direction, const struct session *skip)
{
    struct stanza *copy = NULL;
    bool recipient = strcmp(bare, ev->to->bare) == 0;
    int best = recipient && ev->delivered > 1 ? best_priority(m->srv, bare) : -1;
    for (struct session *s = module_sessions_first(m->srv, bare); s;
         s = module_sessions_next(s)) {
        if (s == skip || !enabled(m, s) || (recipient && got_original(ev, s, best)))
            continue;
        if (!copy)
            copy = carbons_wrap(ev->st, direction, bare);
        send_copy(m, s, copy, ev->st);
    }
    stanza_unref(copy);
}

static void carbons_done(void *state, const struct message_event *ev)
{
    struct carbons_mod *m = state;
    bool is_private = m->private_st == ev->st;
    m->private_st = NULL;
    if (ev->replay || is_private ||
        !msgclass_carbons_eligible(msgclass_of(ev->st), ev->st->type))
        return;
    bool own = ev->from_bare && strcmp(ev->from_bare, ev->to->bare) == 0;
    if (ev->delivered)
        copy_to(m, ev, ev->to->bare, "received", ev->sender);
    if (ev->from_bare && !own && (ev->delivered || ev->stored))
        copy_to(m, ev, ev->from_bare, "sent", ev->sender);
}

static int carbons_init(struct server *srv, const void *opts, void **state)
{
    (void)opts;
    struct carbons_mod *m = xcalloc(1, sizeof(*m));
    m->srv = srv;
    m->slot = module_slot(&carbons_module);
    *state = m;
    return PL_OK;
}

static void carbons_fini(void *state)
{
    free(state);
}

static const struct route carbons_routes[] = {
    { .elem = "iq", .ns = NS_CARBONS, .types = IQ_SET, .targets = TARGET_SERVER | TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = carbons_iq },
};

static const char *const carbons_features[] = { NS_CARBONS, NULL };

const struct module carbons_module = {
    .name = "carbons",
    .routes = carbons_routes,
    .n_routes = ARRAY_LEN(carbons_routes),
    .features = carbons_features,
    .init = carbons_init,
    .fini = carbons_fini,
    .message_prepare = carbons_prepare,
    .message_done = carbons_done,
};
