/* SPDX-License-Identifier: MIT */
/* XEP-0030: the server and local accounts describe themselves; the server lists its services. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "module.h"
#include "ns.h"
#include "server.h"

/* XEP-0115: the node that names this software in the server's capabilities. */
#define CAPS_NODE "urn:xmpp:parley:server"

static void add_identity(struct stanza *r, struct xel *q, const char *category, const char *type,
                         const char *name)
{
    struct xel *id = xel_add_child(r, q, "identity", q->ns);
    xel_set_attr(r, id, "category", category);
    xel_set_attr(r, id, "type", type);
    if (name)
        xel_set_attr(r, id, "name", name);
}

/* Modules may share a namespace (two routes, one feature): each var is listed once. */
static bool has_feature(const struct xel *q, const char *var)
{
    for (const struct xel *c = q->first; c; c = c->next) {
        const char *v = c->name && strcmp(c->name, "feature") == 0 ? xel_attr(c, "var") : NULL;
        if (v && strcmp(v, var) == 0)
            return true;
    }
    return false;
}

static void add_feature(struct stanza *r, struct xel *q, const char *var)
{
    if (has_feature(q, var))
        return;
    struct xel *f = xel_add_child(r, q, "feature", q->ns);
    xel_set_attr(r, f, "var", var);
}

static void fill_server_info(struct server *srv, struct stanza *r, struct xel *q)
{
    (void)srv;
    add_identity(r, q, "server", "im", "Parley");
    add_feature(r, q, NS_DISCO_INFO);
    add_feature(r, q, NS_DISCO_ITEMS);
    for (size_t i = 0; i < modules_count; i++) {
        const char *const *f = modules[i]->features;
        for (; f && *f; f++)
            add_feature(r, q, *f);
    }
}

static void fill_account_info(struct server *srv, struct stanza *r, struct xel *q)
{
    (void)srv;
    add_identity(r, q, "account", "registered", NULL);
    add_feature(r, q, NS_DISCO_INFO);
    for (size_t i = 0; i < modules_count; i++) {
        const char *id = modules[i]->account_identity;
        const char *slash = id ? strchr(id, '/') : NULL;
        if (slash) {
            char category[32];
            snprintf(category, sizeof(category), "%.*s", (int)(slash - id), id);
            add_identity(r, q, category, slash + 1, NULL);
        }
    }
    for (size_t i = 0; i < modules_count; i++) {
        const char *const *f = modules[i]->account_features;
        for (; f && *f; f++)
            add_feature(r, q, *f);
    }
}

/* The node of the server's capabilities (XEP-0115 §6.2: node#ver). */
static bool is_caps_node(const struct server *srv, const char *node)
{
    size_t n = strlen(CAPS_NODE);
    return srv->caps_ver[0] && strncmp(node, CAPS_NODE, n) == 0 && node[n] == '#' &&
           strcmp(node + n + 1, srv->caps_ver) == 0;
}

/*
 * Answers with a <query xmlns=ns/> filled by fill (NULL: empty). Only the empty node is
 * known (and on the server, its capabilities' node#ver), so any other node is
 * item-not-found; a given node is echoed as XEP-0030 asks.
 */
static int reply_query(struct route_ctx *rc, struct stanza *st, const char *ns,
                       void (*fill)(struct server *srv, struct stanza *r, struct xel *q))
{
    const struct xel *req = xel_child(st->root, "query", ns);
    if (!req)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    const char *node = xel_attr(req, "node");
    bool caps = node && rc->target == TARGET_SERVER && is_caps_node(rc->srv, node);
    if (node && node[0] && !caps)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);

    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", ns);
    if (node)
        xel_set_attr(r, q, "node", node);
    if (fill)
        fill(rc->srv, r, q);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

void disco_caps_init(struct server *srv, struct stream_config *sc)
{
    struct stanza *st = stanza_new("query", NS_DISCO_INFO);
    fill_server_info(srv, st, st->root);
    if (caps_ver(st->root, srv->caps_ver)) {
        sc->caps_node = CAPS_NODE;
        sc->caps_ver = srv->caps_ver;
    } else {
        srv->caps_ver[0] = '\0'; /* a repeated feature: announce no capabilities */
    }
    stanza_unref(st);
}

static int disco_info(struct route_ctx *rc, struct stanza *st)
{
    if (rc->target == TARGET_SERVER)
        return reply_query(rc, st, NS_DISCO_INFO, fill_server_info);
    return reply_query(rc, st, NS_DISCO_INFO, fill_account_info);
}

/* The services on domains of their own (group chat). */
static void fill_server_items(struct server *srv, struct stanza *r, struct xel *q)
{
    for (size_t i = 0; i < modules_count; i++) {
        const char *d = modules[i]->service_domain ? modules[i]->service_domain(srv) : NULL;
        if (d)
            xel_set_attr(r, xel_add_child(r, q, "item", q->ns), "jid", d);
    }
}

static int disco_items(struct route_ctx *rc, struct stanza *st)
{
    if (rc->target == TARGET_SERVER)
        return reply_query(rc, st, NS_DISCO_ITEMS, fill_server_items);
    return reply_query(rc, st, NS_DISCO_ITEMS, NULL);
}

/* The router checks that a TARGET_ACCOUNT JID exists before these run. */
static const struct route disco_routes[] = {
    { .elem = "iq", .ns = NS_DISCO_INFO, .types = IQ_GET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .fn = disco_info },
    { .elem = "iq", .ns = NS_DISCO_ITEMS, .types = IQ_GET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .fn = disco_items },
};

static const char *const disco_features[] = { NS_DISCO_INFO, NS_DISCO_ITEMS, NULL };

const struct module disco_module = {
    .name = "disco",
    .routes = disco_routes,
    .n_routes = sizeof(disco_routes) / sizeof(disco_routes[0]),
    .features = disco_features,
};
