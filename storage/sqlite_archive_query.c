/* SPDX-License-Identifier: MIT */
/* Archive queries as a reader thread runs them, on its own read-only SQLite connection.
 * An owner's archive is the rows whose keys column names it (through the index) plus the few
 * rows after the index's mark that it keeps (scanned); both in one statement, so one
 * snapshot. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "buf.h"
#include "sqlite_int.h"

/* Parameters of the page queries: owner number, peer number, peer resource, exclusive key
 * bounds, row limit, MATCH expression, search text. */
enum { P_OID = 1, P_PEER, P_RES, P_LO, P_HI, P_LIMIT, P_MATCH, P_TEXT };

/* SQL over row m as ?1's archive sees it: does it keep m, the other party, that party's
 * resource, and whether ?1 sent it (a note to self counts as received). */
#define KEEPS "((m.sender = ?1 AND m.keep & 1) OR (m.rcpt = ?1 AND m.keep & 2))"
#define SENT "(m.sender = ?1 AND m.rcpt <> ?1)"
#define PEER "(CASE WHEN " SENT " THEN m.rcpt ELSE m.sender END)"
#define PEER_RES "(CASE WHEN " SENT " THEN m.rcpt_res ELSE m.sender_res END)"
#define UPTO "(SELECT upto FROM archive_fts_state)"

/* Result columns of every row query, in SELECT order. */
enum { COL_KEY, COL_TAG, COL_SENT, COL_PEER, COL_XML };
#define ROW_COLS                                                                               \
    "SELECT m.id, m.tag, " SENT ", (SELECT jid FROM archive_owners WHERE oid = " PEER "),"     \
    " m.xml FROM archive_msgs m"

/* What a query resolved before selecting rows: owner and peer numbers and the key bounds. */
struct bounds {
    long long oid, peer;
    long long lo, hi;  /* exclusive */
    bool anchored;     /* an id bound was given */
};

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return PL_EIO;
}

static char *col_dup(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    return xstrdup(t ? t : "");
}

/* Binds an integer or text to parameter i when the statement has it. */
static void bind_int(sqlite3_stmt *q, int i, long long v)
{
    if (i <= sqlite3_bind_parameter_count(q))
        sqlite3_bind_int64(q, i, v);
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (i <= sqlite3_bind_parameter_count(q))
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
}

/* Steps q once: PL_OK when it gave a row, PL_ENOTFOUND when none, else PL_EIO (described
 * in err). q is finalized. */
static int one_row(sqlite3 *db, sqlite3_stmt *q, long long *col0, char *err, size_t errlen)
{
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && col0)
        *col0 = sqlite3_column_int64(q, 0);
    rc = rc == SQLITE_ROW ? PL_OK : rc == SQLITE_DONE ? PL_ENOTFOUND
                                                      : fail(db, err, errlen, sqlite3_sql(q));
    sqlite3_finalize(q);
    return rc;
}

static int owner_number(sqlite3 *db, const char *jid, long long *oid, char *err, size_t errlen)
{
    static const char sql[] = "SELECT oid FROM archive_owners WHERE jid = ?1";
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    sqlite3_bind_text(q, 1, jid, -1, SQLITE_STATIC);
    return one_row(db, q, oid, err, errlen);
}

/* The key of stanza id sid in oid's archive (its tag must match too). */
static int anchor(sqlite3 *db, long long oid, const char *sid, long long *key, char *err,
                  size_t errlen)
{
    static const char sql[] = "SELECT 1 FROM archive_msgs m WHERE m.id = ?2 AND m.tag = ?3"
                              " AND " KEEPS;
    unsigned long long tag;
    sqlite3_stmt *q = NULL;
    if (!archive_sid_parse(sid, key, &tag))
        return PL_ENOTFOUND;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    sqlite3_bind_int64(q, 1, oid);
    sqlite3_bind_int64(q, 2, *key);
    sqlite3_bind_int64(q, 3, (long long)tag);
    return one_row(db, q, NULL, err, errlen);
}

/* Narrows b by the filter's time and id bounds (keys are archiving times); PL_ENOTFOUND for
 * an unknown id. */
static int resolve_bounds(sqlite3 *db, const struct archive_filter *f, struct bounds *b,
                          char *err, size_t errlen)
{
    b->lo = f->start_us ? f->start_us - 1 : LLONG_MIN;
    b->hi = f->end_us ? f->end_us + 1 : LLONG_MAX;
    for (int i = 0; i < 2; i++) {
        long long key;
        int rc;
        if (f->after[i]) {
            if ((rc = anchor(db, b->oid, f->after[i], &key, err, errlen)) != PL_OK)
                return rc;
            b->lo = key > b->lo ? key : b->lo;
            b->anchored = true;
        }
        if (f->before[i]) {
            if ((rc = anchor(db, b->oid, f->before[i], &key, err, errlen)) != PL_OK)
                return rc;
            b->hi = key < b->hi ? key : b->hi;
            b->anchored = true;
        }
    }
    return PL_OK;
}

