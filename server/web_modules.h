/* SPDX-License-Identifier: MIT */
/* The modules' paths on the web front: which route serves a path, and the largest upload. */
#ifndef PL_WEB_MODULES_H
#define PL_WEB_MODULES_H

#include <stddef.h>

struct server;
struct web_route;
struct web_request;
struct web_answer;

/* The module route whose prefix path starts with (and its module's state), or NULL. */
const struct web_route *web_modules_find(struct server *srv, const char *path, void **state);
/* Runs the route for rq (405 when it does not answer rq's method); returns an's status. */
int web_modules_serve(const struct web_route *r, void *state, const struct web_request *rq,
                      struct web_answer *an);
/* The largest PUT body any route takes (0: none asks for more than the front's limit). */
size_t web_modules_max_put(struct server *srv);

#endif
