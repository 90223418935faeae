/* SPDX-License-Identifier: MIT */
/* XEP-0049 private XML storage: an account keeps XML fragments, each known by its root
 * element's name and namespace, that only the account itself reads and writes. Bounded by
 * [private] max_bytes a fragment and max_fragments an account. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "profile.h"

struct private_opts {
    long max_bytes;
    long max_fragments;
};

/* A fragment's name in storage: "{namespace}element". */
static void fragment_name(const struct xel *el, char *out, size_t len)
{
    snprintf(out, len, "{%s}%s", el->ns, el->name);
}

/* The request's fragments: at least one, each in a namespace of its own (XEP-0049 §2). */
static int check_fragments(const struct xel *query)
{
    const struct xel *el = xel_first_elem(query);
    if (!el)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    for (; el; el = el->next)
        if (el->name && (!el->ns || !*el->ns || strcmp(el->ns, NS_PRIVATE) == 0 ||
                         strcmp(el->ns, NS_CLIENT) == 0))
            return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    return ROUTE_DONE;
}

/* The account's own data only; an iq to the server's domain is the sender's own. */
static const char *own_owner(const struct route_ctx *rc)
{
    const char *owner = profile_owner(rc);
    if (!owner)
        return module_session_jid(rc->sess)->bare;
    return profile_is_own(rc, owner) ? owner : NULL;
}

/* Each fragment asked for as stored, or as asked (empty) when none is. */
static int private_get(struct route_ctx *rc, struct stanza *st)
{
    const char *owner = own_owner(rc);
    const struct xel *query = xel_child(st->root, "query", NS_PRIVATE);
    int res = !owner ? ROUTE_ERROR(COND_FORBIDDEN) : check_fragments(query);
    if (res != ROUTE_DONE)
        return res;
    struct stanza *r = stanza_iq_result(st);
    struct xel *out = xel_add_child(r, r->root, "query", NS_PRIVATE);
    for (const struct xel *el = xel_first_elem(query); el; el = el->next) {
        if (!el->name)
            continue;
        char name[512];
        fragment_name(el, name, sizeof(name));
        int got;
        struct stanza *stored = profile_load(rc->srv, owner, USERDATA_PRIVATE, name, &got);
        xel_copy_into(r, out, stored ? stored->root : el);
        stanza_unref(stored);
        if (got != PL_OK)
            res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    if (res == ROUTE_DONE)
        router_reply(rc, r);
    stanza_unref(r);
    return res;
}

/* Room for the fragment named name: the account has fewer than max fragments, or this one
 * is stored already (replacing it adds none). */
static int has_room(struct route_ctx *rc, const char *owner, const char *name, long max)
{
    struct storage *s = module_storage(rc->srv);
    long long n = 0;
    if (userdata_count(s, owner, USERDATA_PRIVATE, &n) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    if (n < max)
        return ROUTE_DONE;
    char *xml = NULL;
    int rc_get = userdata_get(s, owner, USERDATA_PRIVATE, name, &xml);
    free(xml);
    if (rc_get == PL_OK)
        return ROUTE_DONE;
    return rc_get == PL_ENOTFOUND ? ROUTE_ERROR(COND_RESOURCE_CONSTRAINT)
                                  : ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
}

static int private_set(struct route_ctx *rc, struct stanza *st)
{
    const struct private_opts *o = rc->state;
    const char *owner = own_owner(rc);
    const struct xel *query = xel_child(st->root, "query", NS_PRIVATE);
    int res = !owner ? ROUTE_ERROR(COND_FORBIDDEN) : check_fragments(query);
    for (const struct xel *el = xel_first_elem(query); res == ROUTE_DONE && el; el = el->next) {
        if (!el->name)
            continue;
        char name[512];
        fragment_name(el, name, sizeof(name));
        res = has_room(rc, owner, name, o->max_fragments);
        if (res == ROUTE_DONE)
            res = profile_store(rc->srv, owner, USERDATA_PRIVATE, name, el, o->max_bytes);
    }
    if (res != ROUTE_DONE)
        return res;
    return router_reply_result(rc, st);
}

static const struct route private_routes[] = {
    { .elem = "iq", .ns = NS_PRIVATE, .types = IQ_GET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .fn = private_get },
    { .elem = "iq", .ns = NS_PRIVATE, .types = IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .fn = private_set },
};

static int private_init(struct server *srv, const void *opts, void **state)
{
    (void)srv;
    *state = profile_keep_opts(opts, sizeof(struct private_opts));
    return PL_OK;
}

#define OPT(field) offsetof(struct private_opts, field)
static const struct cfg_opt private_options[] = {
    { "max_bytes", CFG_INT, OPT(max_bytes), "65536", 1024, 16777216, NULL },
    { "max_fragments", CFG_INT, OPT(max_fragments), "100", 1, 100000, NULL },
};

const struct module private_module = {
    .name = "private",
    .options = private_options,
    .n_options = ARRAY_LEN(private_options),
    .options_size = sizeof(struct private_opts),
    .routes = private_routes,
    .n_routes = ARRAY_LEN(private_routes),
    .init = private_init,
    .fini = free,
};
