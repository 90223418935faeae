/* SPDX-License-Identifier: MIT */
/* The local control channel: one-line requests on a UNIX socket in data_dir, served by the
 * event loop (server side) and sent by parleyctl (client side). */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base.h"
#include "conn.h"
#include "hooks.h"
#include "listener.h"
#include "log.h"
#include "module.h"
#include "server.h"
#include "session_end.h"

#define CONTROL_FILE "control.sock"
#define CONTROL_TIMEOUT_S 5
#define CONTROL_STREAM_TEXT "account deleted"
#define CONTROL_CLIENTS 8 /* parleyctl runs are short: more at once are turned away */

struct control {
    struct server *srv;
    struct listener_unix *listener;
    struct conn_line *clients[CONTROL_CLIENTS]; /* requests being read or answered */
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

/* "deluser JID": only for an account the database no longer has, so that the channel can
 * never be used to cut off a live account. */
static void answer_deluser(struct server *srv, const char *arg, struct buf *out)
{
    struct jid *j = jid_parse(arg);
    if (!j || !j->local || j->resource || !server_hosts(srv, j->domain))
        buf_printf(out, "error not a local bare JID\n");
    else if (server_account_exists(srv, j->bare))
        buf_printf(out, "error %s still exists\n", j->bare);
    else {
        hooks_account_deleted(srv, j->bare);
        /* as Prosody ends them: not-authorized */
        buf_printf(out, "ok %u\n", session_kick_account(srv, j->bare, NULL, "not-authorized",
                                                        CONTROL_STREAM_TEXT));
    }
    jid_free(j);
}

/* The first module that knows the request answers it. */
static bool modules_control(struct server *srv, const char *line, struct buf *out)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->control && modules[i]->control(srv->mod_state[i], line, out))
            return true;
    return false;
}

/* line is NULL when the request was too long. */
static void answer(void *arg, const char *line, struct buf *out)
{
    static const char deluser[] = "deluser ";
    struct control *ctl = arg;
    if (!line)
        buf_printf(out, "error request too long\n");
    else if (strcmp(line, "ping") == 0)
        buf_printf(out, "ok\n");
    else if (strncmp(line, deluser, sizeof(deluser) - 1) == 0)
        answer_deluser(ctl->srv, line + sizeof(deluser) - 1, out);
    else if (!modules_control(ctl->srv, line, out))
        buf_printf(out, "error unknown request\n");
}

static void client_closed(void *arg, struct conn_line *l)
{
    struct control *ctl = arg;
    for (size_t i = 0; i < CONTROL_CLIENTS; i++)
        if (ctl->clients[i] == l)
            ctl->clients[i] = NULL;
}

static const struct conn_line_ops client_ops = {
    .max_line = CONTROL_LINE_MAX,
    .timeout_s = CONTROL_TIMEOUT_S,
    .answer = answer,
    .closed = client_closed,
};

static void client_accept(void *arg, int fd)
{
    struct control *ctl = arg;
    size_t slot = 0;
    while (slot < CONTROL_CLIENTS && ctl->clients[slot])
        slot++;
    if (slot == CONTROL_CLIENTS)
        close(fd);
    else
        ctl->clients[slot] = conn_line_new(ctl->srv, fd, &client_ops, ctl);
}

/*
 * A server that answers on path owns this data_dir: taking the socket over would leave it
 * running unreachable, and parleyctl would then talk to the wrong process. Only a socket
 * nobody listens on (left by a server that did not stop cleanly) is removed.
 */
static int claim_path(const char *data_dir, const char *path)
{
    char reply[64];
    int rc = control_request(data_dir, "ping", reply, sizeof(reply));
    if (rc == PL_ENOTFOUND) {
        unlink(path);
        return PL_OK;
    }
    if (rc == PL_OK)
        log_error("control", "another server is running on this data_dir (it answers on %s): "
                  "not starting", path);
    else
        log_error("control", "another server may be running on this data_dir (%s is there "
                  "but gives no answer): not starting", path);
    return PL_EEXIST;
}

int control_open(struct server *srv, struct control **out)
{
    struct sockaddr_un sa;
    *out = NULL;
    if (!make_addr(srv->cfg.data_dir, &sa)) {
        log_error("control", "%s/%s: path too long for a UNIX socket", srv->cfg.data_dir,
                  CONTROL_FILE);
        return PL_EIO;
    }
    if (claim_path(srv->cfg.data_dir, sa.sun_path) != PL_OK)
        return PL_EEXIST;
    struct control *ctl = xcalloc(1, sizeof(*ctl));
    ctl->srv = srv;
    memcpy(ctl->path, sa.sun_path, sizeof(ctl->path));
    ctl->listener = listener_new_unix(srv, ctl->path, client_accept, ctl);
    if (!ctl->listener) {
        free(ctl);
        return PL_EIO;
    }
    log_info("control", "listening on %s", ctl->path);
    *out = ctl;
    return PL_OK;
}

void control_close(struct control *ctl)
{
    if (!ctl)
        return;
    listener_free_unix(ctl->listener);
    for (size_t i = 0; i < CONTROL_CLIENTS; i++)
        conn_line_free(ctl->clients[i]);
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
