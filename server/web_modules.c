/* SPDX-License-Identifier: MIT */
/* The modules' paths on the web front (struct module's web_routes). */
#include "web_modules.h"

#include <string.h>

#include "base.h"
#include "module.h"
#include "server.h"

/* Is method among the space-separated methods? HEAD is answered wherever GET is. */
static bool method_listed(const char *methods, const char *method)
{
    if (strcmp(method, "HEAD") == 0)
        method = "GET";
    size_t n = strlen(method);
    for (const char *p = methods; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, method, n) == 0)
            return true;
        p += len;
        p += *p == ' ';
    }
    return false;
}

const struct web_route *web_modules_find(struct server *srv, const char *path, void **state)
{
    for (size_t m = 0; m < modules_count; m++) {
        for (size_t i = 0; i < modules[m]->n_web_routes; i++) {
            const struct web_route *r = &modules[m]->web_routes[i];
            if (strncmp(path, r->prefix, strlen(r->prefix)) == 0) {
                *state = srv->mod_state[m];
                return r;
            }
        }
    }
    return NULL;
}

int web_modules_serve(const struct web_route *r, void *state, const struct web_request *rq,
                      struct web_answer *an)
{
    if (!method_listed(r->methods, rq->method)) {
        an->status = 405;
        an->message = "method not allowed here";
        return an->status;
    }
    r->serve(state, rq, an);
    if (!an->status) {
        an->status = 500;
        an->message = "no answer";
    }
    return an->status;
}

size_t web_modules_max_put(struct server *srv)
{
    size_t most = 0;
    for (size_t m = 0; m < modules_count; m++) {
        for (size_t i = 0; i < modules[m]->n_web_routes; i++) {
            const struct web_route *r = &modules[m]->web_routes[i];
            size_t n = r->max_put_bytes && srv->mod_state[m] ? r->max_put_bytes(srv->mod_state[m])
                                                             : 0;
            if (n > most)
                most = n;
        }
    }
    return most;
}
