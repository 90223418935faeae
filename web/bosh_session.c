/* SPDX-License-Identifier: MIT */
/* A BOSH session's life: creation, each request placed by its rid, output in, the glue's ends. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "bosh_int.h"

/* One later request's <body/>, as far as the session reads it. */
struct incoming {
    uint64_t rid;
    unsigned flags; /* enum bosh_request_flags */
    unsigned pause;
    bool has_ack;
    uint64_t ack;
};

struct bosh_session *bosh_session_new(const struct bosh_limits *lim, const struct bosh_params *p,
                                      const struct bosh_hooks *hooks, void *ctx, void *request,
                                      uint64_t now_ms)
{
    struct bosh_session *s = xcalloc(1, sizeof(*s));
    /* §7.2: the sid must be unpredictable; a session must not start without one. */
    if (!random_hex(s->sid, BOSH_SID_LEN / 2)) {
        free(s);
        return NULL;
    }
    s->lim = lim;
    s->hooks = hooks;
    s->ctx = ctx;
    s->p = *p;
    s->slots = xcalloc(p->requests + 1, sizeof(*s->slots));
    s->cache = xcalloc(p->requests, sizeof(*s->cache));
    bosh_queue_init(&s->out);
    buf_init(&s->body);
    s->slots[0] = (struct bosh_slot){ .rid = p->rid, .request = request, .processed = true,
                                      .deadline_ms = now_ms + p->wait * 1000ull };
    s->n_slots = 1;
    s->rid_next = p->rid + 1;
    s->last_new_ms = now_ms;
    s->last_new_empty = true;
    s->idle_since_ms = now_ms;
    return s;
}

void bosh_session_free(struct bosh_session *s)
{
    if (!s)
        return;
    bosh_queue_fini(&s->out);
    buf_fini(&s->body);
    for (unsigned i = 0; i < s->p.requests; i++)
        buf_fini(&s->cache[i].body);
    free(s->cache);
    free(s->slots);
    free(s->end_uri);
    free(s);
}

const char *bosh_session_sid(const struct bosh_session *s)
{
    return s->sid;
}

const struct bosh_params *bosh_session_params(const struct bosh_session *s)
{
    return &s->p;
}

void bosh_session_set_authid(struct bosh_session *s, const char *stream_id)
{
    size_t n = strnlen(stream_id, BOSH_AUTHID_MAX);
    memcpy(s->authid, stream_id, n);
    s->authid[n] = '\0';
}

/* §10: a pause is granted only where maxpause was announced (a client must not ask
 * otherwise, so it is ignored), and never longer than that. */
static enum bosh_condition read_pause(const struct bosh_session *s, const char *value,
                                      struct incoming *in)
{
    if (!value || s->p.maxpause == 0)
        return BOSH_COND_NONE;
    if (!bosh_parse_uint(value, &in->pause))
        return BOSH_BAD_REQUEST;
    if (in->pause > s->p.maxpause)
        in->pause = s->p.maxpause;
    in->flags |= BOSH_REQ_PAUSE;
    return BOSH_COND_NONE;
}

/* XEP-0206 §5: a restart request's body must be empty, and only a session that announced
 * restartlogic (an XMPP 1.0 one) restarts. */
static enum bosh_condition read_restart(const struct bosh_session *s, const char *value,
                                        bool empty, struct incoming *in)
{
    if (!value || (strcmp(value, "true") != 0 && strcmp(value, "1") != 0))
        return BOSH_COND_NONE;
    if (!s->p.xmpp_1 || !empty)
        return BOSH_BAD_REQUEST;
    in->flags |= BOSH_REQ_RESTART;
    return BOSH_COND_NONE;
}

static enum bosh_condition read_request(const struct bosh_session *s, const struct xel *body,
                                        bool empty, struct incoming *in)
{
    memset(in, 0, sizeof(*in));
    if (!bosh_is_body(body) || !bosh_parse_rid(xel_attr(body, "rid"), &in->rid))
        return BOSH_BAD_REQUEST;
    const char *sid = xel_attr(body, "sid");
    if (!sid || strcmp(sid, s->sid) != 0)
        return BOSH_ITEM_NOT_FOUND;
    const char *type = xel_attr(body, "type");
    if (type && strcmp(type, "terminate") == 0)
        in->flags |= BOSH_REQ_TERMINATE;
    enum bosh_condition c = read_pause(s, xel_attr(body, "pause"), in);
    if (c == BOSH_COND_NONE)
        c = read_restart(s, bosh_attr(body, NS_XBOSH, "restart"), empty, in);
    in->has_ack = bosh_parse_rid(xel_attr(body, "ack"), &in->ack);
    return c;
}

