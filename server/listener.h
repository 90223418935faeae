/* SPDX-License-Identifier: MIT */
/* Listening sockets: the client ports, and the local control socket. */
#ifndef PL_LISTENER_H
#define PL_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct evconnlistener;
struct listener_unix;
struct loglimit;
struct server_config;

/* What a listening port speaks. */
enum listen_kind { LISTEN_STARTTLS, LISTEN_DIRECT_TLS, LISTEN_HTTP, LISTEN_HTTPS, LISTEN_KINDS };

struct listen_spec {
    const char *address;
    long port; /* 0: not listening */
    const char *what; /* for logs: "STARTTLS", "HTTP"... */
};

/* The configured listeners, indexed by enum listen_kind. */
void listener_specs(const struct server_config *cfg, struct listen_spec out[LISTEN_KINDS]);
/* Listens on address:port; accepted sockets become connections of that kind. Returns NULL
 * (reason logged) on failure. */
struct evconnlistener *listener_new(struct server *srv, const char *address, long port,
                                    enum listen_kind kind);
/* Can address:port be listened on now, as listener_new would? Binds and closes at once.
 * Returns PL_OK, PL_EINVAL (address unusable, logged) or PL_EIO with the errno in *err. */
int listener_probe(const char *address, long port, int *err);

/* Listens on the UNIX socket path (the file, which must not exist, is created with mode
 * 0600); on_accept(arg, fd) gets each accepted socket, which it then owns. Returns NULL
 * (reason logged) on failure. */
struct listener_unix *listener_new_unix(struct server *srv, const char *path,
                                        void (*on_accept)(void *arg, int fd), void *arg);
/* Stops listening (the socket file stays). NULL is fine. */
void listener_free_unix(struct listener_unix *u);
/* Returns the owned log limiter for srv->listen_log: refusals are logged once per source and
 * interval, accept failures once per interval, the rest counted. Free with loglimit_free. */
struct loglimit *listener_log_new(void);
/* Once a second: logs how many lines were held back for keys whose interval has passed, so a
 * flood that stops is still summed up. */
void listener_tick(struct server *srv, uint64_t now_ms);

#endif
