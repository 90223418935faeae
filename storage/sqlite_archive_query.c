/* SPDX-License-Identifier: MIT */
/* Archive queries as a reader thread runs them, on its own read-only SQLite connection. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "buf.h"
#include "sqlite_int.h"

/* Result columns of every page query, in SELECT order. */
enum { COL_SID, COL_TS, COL_SENT, COL_PEER, COL_XML };
#define PAGE_COLS "SELECT a.stanza_id, a.ts, a.sent, a.peer, a.xml"

/* Parameters of the page queries: owner number, peer, resource, exclusive ts bounds, limit,
 * and for a search the MATCH expression and exclusive rowid bounds. */
enum { P_OID = 1, P_PEER, P_RES, P_LO_TS, P_HI_TS, P_LIMIT, P_MATCH, P_LO_ID, P_HI_ID };

/* What a query resolved before selecting rows: the owner's number and the bounds. */
struct bounds {
    long long oid;
    long long lo_ts, hi_ts; /* exclusive */
    long long lo_id, hi_id; /* exclusive */
    bool anchored;          /* an id bound was given */
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

/* Runs a one-row lookup of up to two integer columns: PL_OK, PL_ENOTFOUND or PL_EIO. */
static int lookup(sqlite3 *db, const char *sql, long long oid, const char *key, long long *a,
                  long long *b, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    bind_int(q, 1, oid);
    bind_text(q, 2, key);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *a = sqlite3_column_int64(q, 0);
        if (b)
            *b = sqlite3_column_int64(q, 1);
        rc = PL_OK;
    } else {
        rc = rc == SQLITE_DONE ? PL_ENOTFOUND : fail(db, err, errlen, sql);
    }
    sqlite3_finalize(q);
    return rc;
}

static int owner_number(sqlite3 *db, const char *owner, long long *oid, char *err,
                        size_t errlen)
{
    /* The key goes to ?2 as in the anchor lookup (lookup binds ?1 only where it is used). */
    return lookup(db, "SELECT oid FROM archive_owners WHERE jid = ?2", 0, owner, oid, NULL, err,
                  errlen);
}

/* The (ts, id) of stanza id sid in the archive. */
static int anchor(sqlite3 *db, long long oid, const char *sid, long long *ts, long long *id,
                  char *err, size_t errlen)
{
    return lookup(db, "SELECT ts, id FROM archive WHERE owner = ?1 AND stanza_id = ?2", oid, sid,
                  ts, id, err, errlen);
}

/* Narrows b by the filter's time and id bounds; PL_ENOTFOUND for an unknown id. */
static int resolve_bounds(sqlite3 *db, const struct archive_filter *f, struct bounds *b,
                          char *err, size_t errlen)
{
    b->lo_ts = f->start_us ? f->start_us - 1 : LLONG_MIN;
    b->hi_ts = f->end_us ? f->end_us + 1 : LLONG_MAX;
    b->lo_id = 0;
    b->hi_id = LLONG_MAX;
    for (int i = 0; i < 2; i++) {
        long long ts, id;
        int rc;
        if (f->after[i]) {
            if ((rc = anchor(db, b->oid, f->after[i], &ts, &id, err, errlen)) != PL_OK)
                return rc;
            b->lo_ts = ts > b->lo_ts ? ts : b->lo_ts;
            b->lo_id = id > b->lo_id ? id : b->lo_id;
            b->anchored = true;
        }
        if (f->before[i]) {
            if ((rc = anchor(db, b->oid, f->before[i], &ts, &id, err, errlen)) != PL_OK)
                return rc;
            b->hi_ts = ts < b->hi_ts ? ts : b->hi_ts;
            b->hi_id = id < b->hi_id ? id : b->hi_id;
            b->anchored = true;
        }
    }
    return PL_OK;
}

/* The MATCH expression: the owner's number in its column, and every word of text quoted
 * (so no FTS5 syntax comes from the user) in the body. NULL when text has no word. */
