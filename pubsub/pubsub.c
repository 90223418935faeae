/* SPDX-License-Identifier: MIT */
/* The pubsub module: its routes, options and hooks, over the engine of this folder. Every
 * account's PEP service answers at its bare JID, the generic service at pubsub_domain. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "pubsub.h"

extern const char *const ps_features[];

int ps_service_route(struct route_ctx *rc, struct stanza *st)
{
    int res = module_service_requests_only(rc, st);
    if (res != ROUTE_PASS)
        return res;
    const struct xel *payload = xel_first_elem(st->root);
    const char *ns = payload && payload->ns ? payload->ns : "";
    res = ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
    if (strcmp(ns, NS_PUBSUB) == 0)
        res = ps_handle_pubsub(rc, st);
    else if (strcmp(ns, NS_PUBSUB_OWNER) == 0)
        res = ps_handle_owner(rc, st);
    else if (st->type == IQ_GET && (!strcmp(ns, NS_DISCO_INFO) || !strcmp(ns, NS_DISCO_ITEMS)))
        res = ps_handle_disco(rc, st);
    return res == ROUTE_PASS ? ROUTE_ERROR(COND_SERVICE_UNAVAILABLE) : res;
}

static const char *service_domain(const struct server *srv)
{
    return module_pubsub_domain(srv);
}

static void session_presence(void *state, struct session *sess)
{
    ps_caps_presence(state, sess);
}

static void session_close(void *state, struct session *sess)
{
    struct pubsub *ps = state;
    struct ps_sess *s = module_session_slot_get(sess, ps->slot);
    if (!s)
        return;
    ps_caps_release(ps, s);
    free(s);
    module_session_slot_set(sess, ps->slot, NULL);
}

static void presence_prepare(void *state, struct session *sess, struct stanza *st)
{
    ps_avatar_presence(state, sess, st);
}

static void userdata_stored(void *state, const char *owner, enum userdata_kind kind,
                            const char *name, const struct xel *el)
{
    ps_views_userdata(state, owner, kind, name, el);
}

static void account_deleted(void *state, const char *bare)
{
    ps_forget_account(state, bare);
}

static int pubsub_init(struct server *srv, const void *opts, void **state)
{
    struct pubsub *ps = xcalloc(1, sizeof(*ps));
    ps->srv = srv;
    ps->opts = *(const struct ps_opts *)opts;
    ps->opts.node_creators = xstrdup(ps->opts.node_creators);
    ps->slot = module_slot(&pubsub_module);
    hmap_init(&ps->services);
    ps->caps = caps_cache_new((size_t)ps->opts.caps_cache_entries);
    module_fanout_init(&ps->fan);
    *state = ps;
    int rc = ps_load(ps);
    if (rc != PL_OK)
        module_log(LOG_ERROR, "pubsub", "cannot read the nodes back: %s", pl_strerror(rc));
    return rc;
}

static void pubsub_fini(void *state)
{
    struct pubsub *ps = state;
    if (!ps)
        return;
    ps_jobs_release(ps);
    ps_free_all(ps);
    caps_cache_free(ps->caps);
    module_fanout_fini(&ps->fan);
    free(ps->opts.node_creators);
    free(ps);
}

static const struct route pubsub_routes[] = {
    /* a commit, a fan-out or a long reply each: they cost more than a message */
    { .elem = "iq", .ns = NS_PUBSUB, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .cost = 4,
      .fn = ps_handle_pubsub },
    { .elem = "iq", .ns = NS_PUBSUB_OWNER, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .cost = 4,
      .fn = ps_handle_owner },
    { .elem = "iq", .ns = NS_DISCO_INFO, .types = IQ_GET, .targets = TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = ps_handle_disco },
    { .elem = "iq", .ns = NS_DISCO_ITEMS, .types = IQ_GET, .targets = TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = ps_handle_disco },
    { .elem = "iq", .ns = NULL, .types = IQ_RESULT | IQ_ERROR, .targets = TARGET_SERVER,
      .min_state = SESS_BOUND, .fn = ps_caps_answer },
};

#define OPT(field) offsetof(struct ps_opts, field)
static const struct cfg_opt pubsub_options[] = {
    { "max_item_bytes", CFG_INT, OPT(max_item_bytes), "262144", 256, 16777216, NULL },
    { "max_items", CFG_INT, OPT(max_items), "1000", 1, 100000, NULL },
    { "max_nodes", CFG_INT, OPT(max_nodes), "200", 1, 100000, NULL },
    { "cache_item_bytes", CFG_INT, OPT(cache_item_bytes), "16384", 0, 16777216, NULL },
    { "fanout_per_turn", CFG_INT, OPT(fanout_per_turn), "200", 1, 100000, NULL },
    { "caps_cache_entries", CFG_INT, OPT(caps_cache_entries), "4096", 16, 1000000, NULL },
    { "node_creators", CFG_STRING, OPT(node_creators), "", 0, 65535, NULL },
};

const struct module pubsub_module = {
    .name = "pubsub",
    .options = pubsub_options,
    .n_options = ARRAY_LEN(pubsub_options),
    .options_size = sizeof(struct ps_opts),
    .routes = pubsub_routes,
    .n_routes = ARRAY_LEN(pubsub_routes),
    .init = pubsub_init,
    .fini = pubsub_fini,
    .session_close = session_close,
    .session_presence = session_presence,
    .presence_prepare = presence_prepare,
    .userdata_stored = userdata_stored,
    .account_deleted = account_deleted,
    .service_domain = service_domain,
    .service_route = ps_service_route,
    .account_features = ps_features,
    .account_identity = "pubsub/pep",
};