/* The MATCH expression: the conversation's rows with a peer (the join then keeps the owner's),
 * else the owner's, by the keys column's tokens, and every word of text quoted (so no FTS5
 * syntax comes from the user) in body. NULL when text has no word. */
static char *match_expr(const struct bounds *b, const char *text)
{
    struct buf m;
    char keys[SQ_MATCH_LEN];
    size_t words = 0;
    buf_init(&m);
    if (b->peer)
        sq_conv_match(b->oid, b->peer, keys);
    else
        sq_owner_match(b->oid, keys);
    buf_puts(&m, keys);
    if (text) {
        const char *p = text, *w;
        size_t n;
        buf_puts(&m, " AND body : (");
        while ((n = sq_next_word(&p, &w)) != 0) {
            buf_puts(&m, words++ ? " \"" : "\"");
            for (size_t i = 0; i < n; i++)
                buf_append(&m, w[i] == '"' ? "\"\"" : &w[i], w[i] == '"' ? 2 : 1);
            buf_append(&m, "\"", 1);
        }
        buf_append(&m, ")", 1);
    }
    buf_append(&m, "", 1);
    if (text && !words) {
        buf_fini(&m);
        return NULL;
    }
    return (char *)m.data;
}

/* The page query for f: the kept rows after the index's mark (a search matches their words
 * with archive_text) and the indexed ones, up to the limit from either end. */
static void page_sql(const struct archive_filter *f, char *sql, size_t len)
{
    const char *peer = f->with ? " AND " PEER " = ?2" : "";
    const char *res = f->with && f->with_res ? " AND " PEER_RES " = ?3" : "";
    const char *dir = f->from_end ? "DESC" : "ASC";
    char tail[512];
    snprintf(tail, sizeof(tail),
             "SELECT m.id FROM archive_msgs m WHERE m.id > " UPTO " AND m.id > ?4"
             " AND m.id < ?5 AND " KEEPS "%s%s%s UNION ALL ",
             peer, res, f->fulltext ? " AND archive_text(m.body, ?8)" : "");
    /* With a peer, the conversation's rows that the owner does not keep are skipped here. */
    const char *join = f->with ? " JOIN archive_msgs m ON m.id = archive_index.rowid" : "";
    snprintf(sql, len,
             ROW_COLS " WHERE m.id IN (%sSELECT id FROM (SELECT archive_index.rowid AS id"
                      " FROM archive_index%s WHERE archive_index MATCH ?7"
                      " AND archive_index.rowid > ?4 AND archive_index.rowid < ?5"
                      " AND archive_index.rowid <= " UPTO "%s%s"
                      " ORDER BY archive_index.rowid %s LIMIT ?6)) ORDER BY m.id %s LIMIT ?6",
             tail, join, *join ? " AND " KEEPS : "", res, dir, dir);
}

static void item_read(sqlite3_stmt *q, struct archive_item *it)
{
    char sid[ARCHIVE_SID_LEN + 1];
    it->ts_us = sqlite3_column_int64(q, COL_KEY);
    archive_sid_format(it->ts_us, (unsigned long long)sqlite3_column_int64(q, COL_TAG), sid);
    it->stanza_id = xstrdup(sid);
    it->sent = sqlite3_column_int64(q, COL_SENT) != 0;
    it->peer = col_dup(q, COL_PEER);
    it->xml = col_dup(q, COL_XML);
}

/* Steps q into page (up to max + 1 rows, to learn whether the page is the last one). */
static int collect(sqlite3 *db, sqlite3_stmt *q, unsigned max, struct archive_page *page,
                   char *err, size_t errlen)
{
    int rc;
    page->items = xcalloc((size_t)max + 1, sizeof(*page->items));
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (page->n == max) {
            page->complete = false;
            return PL_OK;
        }
        item_read(q, &page->items[page->n++]);
    }
    page->complete = true;
    return rc == SQLITE_DONE ? PL_OK : fail(db, err, errlen, "archive page");
}

static void reverse(struct archive_page *page)
{
    for (size_t i = 0; i < page->n / 2; i++) {
        struct archive_item t = page->items[i];
        page->items[i] = page->items[page->n - 1 - i];
        page->items[page->n - 1 - i] = t;
    }
}

