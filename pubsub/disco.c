/* SPDX-License-Identifier: MIT */
/* Service discovery of pubsub (XEP-0060 §5): the generic service, the nodes of a service (an
 * account's PEP nodes at its bare JID), a node's metadata, and a node's items; each shows only
 * what the asker may see. */
#include <string.h>

#include "ns.h"
#include "pubsub.h"
#include "xdata.h"

const char *const ps_features[] = {
    NS_PUBSUB,
    NS_PUBSUB "#access-open",
    NS_PUBSUB "#access-presence",
    NS_PUBSUB "#access-roster",
    NS_PUBSUB "#access-whitelist",
    NS_PUBSUB "#auto-create",
    NS_PUBSUB "#config-node",
    NS_PUBSUB "#create-and-configure",
    NS_PUBSUB "#create-nodes",
    NS_PUBSUB "#delete-items",
    NS_PUBSUB "#delete-nodes",
    NS_PUBSUB "#filtered-notifications",
    NS_PUBSUB "#instant-nodes",
    NS_PUBSUB "#item-ids",
    NS_PUBSUB "#last-published",
    NS_PUBSUB "#member-affiliation",
    NS_PUBSUB "#meta-data",
    NS_PUBSUB "#modify-affiliations",
    NS_PUBSUB "#multi-items",
    NS_PUBSUB "#outcast-affiliation",
    NS_PUBSUB "#persistent-items",
    NS_PUBSUB "#presence-notifications",
    NS_PUBSUB "#publish",
    NS_PUBSUB "#publish-options",
    NS_PUBSUB "#publisher-affiliation",
    NS_PUBSUB "#purge-nodes",
    NS_PUBSUB "#retract-items",
    NS_PUBSUB "#retrieve-affiliations",
    NS_PUBSUB "#retrieve-items",
    NS_PUBSUB "#retrieve-subscriptions",
    NS_PUBSUB "#subscribe",
    "urn:xmpp:bookmarks:1#compat",
    "urn:xmpp:bookmarks:1#compat-pep",
    "urn:xmpp:pep-vcard-conversion:0",
    NULL,
};

static struct xel *result_query(const struct stanza *st, const char *ns, const char *node,
                                struct stanza **out)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", ns);
    if (node)
        xel_set_attr(r, q, "node", node);
    *out = r;
    return q;
}

static void identity(struct stanza *r, struct xel *q, const char *type, const char *name)
{
    struct xel *id = xel_add_child(r, q, "identity", NS_DISCO_INFO);
    xel_set_attr(r, id, "category", "pubsub");
    xel_set_attr(r, id, "type", type);
    if (name)
        xel_set_attr(r, id, "name", name);
}

static void feature(struct stanza *r, struct xel *q, const char *var)
{
    xel_set_attr(r, xel_add_child(r, q, "feature", NS_DISCO_INFO), "var", var);
}

static void meta_data(struct stanza *r, struct xel *q, const struct ps_node *node)
{
    struct xel *x = xdata_form(r, q, "result", NS_PUBSUB_META);
    xdata_value(r, xdata_field(r, x, "pubsub#access_model", NULL, NULL),
                ps_access_name(node->cfg.access));
    if (node->cfg.title)
        xdata_value(r, xdata_field(r, x, "pubsub#title", NULL, NULL), node->cfg.title);
    xdata_value(r, xdata_field(r, x, "pubsub#type", NULL, NULL), "leaf");
}

static int node_info(struct route_ctx *rc, const struct stanza *st, struct ps_node *node)
{
    struct stanza *r;
    struct xel *q = result_query(st, NS_DISCO_INFO, node->name, &r);
    identity(r, q, "leaf", NULL);
    feature(r, q, NS_PUBSUB);
    meta_data(r, q, node);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* What only PEP services do: the service's nodes are created explicitly, and no account's
 * presence or roster stands behind them. */
static bool pep_only(const char *feature)
{
    static const char *const only[] = { "#auto-create", "#presence-notifications",
                                        "#access-presence", "#access-roster" };
    const char *hash = strchr(feature, '#');
    for (size_t i = 0; hash && i < sizeof(only) / sizeof(only[0]); i++)
        if (strcmp(hash, only[i]) == 0)
            return true;
    return false;
}

static int service_info(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *r;
    struct xel *q = result_query(st, NS_DISCO_INFO, NULL, &r);
    identity(r, q, "service", "Publish-Subscribe");
    feature(r, q, NS_DISCO_INFO);
    feature(r, q, NS_DISCO_ITEMS);
    for (const char *const *f = ps_features; *f; f++)
        if (strncmp(*f, NS_PUBSUB, strlen(NS_PUBSUB)) == 0 && !pep_only(*f))
            feature(r, q, *f);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

struct items_ctx {
    struct pubsub *ps;
    struct stanza *r;
    struct xel *q;
    const char *service, *asker;
};

static void node_item(void *ctx, const char *key, void *value)
{
    (void)key;
    struct items_ctx *c = ctx;
    const struct ps_node *node = value;
    if (!ps_may_see(c->ps, node, c->asker, false))
        return;
    struct xel *it = xel_add_child(c->r, c->q, "item", NS_DISCO_ITEMS);
    xel_set_attr(c->r, it, "jid", c->service);
    xel_set_attr(c->r, it, "node", node->name);
}

/* The nodes of service, or the item ids of node. */
static int items(struct route_ctx *rc, const struct stanza *st, const char *service,
                 struct ps_node *node)
{
    struct pubsub *ps = rc->state;
    struct stanza *r;
    struct xel *q = result_query(st, NS_DISCO_ITEMS, node ? node->name : NULL, &r);
    struct items_ctx c = { ps, r, q, service, ps_sender(rc) };
    struct ps_service *svc = ps_service_find(ps, service);
    if (!node && svc)
        hmap_each(&svc->nodes, node_item, &c);
    for (struct ps_item *it = node ? node->first : NULL; it; it = it->next) {
        struct xel *el = xel_add_child(r, q, "item", NS_DISCO_ITEMS);
        xel_set_attr(r, el, "jid", service);
        xel_set_attr(r, el, "name", it->id);
    }
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

int ps_handle_disco(struct route_ctx *rc, struct stanza *st)
{
    struct pubsub *ps = rc->state;
    const char *service = ps_service_of(rc);
    bool info = xel_child(st->root, "query", NS_DISCO_INFO) != NULL;
    const struct xel *q = xel_child(st->root, "query", info ? NS_DISCO_INFO : NS_DISCO_ITEMS);
    const char *name = q ? xel_attr(q, "node") : NULL;
    bool on_service = rc->target & TARGET_SERVICE;
    if (!on_service && (!rc->to || !rc->to->local))
        return ROUTE_PASS; /* the server's own */
    if (!service || !q || (!on_service && info && !name))
        return ROUTE_PASS; /* the server's and an account's own info are disco/'s */
    if (on_service && info && !name)
        return service_info(rc, st);
    struct ps_node *node = name ? ps_node_find(ps, service, name) : NULL;
    if (name && (!node || !ps_may_see(ps, node, ps_sender(rc), false)))
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    return info ? node_info(rc, st, node) : items(rc, st, service, node);
}
