/* SPDX-License-Identifier: MIT */
/* XEP-0202: the server tells its current time, always in UTC. */
#include <string.h>
#include <time.h>

#include "module.h"
#include "ns.h"

static int time_iq(struct route_ctx *rc, struct stanza *st)
{
    time_t now = time(NULL);
    struct tm tm;
    char utc[sizeof("YYYY-MM-DDThh:mm:ssZ") + 8]; /* room for years past 9999 */

    /* Both fail only for absurd clocks; an answer we cannot stamp is an internal error. */
    if (!gmtime_r(&now, &tm) || strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);

    struct stanza *r = stanza_iq_result(st);
    struct xel *t = xel_add_child(r, r->root, "time", NS_TIME);
    /* The server reports UTC, so its offset is zero (XEP-0082 TZD format). */
    xel_add_text_child(r, t, "tzo", "+00:00");
    xel_add_text_child(r, t, "utc", utc);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

static const struct route time_routes[] = {
    { .elem = "iq", .ns = NS_TIME, .types = IQ_GET, .targets = TARGET_SERVER,
      .min_state = SESS_BOUND, .fn = time_iq },
};

static const char *const time_features[] = { NS_TIME, NULL };

const struct module time_module = {
    .name = "time",
    .routes = time_routes,
    .n_routes = sizeof(time_routes) / sizeof(time_routes[0]),
    .features = time_features,
};
