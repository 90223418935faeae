/* SPDX-License-Identifier: MIT */
/* XEP-0313 message archive module: options, routes, disco features, retention purge. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "jid.h"
#include "mam.h"

/* Rows one purge batch deletes: small, so a batch costs the loop a few milliseconds. */
#define PURGE_BATCH 200
/* Seconds between purge rounds while messages arrive. */
#define PURGE_EVERY 60
/* The archive's index (owners, parties, words) takes new messages in batches: one FTS5
 * segment per batch instead of one per loop turn, which would cost every message several
 * times more. Bigger batches mean fewer merges later, but each is one stall of the loop
 * (about 2.5 us a row): 4,000 rather than 1,000 saved 1.5 % of the CPU per message and
 * tripled the p99 latency with the archive on; 2,000 is between. Queries scan the rows not
 * indexed yet, so a batch is also a bound on that. */
#define INDEX_AFTER 2000
#define INDEX_BATCH 2000

long long mam_now_us(void)
{
    return module_wall_us();
}

static void purge_step(void *arg)
{
    struct mam *m = arg;
    unsigned n = 0;
    long long cutoff = mam_now_us() - m->opts.retention * 1000000LL;
    int rc = archive_purge(module_storage(m->srv), cutoff, PURGE_BATCH, &n);
    module_storage_dirty_later(m->srv);
    if (rc != PL_OK)
        module_log(LOG_WARN, "archive", "retention purge failed: %s", pl_strerror(rc));
    m->purging = rc == PL_OK && n == PURGE_BATCH; /* more may be left: next turn */
    if (m->purging)
        module_defer(m->srv, purge_step, m);
}

void mam_purge_maybe(struct mam *m)
{
    long long now = (long long)time(NULL);
    if (m->opts.retention <= 0 || m->purging || now - m->last_purge < PURGE_EVERY)
        return;
    m->last_purge = now;
    m->purging = true;
    module_defer(m->srv, purge_step, m);
}

static void index_step(void *arg)
{
    struct mam *m = arg;
    unsigned n = 0;
    int rc = archive_index(module_storage(m->srv), INDEX_BATCH, &n);
    module_storage_dirty_later(m->srv);
    if (rc != PL_OK)
        module_log(LOG_WARN, "archive", "full-text indexing failed: %s", pl_strerror(rc));
    m->indexing = rc == PL_OK && n >= INDEX_BATCH; /* more may be left: next turn */
    if (m->indexing)
        module_defer(m->srv, index_step, m);
    else
        m->unindexed = 0;
}

static void index_soon(struct mam *m)
{
    if (m->indexing)
        return;
    m->indexing = true;
    module_defer(m->srv, index_step, m);
}

void mam_index_note(struct mam *m)
{
    if (++m->unindexed >= INDEX_AFTER)
        index_soon(m);
}

static void mam_appended(void *state)
{
    mam_index_note(state);
}

/* The archive iq on owner's archive: the query form, a query, its metadata; prefs only
 * for an account's own. */
static int archive_iq(struct route_ctx *rc, struct stanza *st, const char *owner, bool own)
{
    const struct xel *q = xel_first_elem(st->root);
    bool get = st->type & IQ_GET;
    if (strcmp(q->name, "query") == 0)
        return get ? mam_query_form(rc, st) : mam_query_set(rc, st, q, owner);
    if (strcmp(q->name, "prefs") == 0 && own)
        return get ? mam_prefs_get(rc, st) : mam_prefs_set(rc, st, q);
    if (strcmp(q->name, "metadata") == 0 && get)
        return mam_metadata(rc, st, owner);
    return ROUTE_ERROR(COND_BAD_REQUEST);
}

/* Only the account's own archive is served; the server's domain has none. */
static int mam_iq(struct route_ctx *rc, struct stanza *st)
{
    const char *self = module_session_jid(rc->sess)->bare;
    if (rc->to && !rc->to->local)
        return ROUTE_PASS;
    if (rc->to && strcmp(rc->to->bare, self) != 0)
        return ROUTE_ERROR(COND_FORBIDDEN);
    return archive_iq(rc, st, self, true);
}

/* Another module's archive (a room's), whose rights it checked. */
static int mam_archive_query(void *state, struct route_ctx *rc, struct stanza *st,
                             const char *owner)
{
    rc->state = state;
    return archive_iq(rc, st, owner, false);
}

static int mam_init(struct server *srv, const void *opts, void **state)
{
    struct mam *m = xcalloc(1, sizeof(*m));
    m->srv = srv;
    m->opts = *(const struct mam_opts *)opts;
    hmap_init(&m->prefs);
    buf_init(&m->xml);
    *state = m;
    mam_purge_maybe(m); /* the first round soon after start */
    index_soon(m);      /* and whatever the last run left unindexed */
    return PL_OK;
}

static void mam_fini(void *state)
{
    struct mam *m = state;
    mam_pending_free_all(m);
    mam_prefs_free_all(m);
    buf_fini(&m->xml);
    free(m);
}

static void mam_session_open(void *state, struct session *sess)
{
    mam_prefs_open(state, module_session_jid(sess)->bare);
}

static void mam_session_close(void *state, struct session *sess)
{
    mam_prefs_close(state, module_session_jid(sess)->bare);
}

static const struct route mam_routes[] = {
    { .elem = "iq", .ns = NS_MAM, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .cost = 1,
      .fn = mam_iq },
};

static const char *const mam_account_features[] = { NS_MAM, NS_MAM_EXT, NS_FULLTEXT, NULL };

static const char *const mode_names[] = { "always", "never", "roster", NULL };

#define OPT(field) offsetof(struct mam_opts, field)

static const struct cfg_opt mam_options[] = {
    { "max_page", CFG_INT, OPT(max_page), "250", 1, 10000, NULL },
    { "retention", CFG_INT, OPT(retention), "0", 0, 100L * 365 * 86400, NULL },
    { "default", CFG_ENUM, OPT(default_mode), "always", 0, 0, mode_names },
};

static void mam_metrics(void *state, struct buf *out)
{
    const struct mam *m = state;
    module_metric(out, "parley_archive_writes_total", "counter",
                  "Messages written to the accounts' archives.", m->writes);
}

const struct module archive_module = {
    .name = "archive",
    .options = mam_options,
    .n_options = sizeof(mam_options) / sizeof(mam_options[0]),
    .options_size = sizeof(struct mam_opts),
    .routes = mam_routes,
    .n_routes = sizeof(mam_routes) / sizeof(mam_routes[0]),
    .init = mam_init,
    .fini = mam_fini,
    .message_prepare = mam_message_prepare,
    .message_done = mam_message_done,
    .session_open = mam_session_open,
    .session_close = mam_session_close,
    .account_features = mam_account_features,
    .archive_query = mam_archive_query,
    .archive_appended = mam_appended,
    .metrics = mam_metrics,
};
