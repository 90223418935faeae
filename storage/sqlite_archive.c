/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for archive writes (append, amend, purge) and archive preferences. */
#include "base.h"
#include "sqlite_int.h"

/* The newest archived ts, read once: every later append stamps strictly after it, so the
 * archive's time order is its id order (queries and paging rely on it). */
static int last_ts(struct sq_store *s, long long *ts)
{
    if (s->archive_last_ts) {
        *ts = s->archive_last_ts;
        return PL_OK;
    }
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_LAST_TS);
    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    *ts = rc == SQ_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : rc;
}

static int add_owner(struct sq_store *s, const char *owner)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_OWNER_ADD);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    return sq_run(s, q);
}

static int insert_row(struct sq_store *s, const char *owner, const struct archive_row *row,
                      long long ts)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_INSERT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, row->stanza_id);
    sq_bind_text(s, q, 3, row->peer);
    sq_bind_text(s, q, 4, row->peer_res ? row->peer_res : "");
    sq_bind_int64(s, q, 5, ts);
    sq_bind_int64(s, q, 6, row->sent);
    sq_bind_text(s, q, 7, row->msg_id);
    sq_bind_text(s, q, 8, row->origin_id);
    sq_bind_text(s, q, 9, row->body);
    sq_bind_text(s, q, 10, row->xml);
    return sq_run(s, q);
}

int sq_archive_append(struct storage *st, const char *owner, const struct archive_row *row)
{
    struct sq_store *s = sq_store(st);
    long long prev, ts;
    if (sq_batch_begin(s) != PL_OK || last_ts(s, &prev) != PL_OK)
        return PL_EIO;
    ts = row->ts_us > prev ? row->ts_us : prev + 1;
    int rc = add_owner(s, owner);
    if (rc == PL_OK)
        rc = insert_row(s, owner, row, ts);
    /* Remembered even if the batch is later rolled back: a gap in time costs nothing. */
    if (rc == PL_OK)
        s->archive_last_ts = ts;
    return rc;
}

int sq_archive_amend(struct storage *st, const char *owner, const char *peer, bool sent,
                     const char *ref, const char *body, const char *xml)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_AMEND);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, peer);
    sq_bind_int64(s, q, 3, sent);
    sq_bind_text(s, q, 4, ref);
    sq_bind_text(s, q, 5, body);
    sq_bind_text(s, q, 6, xml);
    int rc = sq_run(s, q);
    if (rc == PL_OK && sqlite3_changes(s->db) == 0)
        rc = PL_ENOTFOUND;
    return rc;
}

int sq_archive_purge(struct storage *st, long long cutoff_us, unsigned max, unsigned *n)
{
    struct sq_store *s = sq_store(st);
    *n = 0;
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PURGE);
    if (!q)
        return PL_EIO;
    sq_bind_int64(s, q, 1, cutoff_us);
    sq_bind_int64(s, q, 2, max);
    int rc = sq_run(s, q);
    if (rc == PL_OK)
        *n = (unsigned)sqlite3_changes(s->db);
    return rc;
}

/* Leaves *mode as the caller set it (its default) when owner stored no preferences. */
/* One integer from a one-row statement (NULL reads as 0). */
static int read_int(struct sq_store *s, sqlite3_stmt *q, long long *v)
{
    int rc = sq_step(s, q);
    *v = rc == SQ_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : rc == PL_OK ? PL_EIO : rc;
}

/* The rows after the indexed ones, up to max of them, go into the index in one statement, so
 * a batch makes one FTS5 segment. */
int sq_archive_index(struct storage *st, unsigned max, unsigned *n)
{
    struct sq_store *s = sq_store(st);
    long long upto, next;
    sqlite3_stmt *q;
    *n = 0;
    if (sq_batch_begin(s) != PL_OK || !(q = sq_get(s, SQ_ARCHIVE_FTS_UPTO)) ||
        read_int(s, q, &upto) != PL_OK || !(q = sq_get(s, SQ_ARCHIVE_FTS_NEXT)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, upto);
    sq_bind_int64(s, q, 2, max);
    if (read_int(s, q, &next) != PL_OK)
        return PL_EIO;
    if (next <= upto)
        return PL_OK; /* nothing new */
    if (!(q = sq_get(s, SQ_ARCHIVE_FTS_ADD)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, upto);
    sq_bind_int64(s, q, 2, next);
    int rc = sq_run(s, q);
    if (rc == PL_OK && (q = sq_get(s, SQ_ARCHIVE_FTS_SET)) != NULL) {
        sq_bind_int64(s, q, 1, next);
        rc = sq_run(s, q);
        *n = rc == PL_OK ? (unsigned)(next - upto) : 0;
    }
    return q ? rc : PL_EIO;
}

static int read_mode(struct sq_store *s, const char *owner, enum archive_mode *mode)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREFS_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        long long m = sqlite3_column_int64(q, 0);
        *mode = m == ARCHIVE_NEVER || m == ARCHIVE_ROSTER ? (enum archive_mode)m : ARCHIVE_ALWAYS;
        rc = PL_OK;
    }
    sqlite3_reset(q);
    return rc;
}

int sq_archive_prefs_get(struct storage *st, const char *owner, enum archive_mode *mode,
                         archive_pref_fn fn, void *ctx)
{
    struct sq_store *s = sq_store(st);
    if (read_mode(s, owner, mode) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JIDS);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        const char *jid = (const char *)sqlite3_column_text(q, 0);
        if (jid)
            fn(ctx, jid, sqlite3_column_int64(q, 1) != 0);
    }
    sqlite3_reset(q);
    return rc;
}

static int put_jid(struct sq_store *s, const char *owner, const char *jid, bool always)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JID_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, jid);
    sq_bind_int64(s, q, 3, always);
    return sq_run(s, q);
}

int sq_archive_prefs_set(struct storage *st, const char *owner, enum archive_mode mode,
                         const char *const *jids, const bool *always, size_t n)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREFS_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, mode);
    int rc = sq_run(s, q);
    if (rc == PL_OK) {
        q = sq_get(s, SQ_ARCHIVE_PREF_JIDS_CLEAR);
        if (!q)
            return PL_EIO;
        sq_bind_text(s, q, 1, owner);
        rc = sq_run(s, q);
    }
    for (size_t i = 0; rc == PL_OK && i < n; i++)
        rc = put_jid(s, owner, jids[i], always[i]);
    return rc;
}

int sq_archive_pref_check(struct storage *st, const char *owner, const char *peer,
                          enum archive_mode *mode, int *rule)
{
    struct sq_store *s = sq_store(st);
    *rule = -1;
    if (read_mode(s, owner, mode) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JID_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, peer);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        *rule = sqlite3_column_int64(q, 0) != 0;
        rc = PL_OK;
    }
    sqlite3_reset(q);
    return rc;
}
