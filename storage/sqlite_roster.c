/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for rosters, roster versions and last logouts. */
#include <stdio.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_ROSTER_LOAD, in its SELECT order. */
enum { COL_CONTACT, COL_NAME, COL_GROUPS, COL_STATE, COL_IN_ROSTER, COL_STATUS };

static const char *col_text(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

static int read_version(struct sq_store *s, const char *owner, long long *ver)
{
    sqlite3_stmt *q = sq_get(s, SQ_ROSTER_VER_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc = sq_step(s, q);
    *ver = rc == SQ_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : rc;
}

/* fn must not call roster_load again (that call fails with PL_EIO). */
int sq_roster_load(struct storage *st, const char *owner, long long *ver,
                   void (*fn)(void *ctx, const struct roster_row *row), void *ctx)
{
    struct sq_store *s = sq_store(st);
    if (read_version(s, owner, ver) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ROSTER_LOAD);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct roster_row row = {
            .contact = col_text(q, COL_CONTACT),
            .name = col_text(q, COL_NAME),
            .groups = col_text(q, COL_GROUPS),
            .state = (unsigned)sqlite3_column_int64(q, COL_STATE),
            .in_roster = sqlite3_column_int64(q, COL_IN_ROSTER) != 0,
            .status = col_text(q, COL_STATUS),
        };
        if (!row.contact) /* NOT NULL column: only an allocation failure gets here */
            continue;
        if (!row.groups)
            row.groups = "";
        fn(ctx, &row);
    }
    sqlite3_reset(q);
    return rc;
}

static int write_version(struct sq_store *s, const char *owner, long long ver)
{
    sqlite3_stmt *q = sq_get(s, SQ_ROSTER_VER_SET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, ver);
    return sq_run(s, q);
}

int sq_roster_put(struct storage *st, const char *owner, const struct roster_row *row,
                  long long ver)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ROSTER_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, row->contact);
    sq_bind_text(s, q, 3, row->name);
    sq_bind_text(s, q, 4, row->groups ? row->groups : "");
    sq_bind_int64(s, q, 5, row->state);
    sq_bind_int64(s, q, 6, row->in_roster);
    sq_bind_text(s, q, 7, row->status);
    int rc = sq_run(s, q);
    return rc == PL_OK ? write_version(s, owner, ver) : rc;
}

int sq_roster_remove(struct storage *st, const char *owner, const char *contact, long long ver)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ROSTER_REMOVE);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, contact);
    int rc = sq_run(s, q);
    return rc == PL_OK ? write_version(s, owner, ver) : rc;
}

int sq_last_get(struct storage *st, const char *bare, long long *when, char **status)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_LAST_GET);
    *status = NULL;
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, bare);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        *when = sqlite3_column_int64(q, 0);
        const char *t = col_text(q, 1);
        *status = t ? xstrdup(t) : NULL;
        rc = PL_OK;
    } else if (rc == PL_OK) {
        rc = PL_ENOTFOUND;
    }
    sqlite3_reset(q);
    return rc;
}

int sq_last_set(struct storage *st, const char *bare, long long when, const char *status)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_LAST_SET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, bare);
    sq_bind_int64(s, q, 2, when);
    sq_bind_text(s, q, 3, status);
    return sq_run(s, q);
}