static int find_slot(const struct bosh_session *s, uint64_t rid)
{
    for (unsigned i = 0; i < s->n_slots; i++)
        if (s->slots[i].rid == rid)
            return (int)i;
    return -1;
}

/* A request sent again while the first is still held: the client gave up on the first
 * connection, so the new one takes its place and the old one is let go, empty. */
static void reattach(struct bosh_session *s, unsigned i, void *request)
{
    void *old = s->slots[i].request;
    s->slots[i].request = request;
    if (!old)
        return;
    bosh_write_body(0, NULL, 0, &s->body);
    s->hooks->answer(s->ctx, old, &s->body);
    buf_reset(&s->body);
}

/* §14.3: an answered rid is answered again with the same bytes while they are kept. */
static void answer_repeat(struct bosh_session *s, uint64_t rid, void *request)
{
    const struct buf *cached = bosh_cache_find(s, rid);
    if (!cached) {
        bosh_end(s, BOSH_ITEM_NOT_FOUND, request);
        return;
    }
    s->hooks->answer(s->ctx, request, cached);
}

/* §11 and §12: empty requests closer together than 'polling'. A polling session (nothing
 * held) may not poll again that soon after an empty answer; a held one may not fill all of
 * 'requests' with them. */
static bool too_frequent(const struct bosh_session *s, uint64_t now_ms)
{
    if (s->p.polling == 0 || !s->last_new_empty ||
        now_ms - s->last_new_ms >= s->p.polling * 1000ull)
        return false;
    if (s->p.hold == 0 || s->p.wait == 0)
        return s->last_answer_empty;
    return s->n_slots + 1 >= s->p.requests;
}

/* §11: more simultaneous requests than 'requests' (one more to pause or terminate). */
static bool overactive(const struct bosh_session *s, const struct incoming *in, bool empty,
                       uint64_t now_ms)
{
    bool exempt = in->flags & (BOSH_REQ_PAUSE | BOSH_REQ_TERMINATE);
    if (s->n_slots + 1 > s->p.requests + (exempt ? 1u : 0u))
        return true;
    return !exempt && empty && too_frequent(s, now_ms);
}

static void add_slot(struct bosh_session *s, const struct incoming *in, bool empty,
                     void *request, uint64_t now_ms)
{
    unsigned i = s->n_slots;
    while (i > 0 && s->slots[i - 1].rid > in->rid)
        i--;
    memmove(&s->slots[i + 1], &s->slots[i], (s->n_slots - i) * sizeof(*s->slots));
    s->slots[i] = (struct bosh_slot){ .rid = in->rid, .request = request, .flags = in->flags,
                                      .pause = in->pause,
                                      .deadline_ms = now_ms + s->p.wait * 1000ull };
    s->n_slots++;
    s->last_new_ms = now_ms;
    s->last_new_empty = empty && !(in->flags & (BOSH_REQ_PAUSE | BOSH_REQ_TERMINATE));
}

static void mark_closing(struct bosh_session *s, enum bosh_condition cond, const char *uri)
{
    if (s->state != BOSH_OPEN)
        return;
    s->state = BOSH_CLOSING;
    s->end_cond = cond;
    s->end_uri = cond == BOSH_SEE_OTHER_URI && uri ? xstrdup(uri) : NULL;
}

/* §14.2: payloads reach the stream in rid order: the next rid, then every early request it
 * was the gap for. */
static void process_ready(struct bosh_session *s)
{
    for (unsigned i = bosh_held(s); i < s->n_slots && s->state == BOSH_OPEN; i++) {
        if (s->slots[i].rid != s->rid_next)
            break;
        s->slots[i].processed = true;
        s->rid_next++;
        unsigned flags = s->slots[i].flags;
        s->hooks->process(s->ctx, s->slots[i].request,
                          flags & (BOSH_REQ_RESTART | BOSH_REQ_TERMINATE));
        s->pause_ms = flags & BOSH_REQ_PAUSE ? s->slots[i].pause * 1000ull : 0;
        if (flags & BOSH_REQ_TERMINATE)
            mark_closing(s, BOSH_COND_NONE, NULL);
    }
}

