/* SPDX-License-Identifier: MIT */
/* A room's recent history for joiners (XEP-0045 §7.2.13-14, XEP-0203 delay): a ring in memory,
 * filled from the room archive when the room is first joined, and kept up as messages pass. */
#include "muc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"

/* What a joiner's <history/> asks for; -1: no limit. */
struct hist_req {
    long maxstanzas, maxchars;
    long long since_us;
};

/* A joiner waiting for the history to load. */
struct muc_waiter {
    struct muc_waiter *next;
    char *full;
    struct hist_req req;
};

/* The archive query filling a room's ring; room is cleared when the room goes first. */
struct muc_hist_load {
    struct muc_room *room;
};

static long attr_long(const struct xel *el, const char *name)
{
    const char *v = el ? xel_attr(el, name) : NULL;
    char *end;
    long n = v ? strtol(v, &end, 10) : -1;
    return v && end != v && !*end && n >= 0 ? n : -1;
}

static void parse_req(const struct xel *el, struct hist_req *req)
{
    req->maxstanzas = attr_long(el, "maxstanzas");
    req->maxchars = attr_long(el, "maxchars");
    req->since_us = 0;
    long seconds = attr_long(el, "seconds");
    if (seconds >= 0)
        req->since_us = module_wall_us() - (long long)seconds * 1000000;
    long long since;
    const char *s = el ? xel_attr(el, "since") : NULL;
    if (s && datetime_parse(s, &since) == PL_OK && since > req->since_us)
        req->since_us = since;
}

static struct muc_hist *hist_at(const struct muc_room *r, size_t i)
{
    return &r->hist[(r->hist_start + i) % r->hist_cap];
}

void muc_history_add(struct muc_room *r, const struct stanza *st, long long ts_us)
{
    if (!r->hist_cap) {
        r->hist_cap = (size_t)r->mod->opts.max_history;
        r->hist = r->hist_cap ? xcalloc(r->hist_cap, sizeof(*r->hist)) : NULL;
    }
    if (!r->hist_cap)
        return;
    if (r->hist_n == r->hist_cap) { /* full: the oldest goes */
        stanza_unref(r->hist[r->hist_start].st);
        r->hist_start = (r->hist_start + 1) % r->hist_cap;
        r->hist_n--;
    }
    struct muc_hist *h = hist_at(r, r->hist_n++);
    h->st = stanza_ref((struct stanza *)st);
    h->ts_us = ts_us;
}

/* What a joiner gets for h: the message with the room's <delay/>, addressed to it (owned). */
static struct stanza *delayed_copy(const struct muc_room *r, const struct muc_hist *h,
                                   const char *to)
{
    struct stanza *st = stanza_compact(h->st);
    char stamp[40];
    datetime_format(h->ts_us, stamp, sizeof(stamp));
    struct xel *d = xel_add_child(st, st->root, "delay", NS_DELAY);
    xel_set_attr(st, d, "from", r->jid);
    xel_set_attr(st, d, "stamp", stamp);
    stanza_set_to(st, to);
    return st;
}

/* maxchars counts the complete stanzas as the joiner gets them (XEP-0045 §7.2.13). */
static size_t delivered_chars(const struct muc_room *r, const struct muc_hist *h,
                              const char *to)
{
    struct stanza *st = delayed_copy(r, h, to);
    struct buf b;
    buf_init(&b);
    stanza_write(st, &b);
    size_t n = b.len;
    buf_fini(&b);
    stanza_unref(st);
    return n;
}

/* How many of the newest entries the request takes. */
static size_t history_count(const struct muc_room *r, const struct hist_req *req,
                            const char *to)
{
    size_t limit = (size_t)r->cfg.history;
    if (req->maxstanzas >= 0 && (size_t)req->maxstanzas < limit)
        limit = (size_t)req->maxstanzas;
    size_t n = 0, chars = 0;
    while (n < limit && n < r->hist_n) {
        const struct muc_hist *h = hist_at(r, r->hist_n - 1 - n);
        if (h->ts_us < req->since_us)
            break;
        if (req->maxchars >= 0) {
            chars += delivered_chars(r, h, to);
            if (chars > (size_t)req->maxchars)
                break;
        }
        n++;
    }
    return n;
}

