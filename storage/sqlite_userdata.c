/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for the XML an account keeps on the server: its vCard and its private
 * XML storage, one row per fragment. */
#include <stdlib.h>

#include "base.h"
#include "sqlite_int.h"

/* Statement id with owner, kind and name bound as ?1..?3; NULL when it is busy. */
static sqlite3_stmt *keyed(struct sq_store *s, enum sq_stmt_id id, const char *owner,
                           enum userdata_kind kind, const char *name)
{
    sqlite3_stmt *q = sq_get(s, id);
    if (!q)
        return NULL;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, kind);
    if (name)
        sq_bind_text(s, q, 3, name);
    return q;
}

int sq_userdata_get(struct storage *st, const char *owner, enum userdata_kind kind,
                    const char *name, char **xml)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = keyed(s, SQ_USERDATA_GET, owner, kind, name);
    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        *xml = v ? xstrdup(v) : NULL;
        rc = v ? PL_OK : PL_EIO;
    } else if (rc == PL_OK) {
        rc = PL_ENOTFOUND;
    }
    sqlite3_reset(q); /* ends the read transaction so WAL checkpoints can proceed */
    return rc;
}

int sq_userdata_put(struct storage *st, const char *owner, enum userdata_kind kind,
                    const char *name, const char *xml)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, xml ? SQ_USERDATA_PUT : SQ_USERDATA_DELETE, owner, kind, name);
    if (!q)
        return PL_EIO;
    if (xml)
        sq_bind_text(s, q, 4, xml);
    return sq_run(s, q);
}

int sq_userdata_count(struct storage *st, const char *owner, enum userdata_kind kind,
                      long long *n)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = keyed(s, SQ_USERDATA_COUNT, owner, kind, NULL);
    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        *n = sqlite3_column_int64(q, 0);
        rc = PL_OK;
    } else if (rc == PL_OK) {
        rc = PL_EIO; /* count(*) always gives a row */
    }
    sqlite3_reset(q);
    return rc;
}
