/* SPDX-License-Identifier: MIT */
/* XEP-0199: the server answers pings to itself and to accounts; pings to a full JID route on. */
#include "module.h"
#include "ns.h"

static int ping_iq(struct route_ctx *rc, struct stanza *st)
{
    return router_reply_result(rc, st);
}

static const struct route ping_routes[] = {
    { .elem = "iq", .ns = NS_PING, .types = IQ_GET, .targets = TARGET_SERVER | TARGET_ACCOUNT,
      .min_state = SESS_BOUND, .fn = ping_iq },
};

static const char *const ping_features[] = { NS_PING, NULL };

const struct module ping_module = {
    .name = "ping",
    .routes = ping_routes,
    .n_routes = sizeof(ping_routes) / sizeof(ping_routes[0]),
    .features = ping_features,
};
