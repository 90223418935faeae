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
/* Can address:port be listened on now, as listener_new would? Binds and closes at once.
 * Returns PL_OK, PL_EINVAL (address unusable, logged) or PL_EIO with the errno in *err. */
int listener_probe(const char *address, long port, int *err);

#endif
