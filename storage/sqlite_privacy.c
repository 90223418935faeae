/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for privacy lists (XEP-0016) and the default list of each account. */
#include <stdio.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_PRIVACY_LOAD, in its SELECT order. */
enum { COL_LIST, COL_ORDER, COL_TYPE, COL_VALUE, COL_ALLOW, COL_KINDS };

static int read_default(struct sq_store *s, const char *owner, char **name)
{
    sqlite3_stmt *q = sq_get(s, SQ_PRIVACY_DEFAULT_GET);
    *name = NULL;
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        *name = v ? xstrdup(v) : NULL;
        rc = PL_OK;
    }
    sqlite3_reset(q);
    return rc;
}

/* fn must not call privacy_load again (that call fails with PL_EIO). */
int sq_privacy_load(struct storage *st, const char *owner, char **default_name,
                    void (*fn)(void *ctx, const struct privacy_row *row), void *ctx)
{
    struct sq_store *s = sq_store(st);
    if (read_default(s, owner, default_name) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_PRIVACY_LOAD);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct privacy_row row = {
            .list = (const char *)sqlite3_column_text(q, COL_LIST),
            .order = (unsigned)sqlite3_column_int64(q, COL_ORDER),
            .type = (int)sqlite3_column_int64(q, COL_TYPE),
            .value = (const char *)sqlite3_column_text(q, COL_VALUE),
            .allow = sqlite3_column_int64(q, COL_ALLOW) != 0,
            .kinds = (unsigned)sqlite3_column_int64(q, COL_KINDS),
        };
        if (row.list) /* NOT NULL column: only an allocation failure gets here */
            fn(ctx, &row);
    }
    sqlite3_reset(q);
    return rc;
}

static int insert_row(struct sq_store *s, const char *owner, const char *name,
                      const struct privacy_row *r)
{
    sqlite3_stmt *q = sq_get(s, SQ_PRIVACY_ITEM_INSERT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, name);
    sq_bind_int64(s, q, 3, r->order);
    sq_bind_int64(s, q, 4, r->type);
    sq_bind_text(s, q, 5, r->value);
    sq_bind_int64(s, q, 6, r->allow);
    sq_bind_int64(s, q, 7, r->kinds);
    return sq_run(s, q);
}

static int run_simple(struct sq_store *s, enum sq_stmt_id id)
{
    sqlite3_stmt *q = sq_get(s, id);
    return q ? sq_run(s, q) : PL_EIO;
}

static int replace_rows(struct sq_store *s, const char *owner, const char *name,
                        const struct privacy_row *rows, size_t n)
{
    sqlite3_stmt *q = sq_get(s, SQ_PRIVACY_LIST_DELETE);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, name);
    int rc = sq_run(s, q);
    for (size_t i = 0; rc == PL_OK && i < n; i++)
        rc = insert_row(s, owner, name, &rows[i]);
    return rc;
}

/* The delete and the inserts join the batch inside a savepoint: a failure half-way undoes
 * this list's changes only, so the batch never commits half a list. */
int sq_privacy_list_set(struct storage *st, const char *owner, const char *name,
                        const struct privacy_row *rows, size_t n)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK || run_simple(s, SQ_PRIVACY_SAVEPOINT) != PL_OK)
        return PL_EIO;
    int rc = replace_rows(s, owner, name, rows, n);
    if (rc != PL_OK) {
        /* After an I/O error SQLite may have rolled the whole batch back already; then
         * these fail too, and the batch's commit reports the loss. */
        run_simple(s, SQ_PRIVACY_ROLLBACK_TO);
        run_simple(s, SQ_PRIVACY_RELEASE);
        return PL_EIO;
    }
    return run_simple(s, SQ_PRIVACY_RELEASE);
}

int sq_privacy_default_set(struct storage *st, const char *owner, const char *name)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, name ? SQ_PRIVACY_DEFAULT_SET : SQ_PRIVACY_DEFAULT_CLEAR);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    if (name)
        sq_bind_text(s, q, 2, name);
    return sq_run(s, q);
}