static void receive(struct bosh_session *s, const struct xel *body, bool empty, void *request,
                    uint64_t now_ms)
{
    struct incoming in;
    enum bosh_condition c = read_request(s, body, empty, &in);
    if (c != BOSH_COND_NONE) {
        bosh_end(s, c, request);
        return;
    }
    s->pause_ms = 0; /* §10: the next request ends a pause */
    if (in.has_ack)
        bosh_cache_drop_acked(s, in.ack);
    int i = find_slot(s, in.rid);
    if (i >= 0)
        reattach(s, (unsigned)i, request);
    else if (in.rid < s->rid_next)
        answer_repeat(s, in.rid, request);
    else if (in.rid - s->rid_next >= s->p.requests) /* §14.2: beyond the window */
        bosh_end(s, BOSH_ITEM_NOT_FOUND, request);
    else if (overactive(s, &in, empty, now_ms))
        bosh_end(s, BOSH_POLICY_VIOLATION, request);
    else
        add_slot(s, &in, empty, request, now_ms);
    process_ready(s);
}

/* A request for a session that is over: §10 says answer as if it never existed. */
static void refuse(struct bosh_session *s, void *request)
{
    bosh_write_terminate(&s->body, BOSH_ITEM_NOT_FOUND);
    s->hooks->answer(s->ctx, request, &s->body);
    buf_reset(&s->body);
}

int bosh_session_request(struct bosh_session *s, const struct xel *body, bool empty,
                         void *request, uint64_t now_ms)
{
    bosh_pump(s, now_ms); /* what fell due before this request came */
    if (s->state == BOSH_ENDED) {
        refuse(s, request);
        return PL_ECLOSED;
    }
    s->busy++;
    receive(s, body, empty, request, now_ms);
    s->busy--;
    bosh_pump(s, now_ms);
    return s->state == BOSH_ENDED ? PL_ECLOSED : PL_OK;
}

void bosh_session_send(struct bosh_session *s, const char *bytes, size_t n)
{
    if (s->state != BOSH_ENDED)
        bosh_queue_push(&s->out, bytes, n);
}

size_t bosh_session_queued(const struct bosh_session *s)
{
    return bosh_queue_len(&s->out);
}

void bosh_session_flush(struct bosh_session *s, uint64_t now_ms)
{
    bosh_pump(s, now_ms);
}

void bosh_session_forget(struct bosh_session *s, void *request, uint64_t now_ms)
{
    int i = -1;
    for (unsigned k = 0; k < s->n_slots && i < 0; k++)
        if (s->slots[k].request == request)
            i = (int)k;
    if (i < 0)
        return;
    if (s->slots[i].processed) {
        s->slots[i].request = NULL;
        return;
    }
    memmove(&s->slots[i], &s->slots[i + 1], (s->n_slots - (unsigned)i - 1) * sizeof(*s->slots));
    if (--s->n_slots == 0)
        s->idle_since_ms = now_ms;
}

void bosh_session_tick(struct bosh_session *s, uint64_t now_ms)
{
    bosh_pump(s, now_ms);
    /* Deadlines come only after quiet spells (a full wait, the inactivity period): the
     * storage that busy moments reuse is returned then, so idle sessions stay small. */
    if (s->state == BOSH_OPEN && !s->busy)
        bosh_trim_idle(s);
}

uint64_t bosh_session_deadline(const struct bosh_session *s)
{
    if (s->state == BOSH_ENDED)
        return UINT64_MAX;
    if (s->n_slots == 0) {
        if (s->p.inactivity == 0)
            return UINT64_MAX;
        return s->idle_since_ms + (s->pause_ms ? s->pause_ms : s->p.inactivity * 1000ull);
    }
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < s->n_slots; i++)
        if (s->slots[i].deadline_ms < next)
            next = s->slots[i].deadline_ms;
    return next;
}

void bosh_session_close(struct bosh_session *s, enum bosh_condition cond, const char *uri,
                        uint64_t now_ms)
{
    mark_closing(s, cond, uri);
    bosh_pump(s, now_ms);
}

bool bosh_session_ended(const struct bosh_session *s)
{
    return s->state == BOSH_ENDED;
}

size_t bosh_session_memory(const struct bosh_session *s)
{
    size_t n = sizeof(*s) + (s->p.requests + 1) * sizeof(*s->slots) +
               s->p.requests * sizeof(*s->cache) + s->body.cap + bosh_queue_memory(&s->out);
    for (unsigned i = 0; i < s->p.requests; i++)
        n += s->cache[i].body.cap;
    if (s->end_uri)
        n += strlen(s->end_uri) + 1;
    return n;
}