static char *match_expr(long long oid, const char *text)
{
    struct buf b;
    size_t words = 0;
    buf_init(&b);
    buf_printf(&b, "owner : \"%lld\" AND body : (", oid);
    for (const char *p = text; *p;) {
        p += strspn(p, " \t\r\n");
        size_t n = strcspn(p, " \t\r\n");
        if (!n)
            break;
        buf_puts(&b, words++ ? " \"" : "\"");
        for (size_t i = 0; i < n; i++)
            buf_append(&b, p[i] == '"' ? "\"\"" : &p[i], p[i] == '"' ? 2 : 1);
        buf_append(&b, "\"", 1);
        p += n;
    }
    buf_append(&b, ")", 2); /* with the NUL */
    if (!words) {
        buf_fini(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* The page query for f, written into sql; forward in archive order unless from_end. */
static void page_sql(const struct archive_filter *f, char *sql, size_t len)
{
    const char *peer = f->with ? " AND a.peer = ?2" : "";
    const char *res = f->with && f->with_res ? " AND a.peer_res = ?3" : "";
    const char *dir = f->from_end ? "DESC" : "ASC";
    if (f->fulltext)
        snprintf(sql, len,
                 PAGE_COLS " FROM archive_fts CROSS JOIN archive a ON a.id = archive_fts.rowid"
                           " WHERE archive_fts MATCH ?7 AND archive_fts.rowid > ?8"
                           " AND archive_fts.rowid < ?9 AND a.owner = ?1%s%s AND a.ts > ?4"
                           " AND a.ts < ?5 ORDER BY archive_fts.rowid %s LIMIT ?6",
                 peer, res, dir);
    else
        snprintf(sql, len,
                 PAGE_COLS " FROM archive a WHERE a.owner = ?1%s%s AND a.ts > ?4 AND a.ts < ?5"
                           " ORDER BY a.ts %s LIMIT ?6",
                 peer, res, dir);
}

static void item_read(sqlite3_stmt *q, struct archive_item *it)
{
    it->stanza_id = col_dup(q, COL_SID);
    it->ts_us = sqlite3_column_int64(q, COL_TS);
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
    char sql[768];
    char *match = NULL;
    sqlite3_stmt *q = NULL;
    int rc = PL_EINVAL;
    if (f->fulltext && !(match = match_expr(b->oid, f->fulltext)))
        goto out;
    page_sql(f, sql, sizeof(sql));
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        rc = fail(db, err, errlen, "archive query");
        goto out;
    }
    bind_int(q, P_OID, b->oid);
    bind_text(q, P_PEER, f->with);
    bind_text(q, P_RES, f->with_res);
    bind_int(q, P_LO_TS, b->lo_ts);
    bind_int(q, P_HI_TS, b->hi_ts);
    bind_int(q, P_LIMIT, (long long)f->max + 1);
    bind_text(q, P_MATCH, match);
    bind_int(q, P_LO_ID, b->lo_id);
    bind_int(q, P_HI_ID, b->hi_id);
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
    sqlite3_stmt *q = NULL;
    const char *sql = PAGE_COLS " FROM archive a WHERE a.owner = ?1 AND a.stanza_id = ?2";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    size_t cap = f->n_ids < f->max ? f->n_ids : f->max;
    page->items = xcalloc(cap + 1, sizeof(*page->items));
    int rc = PL_OK;
    for (size_t i = 0; i < f->n_ids && page->n < cap && rc == PL_OK; i++) {
        sqlite3_reset(q);
        bind_int(q, 1, oid);
        bind_text(q, 2, f->ids[i]);
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
    if (rc == PL_ENOTFOUND) { /* nothing archived yet: empty, unless an id was named */
        page->rc = any_anchor ? PL_ENOTFOUND : PL_OK;
        page->complete = true;
        page->count = 0;
        return;
    }
    if (rc == PL_OK)
        rc = resolve_bounds(db, f, &b, err, errlen);
    if (rc == PL_OK)
        rc = f->ids ? select_ids(db, f, b.oid, page, err, errlen)
                    : select_page(db, f, &b, page, err, errlen);
    if (rc == PL_OK && page->complete && !b.anchored)
        page->count = (long long)page->n;
    page->rc = rc;
}

/* The first or last message of the owner's archive; PL_ENOTFOUND when empty. */
static int meta_end(sqlite3 *db, long long oid, bool last, char **sid, long long *ts,
                    char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    const char *sql = last ? "SELECT stanza_id, ts FROM archive WHERE owner = ?1"
                             " ORDER BY ts DESC LIMIT 1"
                           : "SELECT stanza_id, ts FROM archive WHERE owner = ?1"
                             " ORDER BY ts ASC LIMIT 1";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(db, err, errlen, sql);
    bind_int(q, 1, oid);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *sid = col_dup(q, 0);
        *ts = sqlite3_column_int64(q, 1);
        rc = PL_OK;
    } else {
        rc = rc == SQLITE_DONE ? PL_ENOTFOUND : fail(db, err, errlen, sql);
    }
    sqlite3_finalize(q);
    return rc;
}

void sq_meta_run(sqlite3 *db, const char *owner, struct archive_meta *m, char *err,
                 size_t errlen)
{
    long long oid;
    int rc = owner_number(db, owner, &oid, err, errlen);
    if (rc == PL_OK)
        rc = meta_end(db, oid, false, &m->first_id, &m->first_us, err, errlen);
    if (rc == PL_OK)
        rc = meta_end(db, oid, true, &m->last_id, &m->last_us, err, errlen);
    m->rc = rc == PL_ENOTFOUND ? PL_OK : rc; /* an empty archive has no ends */
}
