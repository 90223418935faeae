/* SPDX-License-Identifier: MIT */
/* Accepts client connections and hands them to conn_new, within max_connections. */
#include "listener.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base.h"
#include "conn.h"
#include "log.h"
#include "server.h"

/* Tells a plaintext client why it is turned away (RFC 6120 §4.9.3.17) before closing; a
 * direct-TLS client has no stream yet to carry the error. */
static void refuse(struct server *srv, evutil_socket_t fd, bool direct_tls)
{
    static const struct stream_hooks none;
    if (!direct_tls) {
        struct stream *s = stream_new(&srv->stream_cfg, &none, NULL, false, false);
        stream_error(s, srv->stopping ? "system-shutdown" : "resource-constraint",
                     srv->stopping ? NULL : "too many connections");
        struct buf *out = stream_output(s);
        ssize_t n = send(fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n; /* best effort: the socket is new and its buffer empty */
        shutdown(fd, SHUT_WR);
        stream_free(s);
    }
    close(fd);
}

static void accept_any(struct server *srv, evutil_socket_t fd, struct sockaddr *sa,
                       bool direct_tls)
{
    if (srv->stopping || srv->n_conns >= (size_t)srv->cfg.max_connections) {
        log_warn("listener", "refusing a connection: %s",
                 srv->stopping ? "shutting down" : "max_connections reached");
        refuse(srv, fd, direct_tls);
        return;
    }
    conn_new(srv, fd, sa, direct_tls);
}

static void accept_plain(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                         int salen, void *arg)
{
    (void)l, (void)salen;
    accept_any(arg, fd, sa, false);
}

static void accept_tls(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                       int salen, void *arg)
{
    (void)l, (void)salen;
    accept_any(arg, fd, sa, true);
}

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    evconnlistener_enable(arg);
}

/* Out of descriptors, the listening socket stays readable: pausing keeps the loop from
 * spinning until connections go away. */
static void accept_error(struct evconnlistener *l, void *arg)
{
    struct server *srv = arg;
    const struct timeval pause = { 0, 100 * 1000 };
    log_warn("listener", "accept failed: %s; pausing 100 ms",
             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    evconnlistener_disable(l);
    event_base_once(srv->base, -1, EV_TIMEOUT, resume_accepting, l, &pause);
}

/* Fills ss with address:port; 0 (logged) when address is not a numeric IP address. */
static socklen_t make_addr(const char *address, long port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, address, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        return sizeof(*in);
    }
    if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return sizeof(*in6);
    }
    log_error("listener", "bind_address '%s' is not an IP address", address);
    return 0;
}

/* Binds the way listener_new does (SO_REUSEADDR, so a port in TIME_WAIT passes as it would
 * at start-up), then lets the port go at once. */
int listener_probe(const char *address, long port, int *err)
{
    *err = 0;
    struct sockaddr_storage ss;
    socklen_t len = make_addr(address, port, &ss);
    if (!len)
        return PL_EINVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    int rc = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                     bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, 1) == 0
                 ? PL_OK
                 : PL_EIO;
    if (rc != PL_OK)
        *err = errno;
    if (fd >= 0)
        close(fd);
    return rc;
}

struct evconnlistener *listener_new(struct server *srv, const char *address, long port,
                                    bool direct_tls)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(address, port, &ss);
    if (!len)
        return NULL;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    struct evconnlistener *l = evconnlistener_new_bind(
        srv->base, direct_tls ? accept_tls : accept_plain, srv, flags, 1024,
        (struct sockaddr *)&ss, (int)len);
    if (!l) {
        log_error("listener", "cannot listen on %s:%ld: %s", address, port,
                  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return NULL;
    }
    evconnlistener_set_error_cb(l, accept_error);
    return l;
}
