/* SPDX-License-Identifier: MIT */
/* Archive preferences (XEP-0313 §6), the query form (§4.1.1) and archive metadata (§4.3). */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "mam.h"
#include "roster.h"

/* JIDs one account's preferences may list (always and never together). */
#define MAX_PREF_JIDS 1000

static const char *const mode_names[] = { "always", "never", "roster" };

bool mam_prefs_allow(struct mam *m, const char *owner, const char *peer)
{
    enum archive_mode mode = (enum archive_mode)m->opts.default_mode;
    int rule = -1;
    if (!mam_prefs_cached(m, owner, peer, &mode, &rule) &&
        archive_pref_check(module_storage(m->srv), owner, peer, &mode, &rule) != PL_OK)
        return true; /* keeping a message is the safer mistake; the store logged why */
    if (rule >= 0)
        return rule == 1;
    if (mode == ARCHIVE_ROSTER) {
        struct roster_contact c;
        roster_contact_get(m->srv, owner, peer, &c);
        return c.found;
    }
    return mode == ARCHIVE_ALWAYS;
}

/* ---- preferences ------------------------------------------------------------------------ */

struct prefs_reply {
    struct stanza *r;
    struct xel *always, *never;
};

static void add_pref_jid(void *ctx, const char *jid, bool always)
{
    struct prefs_reply *p = ctx;
    xel_add_text_child(p->r, always ? p->always : p->never, "jid", jid);
}

/* Answers with the stored preferences (after a set too, as §6.1 shows). */
static int reply_prefs(struct route_ctx *rc, const struct stanza *st)
{
    struct mam *m = rc->state;
    const char *owner = module_session_jid(rc->sess)->bare;
    enum archive_mode mode = (enum archive_mode)m->opts.default_mode;
    struct prefs_reply p = { .r = stanza_iq_result(st) };
    struct xel *q = xel_add_child(p.r, p.r->root, "prefs", NS_MAM);
    p.always = xel_add_child(p.r, q, "always", NS_MAM);
    p.never = xel_add_child(p.r, q, "never", NS_MAM);
    if (archive_prefs_get(module_storage(rc->srv), owner, &mode, add_pref_jid, &p) != PL_OK) {
        stanza_unref(p.r);
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    xel_set_attr(p.r, q, "default", mode_names[mode]);
    router_reply(rc, p.r);
    stanza_unref(p.r);
    return ROUTE_DONE;
}

int mam_prefs_get(struct route_ctx *rc, struct stanza *st) { return reply_prefs(rc, st); }

/* Collects the <jid/> children of list into jids/always (bare JIDs, in the stanza's arena). */
static int read_list(struct stanza *st, const struct xel *list, bool always, const char **jids,
                     bool *flags, size_t *n)
{
    for (const struct xel *c = list ? list->first : NULL; c; c = c->next) {
        if (!c->name || strcmp(c->name, "jid") != 0)
            continue;
        struct jid *j = jid_parse(xel_text(c));
        if (!j)
            return ROUTE_ERROR(COND_BAD_REQUEST);
        if (*n == MAX_PREF_JIDS) {
            jid_free(j);
            return ROUTE_ERROR(COND_RESOURCE_CONSTRAINT);
        }
        jids[*n] = stanza_strdup(st, j->bare);
        flags[(*n)++] = always;
        jid_free(j);
    }
    return ROUTE_DONE;
}

static int parse_mode(const char *text, enum archive_mode *mode)
{
    for (size_t i = 0; i < ARRAY_LEN(mode_names); i++)
        if (text && strcmp(text, mode_names[i]) == 0) {
            *mode = (enum archive_mode)i;
            return ROUTE_DONE;
        }
    return ROUTE_ERROR(COND_BAD_REQUEST);
}

int mam_prefs_set(struct route_ctx *rc, struct stanza *st, const struct xel *p)
{
    const char *owner = module_session_jid(rc->sess)->bare;
    enum archive_mode mode;
    const char **jids = xcalloc(MAX_PREF_JIDS, sizeof(*jids));
    bool *always = xcalloc(MAX_PREF_JIDS, sizeof(*always));
    size_t n = 0;
    int res = parse_mode(xel_attr(p, "default"), &mode);
    if (res == ROUTE_DONE)
        res = read_list(st, xel_child(p, "always", NS_MAM), true, jids, always, &n);
    if (res == ROUTE_DONE)
        res = read_list(st, xel_child(p, "never", NS_MAM), false, jids, always, &n);
    if (res == ROUTE_DONE &&
        (archive_prefs_set(module_storage(rc->srv), owner, mode, jids, always, n) != PL_OK ||
         module_storage_commit(rc->srv) != PL_OK)) {
        module_storage_rollback(rc->srv);
        res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    free(jids);
    free(always);
    mam_prefs_reload(rc->state, owner);
    return res == ROUTE_DONE ? reply_prefs(rc, st) : res;
}

/* ---- the query form --------------------------------------------------------------------- */

int mam_query_form(struct route_ctx *rc, struct stanza *st)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", NS_MAM);
    struct xel *x = xdata_form(r, q, "form", NS_MAM);
    static const char *const fields[][2] = {
        { "with", "jid-single" },     { "start", "text-single" },
        { "end", "text-single" },     { "before-id", "text-single" },
        { "after-id", "text-single" }, { "ids", "text-multi" },
        { "{" NS_FULLTEXT "}fulltext", "text-single" },
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        xdata_field(r, x, fields[i][0], fields[i][1], NULL);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* ---- metadata --------------------------------------------------------------------------- */

static void add_end(struct stanza *r, struct xel *md, const char *name, const char *id,
                    long long ts)
{
    char stamp[40];
    struct xel *e = xel_add_child(r, md, name, NS_MAM);
    datetime_format(ts, stamp, sizeof(stamp));
    xel_set_attr(r, e, "id", id);
    xel_set_attr(r, e, "timestamp", stamp);
}

static void meta_done(void *ctx, const struct archive_meta *meta)
{
    struct mam_pending *w = ctx;
    struct session *sess = module_session_find(w->m->srv, w->full);
    struct stanza *r = meta->rc == PL_OK ? stanza_iq_result(w->iq)
                                         : stanza_error_reply(w->iq, COND_INTERNAL_SERVER_ERROR,
                                                              NULL);
    if (meta->rc == PL_OK) {
        struct xel *md = xel_add_child(r, r->root, "metadata", NS_MAM);
        if (meta->first_id)
            add_end(r, md, "start", meta->first_id, meta->first_us);
        if (meta->last_id)
            add_end(r, md, "end", meta->last_id, meta->last_us);
    }
    if (sess && r)
        module_send(sess, r);
    if (r)
        stanza_unref(r);
    mam_pending_free(w);
}

int mam_metadata(struct route_ctx *rc, struct stanza *st, const char *owner)
{
    struct mam_pending *w = mam_pending_new(rc, st, owner);
    /* The reader sees what is committed: the newest messages may still wait for theirs. */
    if (module_storage_commit(rc->srv) != PL_OK ||
        archive_meta(module_storage(rc->srv), owner, meta_done, w) != PL_OK) {
        mam_pending_free(w);
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    return ROUTE_DONE;
}
