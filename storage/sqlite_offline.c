/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for offline messages (XEP-0160): count, store, load a slice, delete. */
#include <stdint.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_OFFLINE_LOAD, in its SELECT order. */
enum { COL_ID, COL_STAMP, COL_STANZA_ID, COL_XML };

int sq_offline_count(struct storage *st, const char *owner, size_t *n)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_OFFLINE_COUNT);
    *n = 0;
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        *n = (size_t)sqlite3_column_int64(q, 0);
        rc = PL_OK;
    } else if (rc == PL_OK) {
        rc = sq_fail(s, "offline count: no row");
    }
    sqlite3_reset(q);
    return rc;
}

int sq_offline_put(struct storage *st, const char *owner, const struct offline_row *row)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_OFFLINE_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, row->stamp);
    sq_bind_text(s, q, 3, row->stanza_id);
    sq_bind_blob(s, q, 4, row->xml, row->xml_len);
    /* A unique clash (PL_EEXIST) undoes this statement only; the batch goes on. */
    return sq_run(s, q);
}

/* fn must not call offline_load again (that call fails with PL_EIO). */
int sq_offline_load(struct storage *st, const char *owner, long long after_id, size_t max,
                    void (*fn)(void *ctx, const struct offline_row *row), void *ctx)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_OFFLINE_LOAD);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, after_id);
    sq_bind_int64(s, q, 3, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct offline_row row = {
            .id = sqlite3_column_int64(q, COL_ID),
            .stamp = sqlite3_column_int64(q, COL_STAMP),
            .stanza_id = (const char *)sqlite3_column_text(q, COL_STANZA_ID),
            /* text of a blob: the same bytes, NUL-terminated for the reader */
            .xml = (const char *)sqlite3_column_text(q, COL_XML),
            .xml_len = (size_t)sqlite3_column_bytes(q, COL_XML),
        };
        /* Skipping a row would let a later delete up to a higher id take it unseen. */
        if (!row.xml) {
            rc = sq_fail(s, "offline load: out of memory");
            break;
        }
        fn(ctx, &row);
    }
    sqlite3_reset(q);
    return rc;
}

int sq_offline_delete(struct storage *st, const char *owner, long long upto_id)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_OFFLINE_DELETE);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, upto_id);
    return sq_run(s, q);
}
