/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for accounts and their stored SCRAM credentials. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_ACCOUNT_GET, in its SELECT order. */
enum { COL_SALT, COL_ITERATIONS, COL_STORED1, COL_SERVER1, COL_STORED256, COL_SERVER256 };

/* Rejects credentials whose sizes would make the binds read past the struct. */
static bool creds_valid(const struct scram_creds *c)
{
    return c->salt_len > 0 && c->salt_len <= SCRAM_SALT_LEN && c->iterations > 0;
}

/* Binds ?1..?7, which SQ_ACCOUNT_INSERT and SQ_ACCOUNT_UPDATE share. */
static void bind_creds(struct sq_store *s, sqlite3_stmt *q, const char *bare,
                       const struct scram_creds *c)
{
    size_t n1 = scram_key_len(SCRAM_SHA1), n256 = scram_key_len(SCRAM_SHA256);

    sq_bind_text(s, q, 1, bare);
    sq_bind_blob(s, q, 2, c->salt, c->salt_len);
    sq_bind_int64(s, q, 3, c->iterations);
    sq_bind_blob(s, q, 4, c->sha1.stored_key, n1);
    sq_bind_blob(s, q, 5, c->sha1.server_key, n1);
    sq_bind_blob(s, q, 6, c->sha256.stored_key, n256);
    sq_bind_blob(s, q, 7, c->sha256.server_key, n256);
}

int sq_account_create(struct storage *st, const char *bare, const struct scram_creds *c)
{
    struct sq_store *s = sq_store(st);

    if (!creds_valid(c))
        return PL_EINVAL;
    sqlite3_stmt *q = sq_get(s, SQ_ACCOUNT_INSERT);
    if (!q)
        return PL_EIO;
    bind_creds(s, q, bare, c);
    sq_bind_int64(s, q, 8, (sqlite3_int64)time(NULL));
    return sq_run(s, q); /* the primary key makes a duplicate PL_EEXIST */
}

int sq_account_set_creds(struct storage *st, const char *bare, const struct scram_creds *c)
{
    struct sq_store *s = sq_store(st);

    if (!creds_valid(c))
        return PL_EINVAL;
    sqlite3_stmt *q = sq_get(s, SQ_ACCOUNT_UPDATE);
    if (!q)
        return PL_EIO;
    bind_creds(s, q, bare, c);
    return sq_run_changed(s, q);
}

int sq_account_delete(struct storage *st, const char *bare)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q;

    /* The deletion clears the account's archive: its queued messages first. */
    if (sq_archive_drain(s) != PL_OK || !(q = sq_get(s, SQ_ACCOUNT_DELETE)))
        return PL_EIO;
    sq_bind_text(s, q, 1, bare);
    return sq_run_changed(s, q);
}

/* Copies a BLOB column of min..max bytes into dst; false for any other type or size. */
static bool copy_blob(sqlite3_stmt *q, int col, void *dst, size_t min, size_t max, size_t *len)
{
    if (sqlite3_column_type(q, col) != SQLITE_BLOB)
        return false;
    const void *v = sqlite3_column_blob(q, col); /* before _bytes, as SQLite documents */
    size_t n = (size_t)sqlite3_column_bytes(q, col);
    if (!v || n < min || n > max)
        return false;
    memcpy(dst, v, n);
    if (len)
        *len = n;
    return true;
}

/* Fills out from the current row; a row another tool wrote badly is an error, not a login. */
static int read_creds(const struct sq_store *s, sqlite3_stmt *q, const char *bare,
                      struct scram_creds *out)
{
    size_t n1 = scram_key_len(SCRAM_SHA1), n256 = scram_key_len(SCRAM_SHA256);
    sqlite3_int64 iter = sqlite3_column_int64(q, COL_ITERATIONS);

    memset(out, 0, sizeof(*out));
    if (sqlite3_column_type(q, COL_ITERATIONS) != SQLITE_INTEGER || iter < 1 || iter > UINT_MAX)
        goto fail;
    out->iterations = (unsigned)iter;
    if (!copy_blob(q, COL_SALT, out->salt, 1, SCRAM_SALT_LEN, &out->salt_len) ||
        !copy_blob(q, COL_STORED1, out->sha1.stored_key, n1, n1, NULL) ||
        !copy_blob(q, COL_SERVER1, out->sha1.server_key, n1, n1, NULL) ||
        !copy_blob(q, COL_STORED256, out->sha256.stored_key, n256, n256, NULL) ||
        !copy_blob(q, COL_SERVER256, out->sha256.server_key, n256, n256, NULL))
        goto fail;
    return PL_OK;
fail:
    memset(out, 0, sizeof(*out));
    sq_log(s, STORAGE_LOG_ERROR, "account %s: stored credentials are malformed", bare);
    return PL_EIO;
}

int sq_creds_get(struct storage *st, const char *bare, struct scram_creds *out)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_ACCOUNT_GET);

    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, bare);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW)
        rc = read_creds(s, q, bare, out);
    else if (rc == PL_OK)
        rc = PL_ENOTFOUND;
    sqlite3_reset(q); /* ends the read transaction so WAL checkpoints can proceed */
    return rc;
}

/* fn may call other ops, but not account_list itself (that call fails with PL_EIO). */
int sq_account_list(struct storage *st, void (*fn)(void *ctx, const char *bare), void *ctx)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_ACCOUNT_LIST);
    int rc;

    if (!q)
        return PL_EIO;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        const char *bare = (const char *)sqlite3_column_text(q, 0);
        if (!bare) { /* NOT NULL column: only an allocation failure gets here */
            rc = sq_fail(s, "account list");
            break;
        }
        fn(ctx, bare);
    }
    sqlite3_reset(q);
    return rc;
}

int sq_accounts_exist(struct storage *st, bool *any)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = sq_get(s, SQ_ACCOUNT_ANY);

    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    *any = rc == SQ_ROW;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : rc;
}