static int select_page(sqlite3 *db, const struct archive_filter *f, const struct bounds *b,
                       struct archive_page *page, char *err, size_t errlen)
{
    char sql[2048];
    sqlite3_stmt *q = NULL;
    int rc = PL_EINVAL;
    char *match = match_expr(b, f->fulltext);
    if (!match)
        goto out;
    page_sql(f, sql, sizeof(sql));
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        rc = fail(db, err, errlen, "archive query");
        goto out;
    }
    bind_int(q, P_OID, b->oid);
    bind_int(q, P_PEER, b->peer);
    bind_text(q, P_RES, f->with_res);
    bind_int(q, P_LO, b->lo);
    bind_int(q, P_HI, b->hi);
    bind_int(q, P_LIMIT, (long long)f->max + 1);
    bind_text(q, P_MATCH, match);
    bind_text(q, P_TEXT, f->fulltext);
    rc = collect(db, q, f->max, page, err, errlen);
    if (f->from_end)
        reverse(page);
out:
    sqlite3_finalize(q);
    free(match);
    return rc;
}

static int item_cmp(const void *a, const void *b)
{
    long long x = ((const struct archive_item *)a)->ts_us;
    long long y = ((const struct archive_item *)b)->ts_us;
    return (x > y) - (x < y);
}

/* The ids form: each listed message that exists, in archive order (at most max). */
static int select_ids(sqlite3 *db, const struct archive_filter *f, long long oid,
                      struct archive_page *page, char *err, size_t errlen)
{
    static const char sql[] = ROW_COLS " WHERE m.id = ?2 AND m.tag = ?3 AND " KEEPS;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    size_t cap = f->n_ids < f->max ? f->n_ids : f->max;
    page->items = xcalloc(cap + 1, sizeof(*page->items));
    int rc = PL_OK;
    for (size_t i = 0; i < f->n_ids && page->n < cap && rc == PL_OK; i++) {
        long long key;
        unsigned long long tag;
        if (!archive_sid_parse(f->ids[i], &key, &tag))
            continue;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_int64(q, 2, key);
        sqlite3_bind_int64(q, 3, (long long)tag);
        int s = sqlite3_step(q);
        if (s == SQLITE_ROW)
            item_read(q, &page->items[page->n++]);
        else if (s != SQLITE_DONE)
            rc = fail(db, err, errlen, sql);
    }
    sqlite3_finalize(q);
    qsort(page->items, page->n, sizeof(*page->items), item_cmp);
    page->complete = true;
    return rc;
}

void sq_query_run(sqlite3 *db, const struct archive_filter *f, struct archive_page *page,
                  char *err, size_t errlen)
{
    struct bounds b = { 0 };
    bool any_anchor = f->after[0] || f->after[1] || f->before[0] || f->before[1];
    page->count = -1;
    int rc = owner_number(db, f->owner, &b.oid, err, errlen);
    if (rc == PL_OK)
        rc = resolve_bounds(db, f, &b, err, errlen);
    if (rc == PL_OK && f->with &&
        (rc = owner_number(db, f->with, &b.peer, err, errlen)) == PL_ENOTFOUND) {
        rc = PL_OK; /* no conversation with that peer: an empty page */
        page->complete = true;
    } else if (rc == PL_OK) {
        rc = f->ids ? select_ids(db, f, b.oid, page, err, errlen)
                    : select_page(db, f, &b, page, err, errlen);
    } else if (rc == PL_ENOTFOUND && !any_anchor) { /* nothing archived yet: empty */
        rc = PL_OK;
        page->complete = true;
    }
    if (rc == PL_OK && page->complete && !b.anchored)
        page->count = (long long)page->n;
    page->rc = rc;
}

/* The first or last message of the owner's archive, through the page query. */
static int meta_end(sqlite3 *db, const char *owner, bool last, char **sid, long long *ts,
                    char *err, size_t errlen)
{
    struct archive_filter f = { .owner = owner, .max = 1, .from_end = last };
    struct archive_page page = { 0 };
    sq_query_run(db, &f, &page, err, errlen);
    int rc = page.rc == PL_OK && !page.n ? PL_ENOTFOUND : page.rc;
    if (page.n) {
        *sid = page.items[0].stanza_id;
        *ts = page.items[0].ts_us;
        free(page.items[0].peer);
        free(page.items[0].xml);
    }
    free(page.items);
    return rc;
}

void sq_meta_run(sqlite3 *db, const char *owner, struct archive_meta *m, char *err,
                 size_t errlen)
{
    int rc = meta_end(db, owner, false, &m->first_id, &m->first_us, err, errlen);
    if (rc == PL_OK)
        rc = meta_end(db, owner, true, &m->last_id, &m->last_us, err, errlen);
    m->rc = rc == PL_ENOTFOUND ? PL_OK : rc; /* an empty archive has no ends */
}
