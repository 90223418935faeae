/* SPDX-License-Identifier: MIT */
/* The local control channel: one-line requests on a UNIX socket in data_dir, served by the
 * event loop (server side) and sent by parleyctl (client side). */
#include "control.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base.h"
#include "conn.h"
#include "log.h"
#include "server.h"

#define CONTROL_FILE "control.sock"
#define CONTROL_TIMEOUT_S 5
#define CONTROL_STREAM_TEXT "account deleted"
#define CONTROL_CLIENTS 8 /* parleyctl runs are short: more at once are turned away */

struct control {
    struct server *srv;
    struct evconnlistener *listener;
    struct bufferevent *clients[CONTROL_CLIENTS]; /* requests being read or answered */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* data_dir/control.sock into sa; false when the path does not fit a socket address. */
static bool make_addr(const char *data_dir, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/" CONTROL_FILE, data_dir);
    return n > 0 && (size_t)n < sizeof(sa->sun_path);
}

/* Every session of an account that is gone ends, as Prosody ends them: not-authorized. The
 * closes detach sessions from the account's chain, so the connections are collected first. */
static unsigned end_sessions(struct server *srv, const char *bare)
{
    struct account_sessions *acct = session_account(&srv->sessions, bare);
    unsigned n = acct ? acct->count : 0, ended = 0;
    struct conn **conns = xcalloc(n ? n : 1, sizeof(*conns));
    for (struct session *s = acct ? acct->first : NULL; s && ended < n; s = s->next_resource)
        conns[ended++] = s->conn;
    for (unsigned i = 0; i < ended; i++) {
        log_info(conn_tag(conns[i]), "account %s deleted: ending its session", bare);
        conn_close(conns[i], "not-authorized", CONTROL_STREAM_TEXT);
    }
    free(conns);
    return ended;
}

/* "deluser JID": only for an account the database no longer has, so that the channel can
 * never be used to cut off a live account. */
static void answer_deluser(struct server *srv, const char *arg, struct evbuffer *out)
{
    struct jid *j = jid_parse(arg);
    if (!j || !j->local || j->resource || !server_hosts(srv, j->domain))
        evbuffer_add_printf(out, "error not a local bare JID\n");
    else if (server_account_exists(srv, j->bare))
        evbuffer_add_printf(out, "error %s still exists\n", j->bare);
    else
        evbuffer_add_printf(out, "ok %u\n", end_sessions(srv, j->bare));
    jid_free(j);
}

static void answer(struct server *srv, const char *line, struct evbuffer *out)
{
    static const char deluser[] = "deluser ";
    if (strcmp(line, "ping") == 0)
        evbuffer_add_printf(out, "ok\n");
    else if (strncmp(line, deluser, sizeof(deluser) - 1) == 0)
        answer_deluser(srv, line + sizeof(deluser) - 1, out);
    else
        evbuffer_add_printf(out, "error unknown request\n");
}

/* libevent defers the free of a bufferevent past its own callback, so this is safe there. */
static void client_free(struct control *ctl, struct bufferevent *bev)
{
    for (size_t i = 0; i < CONTROL_CLIENTS; i++)
        if (ctl->clients[i] == bev)
            ctl->clients[i] = NULL;
    bufferevent_free(bev);
}

/* The answer is written: the request is over. */
static void client_written(struct bufferevent *bev, void *arg) { client_free(arg, bev); }

static void client_event(struct bufferevent *bev, short what, void *arg)
{
    (void)what;
    client_free(arg, bev);
}

static void client_read(struct bufferevent *bev, void *arg)
{
    struct control *ctl = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char *line = evbuffer_readln(in, NULL, EVBUFFER_EOL_LF);
    if (!line && evbuffer_get_length(in) <= CONTROL_LINE_MAX)
        return; /* the rest of the line is on its way */
    bufferevent_disable(bev, EV_READ);
    if (line)
        answer(ctl->srv, line, bufferevent_get_output(bev));
    else
        evbuffer_add_printf(bufferevent_get_output(bev), "error request too long\n");
    free(line);
    bufferevent_setcb(bev, NULL, client_written, client_event, ctl);
}

static void client_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    struct control *ctl = arg;
    (void)l, (void)sa, (void)salen;
    size_t slot = 0;
    while (slot < CONTROL_CLIENTS && ctl->clients[slot])
        slot++;
    struct bufferevent *bev = slot < CONTROL_CLIENTS
                                  ? bufferevent_socket_new(ctl->srv->base, fd,
                                                           BEV_OPT_CLOSE_ON_FREE)
                                  : NULL;
    if (!bev) {
        close(fd);
        return;
    }
    ctl->clients[slot] = bev;
    const struct timeval limit = { CONTROL_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(bev, &limit, &limit);
    bufferevent_setcb(bev, client_read, NULL, client_event, ctl);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct control *control_open(struct server *srv)
{
    struct sockaddr_un sa;
    if (!make_addr(srv->cfg.data_dir, &sa)) {
        log_error("control", "%s/%s: path too long for a UNIX socket", srv->cfg.data_dir,
                  CONTROL_FILE);
        return NULL;
    }
    struct control *ctl = xcalloc(1, sizeof(*ctl));
    ctl->srv = srv;
    memcpy(ctl->path, sa.sun_path, sizeof(ctl->path));
    unlink(ctl->path); /* left by a server that did not stop cleanly */
    /* Only the server's user may connect: 0600 from the first moment, then data_dir (0700). */
    mode_t old = umask(0177);
    ctl->listener = evconnlistener_new_bind(srv->base, client_accept, ctl,
                                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
                                            (struct sockaddr *)&sa, (int)sizeof(sa));
    umask(old);
    if (!ctl->listener) {
        log_error("control", "cannot listen on %s: %s", ctl->path, strerror(errno));
        free(ctl);
        return NULL;
    }
    log_info("control", "listening on %s", ctl->path);
    return ctl;
}

void control_close(struct control *ctl)
{
    if (!ctl)
        return;
    evconnlistener_free(ctl->listener);
    for (size_t i = 0; i < CONTROL_CLIENTS; i++)
        if (ctl->clients[i])
            bufferevent_free(ctl->clients[i]);
    unlink(ctl->path);
    free(ctl);
}

/* ---- client side ---------------------------------------------------------------------- */

/* Reads up to the newline; false on timeout, EOF or error. */
static bool read_line(int fd, char *reply, size_t n)
{
    size_t got = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (got + 1 < n && poll(&p, 1, CONTROL_TIMEOUT_S * 1000) == 1) {
        ssize_t r = read(fd, reply + got, n - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        reply[got] = '\0';
        char *nl = strchr(reply, '\n');
        if (nl) {
            *nl = '\0';
            return true;
        }
    }
    return false;
}

int control_request(const char *data_dir, const char *request, char *reply, size_t n)
{
    struct sockaddr_un sa;
    snprintf(reply, n, "no answer");
    if (!make_addr(data_dir, &sa))
        return PL_ENOTFOUND; /* the server could not have listened there either */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return err == ENOENT || err == ECONNREFUSED ? PL_ENOTFOUND : PL_EIO;
    }
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s\n", request);
    bool ok = send(fd, b.data, b.len, MSG_NOSIGNAL) == (ssize_t)b.len && read_line(fd, reply, n);
    buf_fini(&b);
    close(fd);
    return ok ? PL_OK : PL_EIO;
}
