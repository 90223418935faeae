/* SPDX-License-Identifier: MIT */
/* A file as an HTTP answer's body, read and written a slice at a time as the peer reads: a
 * large upload is never queued whole (max_output_bytes would drop the reader). */
#include "conn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base.h"
#include "log.h"

struct file_body {
    int fd;
    off_t at;
    size_t left;
    char tag[24];
};

/* A read that fails or comes short leaves the answer shorter than its Content-Length: the
 * peer sees the connection end early, which is all HTTP/1.1 can say by then. */
static bool next_slice(void *arg, struct buf *out, size_t budget)
{
    struct file_body *f = arg;
    size_t want = f->left < budget ? f->left : budget;
    while (want) {
        char chunk[16384];
        size_t n = want < sizeof(chunk) ? want : sizeof(chunk);
        ssize_t got = pread(f->fd, chunk, n, f->at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            log_warn(f->tag, "a file being sent could not be read: %zu bytes short", f->left);
            f->left = 0;
            return true;
        }
        buf_append(out, chunk, (size_t)got);
        f->at += got;
        f->left -= (size_t)got;
        want -= (size_t)got;
    }
    return f->left == 0;
}

static void release(void *arg)
{
    struct file_body *f = arg;
    close(f->fd);
    free(f);
}

void conn_http_send_file(struct conn *c, int fd, size_t len)
{
    struct file_body *f = xcalloc(1, sizeof(*f));
    *f = (struct file_body){ .fd = fd, .left = len };
    snprintf(f->tag, sizeof(f->tag), "%s", c->tp.tag);
    if (len == 0) {
        release(f);
        return;
    }
    conn_send_slices(c, next_slice, release, f); /* on failure release has run */
}
