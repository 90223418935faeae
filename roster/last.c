/* SPDX-License-Identifier: MIT */
/* XEP-0012 last activity: the server's uptime, and an account's time since its last logout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "jid.h"
#include "module.h"
#include "roster.h"
#include "storage.h"

static void reply_seconds(struct route_ctx *rc, const struct stanza *st, long long seconds,
                          const char *status)
{
    char text[24];
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", NS_LAST);
    snprintf(text, sizeof(text), "%lld", seconds < 0 ? 0 : seconds);
    xel_set_attr(r, q, "seconds", text);
    if (status && *status)
        xel_add_text(r, q, status, strlen(status));
    router_reply(rc, r);
    stanza_unref(r);
}

static bool online(struct server *srv, const char *bare)
{
    for (struct session *s = module_sessions_first(srv, bare); s; s = module_sessions_next(s))
        if (module_session_available(s))
            return true;
    return false;
}

/* Only the account itself and contacts it lets see its presence may ask (XEP-0012 §4). */
static bool may_ask(struct route_ctx *rc, const char *owner)
{
    const char *asker = module_session_jid(rc->sess)->bare;
    if (strcmp(asker, owner) == 0)
        return true;
    struct roster_contact c;
    roster_contact_get(rc->srv, owner, asker, &c);
    return c.found && (c.sub & ROSTER_SUB_FROM);
}

static int account_last(struct route_ctx *rc, const struct stanza *st, const char *owner)
{
    if (!may_ask(rc, owner))
        return ROUTE_ERROR(COND_FORBIDDEN);
    if (online(rc->srv, owner)) {
        reply_seconds(rc, st, 0, NULL);
        return ROUTE_DONE;
    }
    long long when;
    char *status = NULL;
    int rc_get = last_get(module_storage(rc->srv), owner, &when, &status);
    if (rc_get == PL_ENOTFOUND)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (rc_get != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    reply_seconds(rc, st, (long long)time(NULL) - when, status);
    free(status);
    return ROUTE_DONE;
}

static int last_iq(struct route_ctx *rc, struct stanza *st)
{
    if (!rc->to || !rc->to->local) {
        reply_seconds(rc, st, (long long)time(NULL) - module_started(rc->srv), NULL);
        return ROUTE_DONE;
    }
    if (rc->to->resource)
        return ROUTE_PASS; /* a client answers for itself (idle time) */
    return account_last(rc, st, rc->to->bare);
}

static const struct route last_routes[] = {
    { .elem = "iq", .ns = NS_LAST, .types = IQ_GET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .fn = last_iq },
};

static const char *const last_features[] = { NS_LAST, NULL };

const struct module last_module = {
    .name = "last",
    .routes = last_routes,
    .n_routes = sizeof(last_routes) / sizeof(last_routes[0]),
    .features = last_features,
};
