/* SPDX-License-Identifier: MIT */
/* XEP-0313 queries: the form and RSM (XEP-0059) read into an archive filter, the page asked of
 * the store (off the loop), and the results and <fin/> sent to the querying session only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "mam.h"
#include "ns.h"
#include "parser.h"

/* A query as read from the request; strings borrow the request's arena or with_jid. */
struct mam_req {
    struct archive_filter f;
    struct jid *with_jid;
    const char **ids; /* distinct ids of the ids field (owned array) */
    bool flip;
};

/* ---- pending queries -------------------------------------------------------------------- */

struct mam_pending *mam_pending_new(struct route_ctx *rc, struct stanza *st,
                                    const char *owner)
{
    struct mam *m = rc->state;
    struct mam_pending *p = xcalloc(1, sizeof(*p));
    p->m = m;
    p->iq = stanza_ref(st);
    p->full = xstrdup(module_session_jid(rc->sess)->full);
    p->owner = xstrdup(owner);
    p->next = m->pending;
    if (m->pending)
        m->pending->prevp = &p->next;
    p->prevp = &m->pending;
    m->pending = p;
    return p;
}

void mam_pending_free(struct mam_pending *p)
{
    *p->prevp = p->next;
    if (p->next)
        p->next->prevp = p->prevp;
    stanza_unref(p->iq);
    free(p->full);
    free(p->owner);
    free(p);
}

void mam_pending_free_all(struct mam *m)
{
    while (m->pending)
        mam_pending_free(m->pending);
}

/* ---- reading the request ---------------------------------------------------------------- */

static const char *field_value(const struct xel *field)
{
    const struct xel *v = xel_child(field, "value", NULL);
    return v ? xel_text(v) : "";
}

static int add_ids(struct mam_req *q, const struct xel *field, long cap)
{
    for (const struct xel *v = field->first; v; v = v->next) {
        if (!v->name || strcmp(v->name, "value") != 0 || !*xel_text(v))
            continue;
        bool seen = false;
        for (size_t i = 0; i < q->f.n_ids && !seen; i++)
            seen = strcmp(q->ids[i], xel_text(v)) == 0;
        if (seen)
            continue;
        if ((long)q->f.n_ids == cap)
            return ROUTE_ERROR(COND_POLICY_VIOLATION); /* more than one page can hold */
        q->ids = xrealloc(q->ids, (q->f.n_ids + 1) * sizeof(*q->ids));
        q->ids[q->f.n_ids++] = xel_text(v);
    }
    q->f.ids = q->ids ? q->ids : q->f.ids;
    return ROUTE_DONE;
}

static int set_with(struct mam_req *q, const char *v)
{
    if (q->with_jid || !(q->with_jid = jid_parse(v)))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    q->f.with = q->with_jid->bare;
    q->f.with_res = q->with_jid->resource;
    return ROUTE_DONE;
}

/* One field of the submitted form; an unknown one is a bad request (XEP-0313 §4.1.1). */
static int read_field(struct mam_req *q, const struct xel *field, long cap)
{
    const char *var = xel_attr(field, "var");
    const char *v = field_value(field);
    if (!var)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (strcmp(var, "ids") == 0)
        return add_ids(q, field, cap);
    if (strcmp(var, "FORM_TYPE") == 0)
        return strcmp(v, NS_MAM) == 0 ? ROUTE_DONE : ROUTE_ERROR(COND_BAD_REQUEST);
    bool known = strcmp(var, "with") == 0 || strcmp(var, "start") == 0 ||
                 strcmp(var, "end") == 0 || strcmp(var, "after-id") == 0 ||
                 strcmp(var, "before-id") == 0 || strcmp(var, "{" NS_FULLTEXT "}fulltext") == 0;
    if (!known)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (!*v)
        return ROUTE_DONE; /* an empty field filters nothing */
    if (strcmp(var, "with") == 0)
        return set_with(q, v);
    if (strcmp(var, "start") == 0 || strcmp(var, "end") == 0)
        return datetime_parse(v, var[0] == 's' ? &q->f.start_us : &q->f.end_us) == PL_OK
                   ? ROUTE_DONE
                   : ROUTE_ERROR(COND_BAD_REQUEST);
    if (strcmp(var, "after-id") == 0)
        q->f.after[0] = v;
    else if (strcmp(var, "before-id") == 0)
        q->f.before[0] = v;
    else
        q->f.fulltext = v;
    return ROUTE_DONE;
}

