/* SPDX-License-Identifier: MIT */
/* Hands the store's asynchronous completions (archive reads on reader threads) back to the
 * event loop: the readers write to an eventfd, the loop runs the completions. */
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "base.h"
#include "log.h"
#include "server.h"

/* Called on a reader thread: only the eventfd is touched here. */
static void wake_loop(void *ctx)
{
    struct server *srv = ctx;
    uint64_t one = 1;
    ssize_t n = write(srv->wake_fd, &one, sizeof(one));
    (void)n; /* EAGAIN: the counter is already set, the loop will run anyway */
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    uint64_t count;
    (void)what;
    ssize_t n = read(fd, &count, sizeof(count));
    (void)n;
    storage_run_completions(&srv->store);
}

int store_wake_open(struct server *srv)
{
    srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->wake_fd < 0) {
        log_error("server", "eventfd for storage completions failed");
        return PL_EIO;
    }
    srv->wake_ev = event_new(srv->base, srv->wake_fd, EV_READ | EV_PERSIST, on_wake, srv);
    if (!srv->wake_ev || event_add(srv->wake_ev, NULL) != 0)
        return PL_EIO;
    storage_set_wake(&srv->store, wake_loop, srv);
    return PL_OK;
}

void store_wake_close(struct server *srv)
{
    if (srv->wake_ev)
        event_free(srv->wake_ev);
    srv->wake_ev = NULL;
    if (srv->wake_fd > 0)
        close(srv->wake_fd);
    srv->wake_fd = -1;
}
