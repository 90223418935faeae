/* SPDX-License-Identifier: MIT */
/* BOSH (XEP-0124, XEP-0206) at /http-bind: sessions that carry a stream over HTTP requests. */
#ifndef PL_HTTP_BIND_H
#define PL_HTTP_BIND_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct server;

void http_bind_init(struct server *srv);
/* A whole POST /http-bind request body from c. The answer is written now or later (the
 * request is then held on c: conn_http_hold). PL_OK, or PL_ECLOSED to close c after it. */
int http_bind_serve(struct conn *c, const char *body, size_t n, const char *cors,
                    bool keep_alive);
/* The connection of a request held by a session went away. */
void http_bind_forget(void *request);
/* The server stops: every session ends with system-shutdown, answering what it holds. */
void http_bind_shutdown(struct server *srv);
void http_bind_fini(struct server *srv);

#endif
