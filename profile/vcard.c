/* SPDX-License-Identifier: MIT */
/* XEP-0054 vcard-temp: an account's vCard, kept whole. Anyone may read it; only its owner
 * sets it, up to [vcard] max_bytes. */
#include <stddef.h>
#include <stdlib.h>

#include "base.h"
#include "config.h"
#include "profile.h"

struct vcard_opts {
    long max_bytes;
};

static int vcard_get(struct route_ctx *rc, struct stanza *st)
{
    const char *owner = profile_owner(rc);
    int got = PL_OK;
    struct stanza *stored = owner ? profile_load(rc->srv, owner, USERDATA_VCARD, "", &got) : NULL;
    if (got != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    struct stanza *r = stanza_iq_result(st);
    if (stored)
        xel_copy_into(r, r->root, stored->root);
    else /* none stored, or the server's own: an empty one (XEP-0054 §3.1 allows both) */
        xel_add_child(r, r->root, "vCard", NS_VCARD);
    router_reply(rc, r);
    stanza_unref(r);
    stanza_unref(stored);
    return ROUTE_DONE;
}

static int vcard_set(struct route_ctx *rc, struct stanza *st)
{
    const struct vcard_opts *o = rc->state;
    const char *owner = profile_owner(rc);
    if (!profile_is_own(rc, owner))
        return ROUTE_ERROR(COND_FORBIDDEN);
    const struct xel *card = xel_child(st->root, "vCard", NS_VCARD);
    if (!card)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    int res = profile_store(rc->srv, owner, USERDATA_VCARD, "", card, o->max_bytes);
    if (res != ROUTE_DONE)
        return res;
    return router_reply_result(rc, st);
}

static const struct route vcard_routes[] = {
    { .elem = "iq", .ns = NS_VCARD, .types = IQ_GET, .targets = TARGET_SERVER | TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = vcard_get },
    { .elem = "iq", .ns = NS_VCARD, .types = IQ_SET, .targets = TARGET_SERVER | TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = vcard_set },
};

static int vcard_init(struct server *srv, const void *opts, void **state)
{
    (void)srv;
    *state = profile_keep_opts(opts, sizeof(struct vcard_opts));
    return PL_OK;
}

#define OPT(field) offsetof(struct vcard_opts, field)
static const struct cfg_opt vcard_options[] = {
    { "max_bytes", CFG_INT, OPT(max_bytes), "131072", 1024, 16777216, NULL },
};

static const char *const vcard_features[] = { NS_VCARD, NULL };

const struct module vcard_module = {
    .name = "vcard",
    .options = vcard_options,
    .n_options = ARRAY_LEN(vcard_options),
    .options_size = sizeof(struct vcard_opts),
    .routes = vcard_routes,
    .n_routes = ARRAY_LEN(vcard_routes),
    .features = vcard_features,
    .init = vcard_init,
    .fini = free,
};