static int read_form(struct mam_req *q, const struct xel *x, long cap)
{
    const char *type = xel_attr(x, "type");
    if (type && strcmp(type, "submit") != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    for (const struct xel *c = x->first; c; c = c->next) {
        if (!c->name || strcmp(c->name, "field") != 0)
            continue;
        int res = read_field(q, c, cap);
        if (res != ROUTE_DONE)
            return res;
    }
    return ROUTE_DONE;
}

/* A non-negative decimal count. */
static bool read_count(const char *text, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < 0 || text[0] == '+' || text[0] == '-')
        return false;
    *out = v;
    return true;
}

/* XEP-0059 paging: max (clamped to max_page), after, before (empty: the last page). */
static int read_rsm(struct mam_req *q, const struct xel *set, long max_page)
{
    long max = max_page;
    const struct xel *e;
    if (set && (e = xel_child(set, "max", NS_RSM)) && !read_count(xel_text(e), &max))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (set && xel_child(set, "index", NS_RSM))
        return ROUTE_ERROR(COND_FEATURE_NOT_IMPLEMENTED); /* no jumping by offset */
    if (set && (e = xel_child(set, "after", NS_RSM))) {
        if (!*xel_text(e))
            return ROUTE_ERROR(COND_BAD_REQUEST);
        q->f.after[1] = xel_text(e);
    }
    if (set && (e = xel_child(set, "before", NS_RSM))) {
        q->f.from_end = true;
        if (*xel_text(e))
            q->f.before[1] = xel_text(e);
    }
    q->f.max = (unsigned)(max < max_page ? max : max_page);
    return ROUTE_DONE;
}

static int read_request(struct mam_req *q, const struct xel *query, long max_page)
{
    const struct xel *x = xel_child(query, "x", NS_XDATA);
    int res = x ? read_form(q, x, max_page) : ROUTE_DONE;
    if (res == ROUTE_DONE)
        res = read_rsm(q, xel_child(query, "set", NS_RSM), max_page);
    if (res == ROUTE_DONE && q->f.ids)
        q->f.max = (unsigned)q->f.n_ids; /* the listed messages are the page */
    q->flip = xel_child(query, "flip-page", NS_MAM) != NULL;
    return res;
}

/* ---- sending the page ------------------------------------------------------------------- */

/* Parses stored messages back into trees: one parser per page, fed a stream header. */
struct reparse {
    struct parser *p;
    struct stanza *got;
};

static void got_stanza(void *ctx, struct stanza *st)
{
    struct reparse *r = ctx;
    if (r->got)
        stanza_unref(r->got);
    r->got = st;
}

static void ignore_open(void *ctx, const struct xel *header, const char *default_ns)
{
    (void)ctx, (void)header, (void)default_ns;
}

static void ignore_close(void *ctx) { (void)ctx; }

static void reparse_open(struct reparse *r)
{
    static const char header[] = "<stream:stream xmlns='jabber:client'"
                                 " xmlns:stream='http://etherx.jabber.org/streams'>";
    const struct parser_limits lim = { 1 << 24, 64, 64 };
    const struct parser_events ev = { ignore_open, got_stanza, ignore_close };
    size_t used;
    enum parser_error err;
    r->got = NULL;
    r->p = parser_new(&lim, &ev, r);
    parser_feed(r->p, header, sizeof(header) - 1, &used, &err);
}

/* The stored message as a tree (owned), or NULL when it does not parse (then the parser is
 * made anew for the next one). */
static struct stanza *reparse(struct reparse *r, const char *xml)
{
    size_t used;
    enum parser_error err;
    if (parser_feed(r->p, xml, strlen(xml), &used, &err) != PL_OK) {
        parser_free(r->p);
        reparse_open(r);
    }
    struct stanza *st = r->got;
    r->got = NULL;
    return st;
}

