/* SPDX-License-Identifier: MIT */
/* Long replies written in slices as the peer reads them, with other output held behind. */
#include "conn_int.h"

#include <stdlib.h>

#include "base.h"
#include "log.h"

/* A new slice is written only below this much queued output: a reader of any pace costs the
 * server about this plus one slice, not the whole reply. */
#define SLICES_LOW_WATERMARK (32 * 1024)
#define SLICE_BYTES (16 * 1024)
/* Replies in slices a connection may have pending (each holds its producer's state). */
#define SLICES_MAX 4

struct conn_slices {
    bool (*next)(void *arg, struct buf *out, size_t budget);
    void (*release)(void *arg);
    void *arg;
    struct buf after; /* sent while this reply was the last one pending */
    struct conn_slices *next_reply;
};

/* The output is watched only while a reply is pending: the pump runs at the low watermark. */
static void watch_output(struct conn *c, bool on)
{
    conn_watch_output(c, SLICES_LOW_WATERMARK, on ? conn_slices_pump : NULL);
}

size_t conn_backlog(const struct conn *c)
{
    return conn_queued(c) + c->held;
}

bool conn_slices_hold(struct conn *c, const void *bytes, size_t n)
{
    if (!c->slices_tail)
        return false;
    buf_append(&c->slices_tail->after, bytes, n);
    c->held += n;
    return true;
}

/* Frees the first reply; what waited behind it goes out (or is dropped). */
static void finish_first(struct conn *c, bool keep_held)
{
    struct conn_slices *s = c->slices;
    c->slices = s->next_reply;
    if (!c->slices)
        c->slices_tail = NULL;
    c->n_slices--;
    c->held -= s->after.len;
    if (keep_held && s->after.len)
        conn_write_raw(c, s->after.data, s->after.len);
    c->replies_done++;
    c->last_reply_end = c->out_total;
    buf_fini(&s->after);
    s->release(s->arg);
    free(s);
}

void conn_slices_pump(struct conn *c)
{
    struct buf b;
    buf_init(&b);
    while (c->slices && !c->reaped && conn_queued(c) < SLICES_LOW_WATERMARK) {
        buf_reset(&b);
        bool done = c->slices->next(c->slices->arg, &b, SLICE_BYTES);
        conn_write_raw(c, b.data, b.len);
        if (done)
            finish_first(c, true);
    }
    buf_fini(&b);
    if (!c->slices && !c->reaped)
        watch_output(c, false);
}

void conn_slices_cancel(struct conn *c, bool keep_held)
{
    if (!c->slices)
        return; /* every connection passes here when it closes: keep that free */
    log_debug(c->tp.tag, "%zu replies in slices cut short", c->n_slices);
    while (c->slices)
        finish_first(c, keep_held);
    if (!c->reaped)
        watch_output(c, false);
}

int conn_send_slices(struct conn *c, bool (*next)(void *arg, struct buf *out, size_t budget),
                     void (*release)(void *arg), void *arg)
{
    if (c->reaped || c->tp.closing || c->n_slices >= SLICES_MAX) {
        release(arg);
        return c->n_slices >= SLICES_MAX ? PL_ELIMIT : PL_ECLOSED;
    }
    struct conn_slices *s = xcalloc(1, sizeof(*s));
    *s = (struct conn_slices){ .next = next, .release = release, .arg = arg };
    buf_init(&s->after);
    if (c->slices_tail)
        c->slices_tail->next_reply = s;
    else
        c->slices = s;
    c->slices_tail = s;
    c->n_slices++;
    watch_output(c, true);
    conn_slices_pump(c);
    return PL_OK;
}