static void send_history(struct muc_room *r, struct session *sess, const struct hist_req *req)
{
    const char *to = module_session_jid(sess)->full;
    size_t n = history_count(r, req, to);
    for (size_t i = r->hist_n - n; i < r->hist_n; i++) {
        struct stanza *st = delayed_copy(r, hist_at(r, i), to);
        module_deliver(r->mod->srv, sess, st);
        stanza_unref(st);
    }
    muc_send_subject(r, sess);
}

static bool has_sid(const struct muc_room *r, const char *sid, size_t upto)
{
    for (size_t i = 0; sid && i < upto; i++) {
        const char *other = muc_archive_sid(r, hist_at(r, i)->st);
        if (other && strcmp(other, sid) == 0)
            return true;
    }
    return false;
}

/* The archive's newest messages go before those that passed while it was read; a message
 * in both (committed before the read) is kept once. */
static void fill_ring(struct muc_room *r, const struct archive_page *page)
{
    struct muc_hist *live = r->hist;
    size_t live_n = r->hist_n, live_start = r->hist_start, cap = r->hist_cap;
    r->hist = NULL;
    r->hist_n = r->hist_start = r->hist_cap = 0;
    for (size_t i = 0; i < page->n; i++) {
        struct stanza *st = stanza_parse(page->items[i].xml, strlen(page->items[i].xml));
        if (st)
            muc_history_add(r, st, page->items[i].ts_us);
        stanza_unref(st);
    }
    size_t archived = r->hist_n;
    for (size_t i = 0; i < live_n; i++) {
        struct muc_hist *h = &live[(live_start + i) % cap];
        if (!has_sid(r, muc_archive_sid(r, h->st), archived))
            muc_history_add(r, h->st, h->ts_us);
        stanza_unref(h->st);
    }
    free(live);
}

static void loaded(void *ctx, const struct archive_page *page)
{
    struct muc_hist_load *hl = ctx;
    struct muc_room *r = hl->room;
    free(hl);
    if (!r)
        return; /* the room left memory meanwhile */
    r->hist_load = NULL;
    r->hist_ready = true;
    if (page->rc == PL_OK)
        fill_ring(r, page);
    else
        module_log(LOG_WARN, "muc", "room %s: its history could not be read", r->jid);
    struct muc_waiter *w = r->waiting;
    r->waiting = NULL;
    while (w) {
        struct muc_waiter *next = w->next;
        struct session *sess = module_session_find(r->mod->srv, w->full);
        if (sess && muc_seat_of(r, sess))
            send_history(r, sess, &w->req);
        free(w->full);
        free(w);
        w = next;
    }
    muc_room_release(r);
}

static void start_load(struct muc_room *r)
{
    struct muc_hist_load *hl = xcalloc(1, sizeof(*hl));
    hl->room = r;
    struct archive_filter f = {
        .owner = r->jid, .max = (unsigned)r->mod->opts.max_history, .from_end = true,
    };
    r->hist_load = hl;
    if (archive_query(module_storage(r->mod->srv), &f, loaded, hl) != PL_OK) {
        r->hist_load = NULL;
        r->hist_ready = true; /* served from what passes from now on */
        free(hl);
    }
}

void muc_history_send(struct muc_room *r, struct session *sess, const struct xel *req_el)
{
    struct hist_req req;
    parse_req(req_el, &req);
    if (!r->hist_ready && !r->hist_load && r->stored && r->cfg.archive && r->cfg.history)
        start_load(r);
    else if (!r->hist_load)
        r->hist_ready = true;
    if (r->hist_ready) {
        send_history(r, sess, &req);
        return;
    }
    struct muc_waiter *w = xcalloc(1, sizeof(*w));
    w->full = xstrdup(module_session_jid(sess)->full);
    w->req = req;
    w->next = r->waiting;
    r->waiting = w;
}

void muc_history_fini(struct muc_room *r)
{
    if (r->hist_load)
        r->hist_load->room = NULL;
    for (size_t i = 0; i < r->hist_n; i++)
        stanza_unref(hist_at(r, i)->st);
    free(r->hist);
    while (r->waiting) {
        struct muc_waiter *next = r->waiting->next;
        free(r->waiting->full);
        free(r->waiting);
        r->waiting = next;
    }
}
