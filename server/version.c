/* SPDX-License-Identifier: MIT */
/* XEP-0092: the server tells its software name, version and operating system. */
#include <stdio.h>
#include <string.h>

#include <sys/utsname.h>

#include "module.h"
#include "ns.h"
#include "version.h"

static int version_iq(struct route_ctx *rc, struct stanza *st)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", NS_VERSION);
    struct utsname u;

    xel_add_text_child(r, q, "name", "Parley");
    xel_add_text_child(r, q, "version", PARLEY_VERSION);
    /* <os/> is optional (XEP-0092 §2): leave it out rather than guess when uname fails. */
    if (uname(&u) == 0) {
        char os[sizeof(u.sysname) + sizeof(u.release)];
        snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
        xel_add_text_child(r, q, "os", os);
    }
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

static const struct route version_routes[] = {
    { .elem = "iq", .ns = NS_VERSION, .types = IQ_GET, .targets = TARGET_SERVER,
      .min_state = SESS_BOUND, .fn = version_iq },
};

static const char *const version_features[] = { NS_VERSION, NULL };

const struct module version_module = {
    .name = "version",
    .routes = version_routes,
    .n_routes = sizeof(version_routes) / sizeof(version_routes[0]),
    .features = version_features,
};
