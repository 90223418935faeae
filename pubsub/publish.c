/* SPDX-License-Identifier: MIT */
/* The pubsub namespace's requests: publish (with publish-options), retract, create, and what
 * goes on to items.c and subscribe.c. Changes are committed before the answer. */
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "base.h"
#include "pubsub.h"
#include "xdata.h"

const char *ps_sender(const struct route_ctx *rc)
{
    return module_session_jid(rc->sess)->bare;
}

const char *ps_service_of(const struct route_ctx *rc)
{
    if (rc->target & TARGET_SERVICE)
        return module_pubsub_domain(rc->srv);
    if (!rc->to)
        return ps_sender(rc);
    return rc->to->local && !rc->to->resource ? rc->to->bare : NULL;
}

int ps_commit(struct route_ctx *rc, int stored)
{
    if (stored == PL_OK && module_storage_commit(rc->srv) == PL_OK)
        return ROUTE_DONE;
    module_storage_rollback(rc->srv);
    return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
}

/* The <x/> form of an element such as <publish-options/> or <configure/>, NULL when absent. */
static const struct xel *form_in(const struct xel *pubsub, const char *name)
{
    const struct xel *el = xel_child(pubsub, name, NULL);
    return el ? xel_child(el, "x", NS_XDATA) : NULL;
}

static bool may_create(struct pubsub *ps, const char *service, const char *sender)
{
    if (strcmp(service, module_pubsub_domain(ps->srv)) != 0)
        return strcmp(service, sender) == 0;
    return !ps->opts.node_creators[0] || jid_listed(ps->opts.node_creators, sender);
}

/* A new node on service with the defaults, then form's fields. ROUTE_DONE with *out set. */
static int create_node(struct route_ctx *rc, const struct stanza *st, const char *service,
                       const char *name, const struct xel *form, struct ps_node **out)
{
    struct pubsub *ps = rc->state;
    const char *sender = ps_sender(rc);
    bool pep = strcmp(service, module_pubsub_domain(rc->srv)) != 0;
    if (!may_create(ps, service, sender))
        return ps_error(rc, st, COND_FORBIDDEN, NULL);
    struct ps_service *svc = ps_service_get(ps, service, pep);
    if ((long)ps_service_nodes_of(svc, pep ? NULL : sender) >= ps->opts.max_nodes)
        return ps_error(rc, st, COND_RESOURCE_CONSTRAINT, "max-nodes-exceeded");
    struct ps_config cfg;
    ps_config_defaults(&cfg, pep);
    if (pep)
        ps_bookmarks_defaults(ps, name, &cfg);
    int res = form ? ps_config_apply(&cfg, form, &ps->opts) : ROUTE_DONE;
    if (res == ROUTE_DONE) {
        *out = ps_node_create(ps, svc, name, &cfg, pep ? NULL : sender);
        res = *out ? ROUTE_DONE : ps_commit(rc, PL_EIO); /* half a node is not kept */
    }
    ps_config_fini(&cfg);
    return res;
}

/* XEP-0060 §7.1.3: one payload element, within the size bound. */
static int check_item(struct route_ctx *rc, const struct stanza *st, const struct xel *item,
                      const struct xel **payload)
{
    struct pubsub *ps = rc->state;
    *payload = item ? xel_first_elem(item) : NULL;
    for (const struct xel *e = *payload ? (*payload)->next : NULL; e; e = e->next)
        if (e->name)
            return ps_error(rc, st, COND_BAD_REQUEST, "invalid-payload");
    if (!*payload)
        return ps_error(rc, st, COND_BAD_REQUEST, "payload-required");
    struct buf b;
    buf_init(&b);
    xel_write(*payload, NULL, &b);
    bool big = (long)b.len > ps->opts.max_item_bytes;
    buf_fini(&b);
    return big ? ps_error(rc, st, COND_NOT_ACCEPTABLE, "payload-too-big") : ROUTE_DONE;
}

static void reply_published(struct route_ctx *rc, const struct stanza *st, const char *node,
                            const char *id)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB);
    struct xel *pub = xel_add_child(r, p, "publish", NS_PUBSUB);
    xel_set_attr(r, pub, "node", node);
    xel_set_attr(r, xel_add_child(r, pub, "item", NS_PUBSUB), "id", id);
    router_reply(rc, r);
    stanza_unref(r);
}

/* The node to publish to: found (its preconditions met), or made (PEP's auto-create). */
static int publish_target(struct route_ctx *rc, const struct stanza *st, const char *service,
                          const char *name, const struct xel *options, struct ps_node **node)
{
    struct pubsub *ps = rc->state;
    *node = ps_node_find(ps, service, name);
    if (!*node) {
        if (strcmp(service, module_pubsub_domain(rc->srv)) == 0)
            return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
        return create_node(rc, st, service, name, options, node);
    }
    if (!ps_may_publish(*node, ps_sender(rc)))
        return ROUTE_ERROR(COND_FORBIDDEN);
    if (options && !ps_config_matches(&(*node)->cfg, options, &ps->opts))
        return ps_error(rc, st, COND_CONFLICT, "precondition-not-met");
    return ROUTE_DONE;
}