static void send_result(struct session *sess, const struct mam_pending *p,
                        const struct archive_item *it, struct stanza *msg)
{
    char stamp[40];
    const struct jid *self = module_session_jid(sess);
    struct stanza *r = stanza_new("message", NS_CLIENT);
    stanza_set_to(r, self->full);
    stanza_set_from(r, p->owner);
    struct xel *res = xel_add_child(r, r->root, "result", NS_MAM);
    if (p->queryid)
        xel_set_attr(r, res, "queryid", p->queryid);
    xel_set_attr(r, res, "id", it->stanza_id);
    struct xel *fw = xel_add_child(r, res, "forwarded", NS_FORWARD);
    datetime_format(it->ts_us, stamp, sizeof(stamp));
    xel_set_attr(r, xel_add_child(r, fw, "delay", NS_DELAY), "stamp", stamp);
    xel_copy_into(r, fw, msg->root);
    module_send(sess, r);
    stanza_unref(r);
}

static void send_fin(struct session *sess, const struct mam_pending *p,
                     const struct archive_page *page, const char *first, const char *last)
{
    char count[24];
    struct stanza *r = stanza_iq_result(p->iq);
    struct xel *fin = xel_add_child(r, r->root, "fin", NS_MAM);
    if (page->complete)
        xel_set_attr(r, fin, "complete", "true");
    struct xel *set = xel_add_child(r, fin, "set", NS_RSM);
    if (first) {
        xel_add_text_child(r, set, "first", first);
        xel_add_text_child(r, set, "last", last);
    }
    if (page->count >= 0) {
        snprintf(count, sizeof(count), "%lld", page->count);
        xel_add_text_child(r, set, "count", count);
    }
    module_send(sess, r);
    stanza_unref(r);
}

static void send_page(struct session *sess, const struct mam_pending *p,
                      const struct archive_page *page)
{
    struct reparse rp;
    const char *first = NULL, *last = NULL;
    reparse_open(&rp);
    for (size_t k = 0; k < page->n; k++) {
        const struct archive_item *it = &page->items[p->flip ? page->n - 1 - k : k];
        struct stanza *msg = reparse(&rp, it->xml);
        if (!msg) {
            module_log(LOG_WARN, "archive", "%s: stored message %s does not parse", p->full,
                       it->stanza_id);
            continue;
        }
        send_result(sess, p, it, msg);
        stanza_unref(msg);
        first = first ? first : it->stanza_id;
        last = it->stanza_id;
    }
    parser_free(rp.p);
    if (rp.got)
        stanza_unref(rp.got);
    send_fin(sess, p, page, first, last);
}

static enum stanza_cond page_error(const struct mam_pending *p, const struct archive_page *page)
{
    if (page->rc == PL_ENOTFOUND || (page->rc == PL_OK && p->n_ids && page->n < p->n_ids))
        return COND_ITEM_NOT_FOUND;
    return page->rc == PL_EINVAL ? COND_BAD_REQUEST : COND_INTERNAL_SERVER_ERROR;
}

static void page_done(void *ctx, const struct archive_page *page)
{
    struct mam_pending *p = ctx;
    struct session *sess = module_session_find(p->m->srv, p->full);
    bool ok = page->rc == PL_OK && !(p->n_ids && page->n < p->n_ids);
    if (sess && ok) {
        send_page(sess, p, page);
    } else if (sess) {
        struct stanza *r = stanza_error_reply(p->iq, page_error(p, page), NULL);
        module_send(sess, r);
        stanza_unref(r);
    }
    mam_pending_free(p);
}

int mam_query_set(struct route_ctx *rc, struct stanza *st, const struct xel *query,
                  const char *owner)
{
    struct mam *m = rc->state;
    struct mam_req q = { .f = { .owner = owner } };
    int res = read_request(&q, query, m->opts.max_page);
    /* The reader sees what is committed: pending messages are committed first, so a page
     * shows everything routed before the query (a search matches the rows not indexed yet
     * itself: nothing is indexed on the loop for it). */
    if (res == ROUTE_DONE && module_storage_commit(m->srv) != PL_OK)
        res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    if (res == ROUTE_DONE) {
        struct mam_pending *p = mam_pending_new(rc, st, owner);
        const char *qid = xel_attr(query, "queryid");
        p->queryid = qid ? stanza_strdup(st, qid) : NULL;
        p->flip = q.flip;
        p->n_ids = q.f.n_ids;
        if (archive_query(module_storage(rc->srv), &q.f, page_done, p) != PL_OK) {
            mam_pending_free(p);
            res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
        }
    }
    jid_free(q.with_jid);
    free(q.ids);
    mam_purge_maybe(m);
    return res;
}
