/* SPDX-License-Identifier: MIT */
/* Subscriptions and the requester's own view (XEP-0060 §6.1, §6.2, §5.6, §5.7): one
 * subscription per JID and node, so no subid is needed; the last item follows a subscription
 * when the node says on_sub. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "pubsub.h"

#define MAX_SUBSCRIPTIONS_PER_ACCOUNT 16 /* per node: its bare JID and a few resources */

/* The subscriber's JID: the one asked for, which must be the sender's own, bare or one of
 * its resources online (a made-up resource would only add rows nobody reads). */
static struct jid *subscriber(struct route_ctx *rc, const struct xel *req)
{
    struct jid *j = jid_parse(xel_attr(req, "jid") ? xel_attr(req, "jid") : "");
    if (j && strcmp(j->bare, ps_sender(rc)) == 0 &&
        (!j->resource || module_session_find(rc->srv, j->full)))
        return j;
    jid_free(j);
    return NULL;
}

struct count_subs {
    const char *bare;
    size_t len, n;
};

static void count_sub(void *ctx, const char *key, void *value)
{
    struct count_subs *c = ctx;
    const struct ps_member *m = value;
    if (m->subscribed && strncmp(key, c->bare, c->len) == 0 &&
        (key[c->len] == '\0' || key[c->len] == '/'))
        c->n++;
}

static bool room_for_subscription(const struct ps_node *node, const struct jid *j)
{
    struct count_subs c = { j->bare, strlen(j->bare), 0 };
    hmap_each(&node->members, count_sub, &c);
    return c.n < MAX_SUBSCRIPTIONS_PER_ACCOUNT;
}

static void reply_subscription(struct route_ctx *rc, const struct stanza *st, const char *node,
                               const char *jid, const char *state)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB);
    struct xel *s = xel_add_child(r, p, "subscription", NS_PUBSUB);
    xel_set_attr(r, s, "node", node);
    xel_set_attr(r, s, "jid", jid);
    xel_set_attr(r, s, "subscription", state);
    router_reply(rc, r);
    stanza_unref(r);
}

static int subscribe(struct route_ctx *rc, struct stanza *st, struct ps_node *node,
                     const struct jid *j, bool on)
{
    struct pubsub *ps = rc->state;
    struct ps_member *m = ps_member_find(node, j->full);
    if (on && !ps_may_see(ps, node, j->bare, false))
        return ps_refuse_access(rc, st, node, j->bare);
    if (!on && !(m && m->subscribed))
        return ps_error(rc, st, COND_UNEXPECTED_REQUEST, "not-subscribed");
    if (on && !(m && m->subscribed) && !room_for_subscription(node, j))
        return ps_error(rc, st, COND_POLICY_VIOLATION, "too-many-subscriptions");
    enum ps_affiliation aff = m ? m->aff : PS_AFF_NONE;
    int res = ps_commit(rc, ps_member_set(ps, node, j->full, aff, on));
    if (res != ROUTE_DONE)
        return res;
    if (!on)
        return router_reply_result(rc, st);
    reply_subscription(rc, st, node->name, j->full, "subscribed");
    if (node->cfg.send_last != PS_LAST_NEVER && j->resource) {
        struct session *sess = module_session_find(rc->srv, j->full);
        if (sess)
            ps_send_last(ps, node, sess);
    }
    return ROUTE_DONE;
}

struct own_ctx {
    struct stanza *r;
    struct xel *parent;
    const char *bare, *node;
    bool subscriptions;
};

struct own_node {
    struct own_ctx *o;
    const struct ps_node *node;
};

static void own_member(void *ctx, const char *key, void *value)
{
    (void)key;
    struct own_node *on = ctx;
    struct own_ctx *o = on->o;
    const struct ps_member *m = value;
    struct jid *j = jid_parse(m->jid);
    bool mine = j && strcmp(j->bare, o->bare) == 0;
    jid_free(j);
    if (!mine || (o->subscriptions ? !m->subscribed : m->aff == PS_AFF_NONE))
        return;
    struct xel *el = xel_add_child(o->r, o->parent,
                                   o->subscriptions ? "subscription" : "affiliation", NS_PUBSUB);
    xel_set_attr(o->r, el, "node", on->node->name);
    if (o->subscriptions) {
        xel_set_attr(o->r, el, "jid", m->jid);
        xel_set_attr(o->r, el, "subscription", "subscribed");
    } else {
        xel_set_attr(o->r, el, "affiliation", ps_affiliation_name(m->aff));
    }
}

static void own_in_node(void *ctx, const char *key, void *value)
{
    (void)key;
    struct own_ctx *o = ctx;
    struct own_node on = { o, value };
    if (!o->node || strcmp(o->node, on.node->name) == 0)
        hmap_each(&on.node->members, own_member, &on);
}

/* §5.6 and §5.7: the requester's subscriptions or affiliations on the service. */
static int own_list(struct route_ctx *rc, struct stanza *st, const struct xel *req, bool subs)
{
    struct pubsub *ps = rc->state;
    struct ps_service *svc = ps_service_find(ps, ps_service_of(rc));
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB);
    struct xel *el = xel_add_child(r, p, subs ? "subscriptions" : "affiliations", NS_PUBSUB);
    struct own_ctx o = { r, el, ps_sender(rc), xel_attr(req, "node"), subs };
    if (svc)
        hmap_each(&svc->nodes, own_in_node, &o);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

int ps_handle_subscribe(struct route_ctx *rc, struct stanza *st, const struct xel *req)
{
    struct pubsub *ps = rc->state;
    bool set = st->type == IQ_SET;
    if (!set && strcmp(req->name, "subscriptions") == 0)
        return own_list(rc, st, req, true);
    if (!set && strcmp(req->name, "affiliations") == 0)
        return own_list(rc, st, req, false);
    if (!set || (strcmp(req->name, "subscribe") && strcmp(req->name, "unsubscribe")))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    const char *name = xel_attr(req, "node");
    if (!name)
        return ps_error(rc, st, COND_BAD_REQUEST, "nodeid-required");
    struct ps_node *node = ps_node_find(ps, ps_service_of(rc), name);
    if (!node)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct jid *j = subscriber(rc, req);
    if (!j)
        return ps_error(rc, st, COND_BAD_REQUEST, "invalid-jid");
    int res = subscribe(rc, st, node, j, strcmp(req->name, "subscribe") == 0);
    jid_free(j);
    return res;
}