static int publish(struct route_ctx *rc, struct stanza *st, const struct xel *pubsub,
                   const struct xel *req, const char *service)
{
    struct pubsub *ps = rc->state;
    const char *name = xel_attr(req, "node");
    if (!name || !name[0])
        return ps_error(rc, st, COND_BAD_REQUEST, "nodeid-required");
    if (ps_jobs_full(ps))
        return ROUTE_ERROR(COND_RESOURCE_CONSTRAINT);
    const struct xel *item = xel_child(req, "item", NULL), *payload;
    int res = check_item(rc, st, item, &payload);
    struct ps_node *node = NULL;
    if (res == ROUTE_DONE)
        res = publish_target(rc, st, service, name, form_in(pubsub, "publish-options"), &node);
    if (res != ROUTE_DONE)
        return res;
    char made[37];
    const char *id = xel_attr(item, "id");
    if (!id || !id[0]) {
        uuid_t u;
        uuid_generate_random(u);
        uuid_unparse_lower(u, made);
        id = made;
    }
    res = ps_commit(rc, ps_item_publish(ps, node, id, ps_sender(rc), payload));
    if (res != ROUTE_DONE)
        return res;
    reply_published(rc, st, name, id);
    ps_notify_item(ps, node, ps_item_find(node, id));
    ps_views_node_changed(ps, service, node->name);
    return ROUTE_DONE;
}

/* XEP-0060 §7.2.3.1: owners and publishers retract any item, others only their own (where
 * the publish model let them publish). */
static bool may_retract(const struct ps_node *node, const struct ps_item *it, const char *sender)
{
    enum ps_affiliation aff = ps_affiliation_of(node, sender);
    if (aff == PS_AFF_OWNER || aff == PS_AFF_PUBLISHER)
        return true;
    return ps_may_publish(node, sender) && strcmp(it->publisher, sender) == 0;
}

static int retract(struct route_ctx *rc, struct stanza *st, const struct xel *req,
                   const char *service)
{
    struct pubsub *ps = rc->state;
    struct ps_node *node = ps_node_find(ps, service, xel_attr(req, "node"));
    if (!xel_attr(req, "node"))
        return ps_error(rc, st, COND_BAD_REQUEST, "nodeid-required");
    if (!node)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    const struct xel *item = xel_child(req, "item", NULL);
    const char *id = item ? xel_attr(item, "id") : NULL;
    if (!id)
        return ps_error(rc, st, COND_BAD_REQUEST, "item-required");
    struct ps_item *it = ps_item_find(node, id);
    if (!it)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (!may_retract(node, it, ps_sender(rc)))
        return ROUTE_ERROR(COND_FORBIDDEN);
    char *gone = xstrdup(id); /* a copy: id may be the request's, the node is told after */
    int res = ps_commit(rc, ps_item_retract(ps, node, it));
    if (res == ROUTE_DONE) {
        router_reply_result(rc, st);
        if (node->cfg.notify_retract || ps_bool(xel_attr(req, "notify")) == 1)
            ps_notify_retract(ps, node, gone);
        ps_views_node_changed(ps, service, node->name);
    }
    free(gone);
    return res;
}

static int create(struct route_ctx *rc, struct stanza *st, const struct xel *pubsub,
                  const struct xel *req, const char *service)
{
    struct pubsub *ps = rc->state;
    const char *name = xel_attr(req, "node");
    char made[37];
    if (!name || !name[0]) { /* an instant node (XEP-0060 §8.1.2) */
        uuid_t u;
        uuid_generate_random(u);
        uuid_unparse_lower(u, made);
        name = made;
    }
    if (ps_node_find(ps, service, name))
        return ROUTE_ERROR(COND_CONFLICT);
    struct ps_node *node;
    int res = create_node(rc, st, service, name, form_in(pubsub, "configure"), &node);
    if (res == ROUTE_DONE)
        res = ps_commit(rc, PL_OK);
    if (res != ROUTE_DONE)
        return res;
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB);
    xel_set_attr(r, xel_add_child(r, p, "create", NS_PUBSUB), "node", name);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

static int dispatch(struct route_ctx *rc, struct stanza *st, const struct xel *pubsub,
                    const char *service)
{
    const struct xel *req = xel_first_elem(pubsub);
    const char *what = req ? req->name : "";
    bool set = st->type == IQ_SET;
    if (set && strcmp(what, "publish") == 0)
        return publish(rc, st, pubsub, req, service);
    if (set && strcmp(what, "retract") == 0)
        return retract(rc, st, req, service);
    if (set && strcmp(what, "create") == 0)
        return create(rc, st, pubsub, req, service);
    if (!set && strcmp(what, "items") == 0)
        return ps_handle_items(rc, st, req);
    if (strcmp(what, "subscribe") == 0 || strcmp(what, "unsubscribe") == 0 ||
        strcmp(what, "subscriptions") == 0 || strcmp(what, "affiliations") == 0)
        return ps_handle_subscribe(rc, st, req);
    return ps_error(rc, st, COND_FEATURE_NOT_IMPLEMENTED, "unsupported");
}

int ps_handle_pubsub(struct route_ctx *rc, struct stanza *st)
{
    const char *service = ps_service_of(rc);
    const struct xel *pubsub = xel_child(st->root, "pubsub", NS_PUBSUB);
    if (!service)
        return ROUTE_PASS;
    if (!pubsub)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    int res = dispatch(rc, st, pubsub, service);
    return res == PS_ANSWERED ? ROUTE_DONE : res;
}
