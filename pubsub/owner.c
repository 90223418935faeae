/* SPDX-License-Identifier: MIT */
/* The owner's requests (XEP-0060 §8, pubsub#owner): configure, delete, purge, and the node's
 * affiliations and subscriptions. Only an owner of the node gets past the door. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "pubsub.h"

/* The result <pubsub xmlns=#owner><el node=.../></pubsub>, returning el. */
static struct xel *owner_result(const struct stanza *st, const char *el, const char *node,
                                struct stanza **out)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB_OWNER);
    struct xel *e = xel_add_child(r, p, el, NS_PUBSUB_OWNER);
    xel_set_attr(r, e, "node", node);
    *out = r;
    return e;
}

static int send_result(struct route_ctx *rc, struct stanza *r)
{
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

static int configure(struct route_ctx *rc, struct stanza *st, const struct xel *req,
                     struct ps_node *node)
{
    struct pubsub *ps = rc->state;
    struct stanza *r;
    if (st->type == IQ_GET) {
        struct xel *el = owner_result(st, "configure", node->name, &r);
        ps_config_form(r, el, &node->cfg, "form");
        return send_result(rc, r);
    }
    const struct xel *form = xel_child(req, "x", "jabber:x:data");
    const char *type = form ? xel_attr(form, "type") : NULL;
    if (!form || !type || (strcmp(type, "submit") != 0 && strcmp(type, "cancel") != 0))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (strcmp(type, "cancel") == 0)
        return router_reply_result(rc, st);
    struct ps_config was;
    ps_config_copy(&was, &node->cfg);
    int res = ps_config_apply(&node->cfg, form, &ps->opts);
    if (res == ROUTE_DONE)
        res = ps_commit(rc, ps_node_save(ps, node));
    if (res != ROUTE_DONE) { /* what is stored stays what is served */
        ps_config_fini(&node->cfg);
        node->cfg = was;
        return res;
    }
    ps_config_fini(&was);
    ps_node_notes_drop(node); /* deliver_payloads may have changed what they carry */
    while ((long)node->n_items > node->cfg.max_items)
        ps_item_retract(ps, node, node->first);
    module_storage_dirty(rc->srv);
    return router_reply_result(rc, st);
}

static int delete_node(struct route_ctx *rc, struct stanza *st, struct ps_node *node)
{
    struct pubsub *ps = rc->state;
    if (node->cfg.notify_delete)
        ps_notify_node(ps, node, "delete");
    char *service = xstrdup(node->svc->jid), *name = xstrdup(node->name);
    int res = ps_commit(rc, ps_node_delete(ps, node));
    if (res == ROUTE_DONE) {
        router_reply_result(rc, st);
        ps_views_node_changed(ps, service, name);
    }
    free(service);
    free(name);
    return res;
}

static int purge(struct route_ctx *rc, struct stanza *st, struct ps_node *node)
{
    struct pubsub *ps = rc->state;
    int res = ps_commit(rc, ps_items_purge(ps, node));
    if (res != ROUTE_DONE)
        return res;
    router_reply_result(rc, st);
    ps_notify_node(ps, node, "purge");
    ps_views_node_changed(ps, node->svc->jid, node->name);
    return ROUTE_DONE;
}

struct list_ctx {
    struct stanza *r;
    struct xel *parent;
    bool subscriptions;
};

static void list_member(void *ctx, const char *key, void *value)
{
    (void)key;
    struct list_ctx *l = ctx;
    const struct ps_member *m = value;
    if (l->subscriptions ? !m->subscribed : m->aff == PS_AFF_NONE)
        return;
    struct xel *el = xel_add_child(l->r, l->parent, l->subscriptions ? "subscription"
                                                                      : "affiliation",
                                   NS_PUBSUB_OWNER);
    xel_set_attr(l->r, el, "jid", m->jid);
    if (l->subscriptions)
        xel_set_attr(l->r, el, "subscription", "subscribed");
    else
        xel_set_attr(l->r, el, "affiliation", ps_affiliation_name(m->aff));
}

static int list(struct route_ctx *rc, struct stanza *st, struct ps_node *node, bool subs)
{
    struct stanza *r;
    struct xel *el = owner_result(st, subs ? "subscriptions" : "affiliations", node->name, &r);
    struct list_ctx l = { r, el, subs };
    if (node->svc->pep && !subs) { /* the account itself, which no row names */
        struct xel *a = xel_add_child(r, el, "affiliation", NS_PUBSUB_OWNER);
        xel_set_attr(r, a, "jid", node->svc->jid);
        xel_set_attr(r, a, "affiliation", "owner");
    }
    hmap_each(&node->members, list_member, &l);
    return send_result(rc, r);
}

/* §8.9.2: every change valid before any is made. */
static int check_affiliations(const struct xel *req, const char *self)
{
    for (const struct xel *c = req->first; c; c = c->next) {
        if (!c->name)
            continue;
        struct jid *j = strcmp(c->name, "affiliation") == 0 ? jid_parse(xel_attr(c, "jid")) : NULL;
        bool ok = j && !j->resource && ps_affiliation_parse(xel_attr(c, "affiliation")) >= 0;
        bool own = ok && strcmp(j->bare, self) == 0;
        jid_free(j);
        if (!ok)
            return ROUTE_ERROR(COND_BAD_REQUEST);
        if (own) /* an owner who demotes itself could leave a node nobody owns */
            return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    }
    return ROUTE_DONE;
}

static int set_affiliations(struct route_ctx *rc, struct stanza *st, const struct xel *req,
                            struct ps_node *node)
{
    struct pubsub *ps = rc->state;
    int res = check_affiliations(req, ps_sender(rc));
    if (res != ROUTE_DONE)
        return res;
    int stored = PL_OK;
    for (const struct xel *c = req->first; stored == PL_OK && c; c = c->next) {
        if (!c->name)
            continue;
        struct jid *j = jid_parse(xel_attr(c, "jid"));
        const struct ps_member *m = ps_member_find(node, j->bare);
        stored = ps_member_set(ps, node, j->bare, ps_affiliation_parse(xel_attr(c, "affiliation")),
                               m && m->subscribed);
        jid_free(j);
    }
    res = ps_commit(rc, stored);
    return res == ROUTE_DONE ? router_reply_result(rc, st) : res;
}

static int dispatch(struct route_ctx *rc, struct stanza *st, const struct xel *req,
                    struct ps_node *node)
{
    bool set = st->type == IQ_SET;
    if (strcmp(req->name, "configure") == 0)
        return configure(rc, st, req, node);
    if (set && strcmp(req->name, "delete") == 0)
        return delete_node(rc, st, node);
    if (set && strcmp(req->name, "purge") == 0)
        return purge(rc, st, node);
    if (strcmp(req->name, "affiliations") == 0)
        return set ? set_affiliations(rc, st, req, node) : list(rc, st, node, false);
    if (!set && strcmp(req->name, "subscriptions") == 0)
        return list(rc, st, node, true);
    return ps_error(rc, st, COND_FEATURE_NOT_IMPLEMENTED, "unsupported");
}

int ps_handle_owner(struct route_ctx *rc, struct stanza *st)
{
    struct pubsub *ps = rc->state;
    const char *service = ps_service_of(rc);
    const struct xel *pubsub = xel_child(st->root, "pubsub", NS_PUBSUB_OWNER);
    const struct xel *req = pubsub ? xel_first_elem(pubsub) : NULL;
    if (!service)
        return ROUTE_PASS;
    if (!req)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    const char *name = xel_attr(req, "node");
    if (!name) {
        int res = ps_error(rc, st, COND_BAD_REQUEST, "nodeid-required");
        return res == PS_ANSWERED ? ROUTE_DONE : res;
    }
    struct ps_node *node = ps_node_find(ps, service, name);
    if (!node)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (ps_affiliation_of(node, ps_sender(rc)) != PS_AFF_OWNER)
        return ROUTE_ERROR(COND_FORBIDDEN);
    int res = dispatch(rc, st, req, node);
    return res == PS_ANSWERED ? ROUTE_DONE : res;
}
