/* SPDX-License-Identifier: MIT */
/* Listening sockets for the client ports. */
#ifndef PL_LISTENER_H
#define PL_LISTENER_H

#include <stdbool.h>

struct server;
struct evconnlistener;

/* Listens on bind_address:port; accepted sockets become connections (direct TLS or not).
 * Returns NULL (reason logged) on failure. */
struct evconnlistener *listener_new(struct server *srv, const char *address, long port,
                                    bool direct_tls);

#endif
