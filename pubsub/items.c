/* SPDX-License-Identifier: MIT */
/* Retrieving items (XEP-0060 §6.5): all of a node's, the newest max_items, or those asked by id,
 * for whoever the node's access model lets see them. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pubsub.h"

/* Why bare may not see node: the condition and the pubsub#errors element of §6.5.9. */
int ps_refuse_access(struct route_ctx *rc, const struct stanza *st, const struct ps_node *node,
                     const char *bare)
{
    if (ps_affiliation_of(node, bare) == PS_AFF_OUTCAST)
        return ROUTE_ERROR(COND_FORBIDDEN);
    switch (node->cfg.access) {
    case PS_PRESENCE:
        return ps_error(rc, st, COND_NOT_AUTHORIZED, "presence-subscription-required");
    case PS_ROSTER:
        return ps_error(rc, st, COND_NOT_AUTHORIZED, "not-in-roster-group");
    default:
        return ps_error(rc, st, COND_NOT_ALLOWED, "closed-node");
    }
}

/* Appends <item id=...>payload</item> under parent (in parent's namespace). */
void ps_write_item(struct pubsub *ps, struct stanza *r, struct xel *parent, struct ps_node *node,
                   struct ps_item *it, bool payload)
{
    struct xel *el = xel_add_child(r, parent, "item", parent->ns);
    xel_set_attr(r, el, "id", it->id);
    struct stanza *owned = NULL;
    const struct xel *p = payload ? ps_item_payload(ps, node, it, &owned) : NULL;
    if (p)
        xel_copy_into(r, el, p);
    stanza_unref(owned);
}

/* What one reply carries at most: the newest items that fit (XEP-0060 §6.5.7 lets the
 * service return fewer), never less than one. */
static size_t reply_budget(const struct pubsub *ps)
{
    size_t floor = (size_t)4 << 20;
    return (size_t)ps->opts.max_item_bytes > floor ? (size_t)ps->opts.max_item_bytes : floor;
}

static void write_newest(struct pubsub *ps, struct stanza *r, struct xel *items,
                         struct ps_node *node, long max)
{
    struct ps_item *it = node->last;
    size_t bytes = it ? it->bytes : 0, budget = reply_budget(ps);
    for (long n = 1; it && it->prev && n < max && bytes + it->prev->bytes <= budget; n++) {
        it = it->prev;
        bytes += it->bytes;
    }
    for (; it; it = it->next)
        ps_write_item(ps, r, items, node, it, true);
}

static void write_asked(struct pubsub *ps, struct stanza *r, struct xel *items,
                        struct ps_node *node, const struct xel *req)
{
    size_t bytes = 0, budget = reply_budget(ps);
    for (const struct xel *c = req->first; c && bytes <= budget; c = c->next) {
        struct ps_item *it = c->name && strcmp(c->name, "item") == 0
                                 ? ps_item_find(node, xel_attr(c, "id"))
                                 : NULL;
        if (it) {
            ps_write_item(ps, r, items, node, it, true);
            bytes += it->bytes;
        }
    }
}

static bool asks_ids(const struct xel *req)
{
    return xel_child(req, "item", NULL) != NULL;
}

int ps_handle_items(struct route_ctx *rc, struct stanza *st, const struct xel *req)
{
    struct pubsub *ps = rc->state;
    const char *name = xel_attr(req, "node"), *max_attr = xel_attr(req, "max_items");
    if (!name)
        return ps_error(rc, st, COND_BAD_REQUEST, "nodeid-required");
    struct ps_node *node = ps_node_find(ps, ps_service_of(rc), name);
    if (!node)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (!ps_may_see(ps, node, ps_sender(rc), false))
        return ps_refuse_access(rc, st, node, ps_sender(rc));
    char *end = NULL;
    long max = max_attr ? strtol(max_attr, &end, 10) : LONG_MAX;
    if (max_attr && (*end || max < 1))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct stanza *r = stanza_iq_result(st);
    struct xel *p = xel_add_child(r, r->root, "pubsub", NS_PUBSUB);
    struct xel *items = xel_add_child(r, p, "items", NS_PUBSUB);
    xel_set_attr(r, items, "node", name);
    if (asks_ids(req))
        write_asked(ps, r, items, node, req);
    else
        write_newest(ps, r, items, node, max);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}
