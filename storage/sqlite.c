/* SPDX-License-Identifier: MIT */
/* SQLite backend core: open, migrate, prepare the statement table, and the helpers. */
#include "sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

/* parleyctl writes to the same file while the server runs; wait this long for its lock. */
#define SQ_BUSY_TIMEOUT_MS 5000

/* ---- helpers shared with the op files -------------------------------------------------------- */

void sq_log(const struct sq_store *s, enum storage_log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->log.fn)
        s->log.fn(s->log.ctx, level, msg);
    else
        fprintf(stderr, "storage: %s\n", msg);
}

int sq_fail(struct sq_store *s, const char *what)
{
    sq_log(s, STORAGE_LOG_ERROR, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    return PL_EIO;
}

sqlite3_stmt *sq_get(struct sq_store *s, enum sq_stmt_id id)
{
    sqlite3_stmt *q = s->stmt[id];

    /* Every op resets its statements before returning, so a running one means re-entry
     * from a row callback; resetting it would restart the caller's loop. */
    if (sqlite3_stmt_busy(q)) {
        sq_log(s, STORAGE_LOG_ERROR, "%s: statement already running (re-entrant call)",
               sqlite3_sql(q));
        return NULL;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    s->bind_rc = SQLITE_OK;
    return q;
}

static void note_bind(struct sq_store *s, int rc)
{
    if (s->bind_rc == SQLITE_OK)
        s->bind_rc = rc;
}

void sq_bind_text(struct sq_store *s, sqlite3_stmt *q, int i, const char *v)
{
    note_bind(s, sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT));
}

void sq_bind_text_static(struct sq_store *s, sqlite3_stmt *q, int i, const char *v)
{
    note_bind(s, sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC));
}

void sq_bind_text_n(struct sq_store *s, sqlite3_stmt *q, int i, const char *v, size_t n)
{
    note_bind(s, sqlite3_bind_text64(q, i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8));
}

void sq_bind_blob(struct sq_store *s, sqlite3_stmt *q, int i, const void *v, size_t n)
{
    note_bind(s, sqlite3_bind_blob64(q, i, v, n, SQLITE_TRANSIENT));
}

void sq_bind_int64(struct sq_store *s, sqlite3_stmt *q, int i, sqlite3_int64 v)
{
    note_bind(s, sqlite3_bind_int64(q, i, v));
}

int sq_step(struct sq_store *s, sqlite3_stmt *q)
{
    int rc = s->bind_rc;

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            return SQ_ROW;
        if (rc == SQLITE_DONE)
            return PL_OK;
    }
    /* Extended codes are on (see sq_open); only key clashes mean "exists". */
    int err = rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE
                  ? PL_EEXIST
                  : sq_fail(s, sqlite3_sql(q));
    sqlite3_reset(q);
    return err;
}

int sq_run(struct sq_store *s, sqlite3_stmt *q)
{
    int rc = sq_step(s, q);

    if (rc == SQ_ROW) {
        sq_log(s, STORAGE_LOG_ERROR, "%s: unexpected row", sqlite3_sql(q));
        rc = PL_EIO;
    }
    sqlite3_reset(q);
    return rc;
}

int sq_run_changed(struct sq_store *s, sqlite3_stmt *q)
{
    int rc = sq_run(s, q);
    return rc == PL_OK && sqlite3_changes(s->db) == 0 ? PL_ENOTFOUND : rc;
}

/* ---- batching -------------------------------------------------------------------------------- */

int sq_batch_begin(struct sq_store *s)
{
    /* After some errors SQLite rolls the transaction back by itself: later writes must then
     * fail rather than commit one by one outside the batch. */
    if (s->in_batch)
        return sqlite3_get_autocommit(s->db) ? PL_EIO : PL_OK;
    /* IMMEDIATE takes the write lock now (waiting out parleyctl via busy_timeout) instead
     * of failing with SQLITE_BUSY at the first write of a deferred transaction. */
    sqlite3_stmt *q = sq_get(s, SQ_BEGIN);
    int rc = q ? sq_run(s, q) : PL_EIO;
    s->in_batch = rc == PL_OK;
    return rc;
}

int sq_batch_commit(struct sq_store *s)
{
    /* A queued archive write that failed loses the whole batch, as any write SQLite rolls
     * back would: a successful flush means every write since the last one is stored. */
    if (sq_archive_drain(s) != PL_OK || s->batch_lost) {
        sq_batch_rollback(s);
        return PL_EIO;
    }
    if (!s->in_batch)
        return PL_OK;
    /* The flag, not sqlite3_get_autocommit(), decides: if SQLite rolled the batch back
     * after an error, COMMIT fails and the caller learns that the batch was lost. */
    s->in_batch = false;
    sqlite3_stmt *q = sq_get(s, SQ_COMMIT);
    int rc = q ? sq_run(s, q) : PL_EIO;
    if (rc != PL_OK)
        sq_archive_forget(s); /* what the batch added is gone */
    if (rc != PL_OK && !sqlite3_get_autocommit(s->db)) {
        q = sq_get(s, SQ_ROLLBACK);
        if (q)
            sq_run(s, q);
    }
    return rc;
}

int sq_batch_rollback(struct sq_store *s)
{
    sq_archive_discard(s);
    s->batch_lost = false;
    if (!s->in_batch)
        return PL_OK;
    s->in_batch = false;
    sq_archive_forget(s); /* the batch may have moved its mark and added owners */
    if (sqlite3_get_autocommit(s->db))
        return PL_OK; /* SQLite has already rolled the batch back after an error */
    sqlite3_stmt *q = sq_get(s, SQ_ROLLBACK);
    return q ? sq_run(s, q) : PL_EIO;
}

/* ---- open: file, pragmas, migrations, statements --------------------------------------------- */

/* Creates the file 0600 before SQLite sees it (SQLite would use 0644); the -wal and -shm
 * files SQLite makes later copy the database file's mode. */
static int create_private(const struct sq_store *s, const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    struct stat sb;

    if (fd >= 0)
        return close(fd) == 0 ? PL_OK : PL_EIO;
    if (errno != EEXIST) {
        sq_log(s, STORAGE_LOG_ERROR, "%s: %s", path, strerror(errno));
        return PL_EIO;
    }
    /* An existing file keeps the mode its admin chose, but say that it leaks. */
    if (stat(path, &sb) == 0 && (sb.st_mode & 077))
        sq_log(s, STORAGE_LOG_WARN, "%s: mode %03o lets others read credentials", path,
               (unsigned)(sb.st_mode & 0777));
    return PL_OK;
}

static int exec_sql(struct sq_store *s, const char *sql, const char *what)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(s, what);
    return PL_OK;
}

/* Runs a one-row pragma or query and returns its first column as text in out. */
static int query_text(struct sq_store *s, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *q = NULL;
    int rc = PL_OK;

    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
        goto fail;
    const unsigned char *v = sqlite3_column_text(q, 0);
    snprintf(out, outlen, "%s", v ? (const char *)v : "");
    /* Step to the end: journal_mode=WAL commits its header change only when the statement
     * halts, after the row, and a failed commit must not pass for success. */
    if (sqlite3_step(q) != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(q);
    return rc;
fail:
    rc = sq_fail(s, sql);
    sqlite3_finalize(q);
    return rc;
}

/* A new database gets 16 KiB pages: a busy archive's commits then write fewer, fuller WAL
 * frames, and its write path costs about a fifth less per message than with 4 KiB pages. A
 * database made before keeps its page size: in WAL mode that is fixed. */
#define SQ_PAGE_SIZE "16384"
static int set_pragmas(struct sq_store *s, const char *path)
{
    char mode[16], size[16];

    if (exec_sql(s, "PRAGMA page_size=" SQ_PAGE_SIZE, "page size") != PL_OK ||
        query_text(s, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) != PL_OK ||
        query_text(s, "PRAGMA page_size", size, sizeof(size)) != PL_OK)
        return PL_EIO;
    if (strcmp(mode, "wal") != 0) {
        sq_log(s, STORAGE_LOG_ERROR, "%s: cannot use WAL (journal mode stays %s)", path, mode);
        return PL_EIO;
    }
    /* NORMAL in WAL mode: a commit is in the WAL file when it returns, so it survives a crash
     * of the process (what an ack promises); only a crash of the whole machine may lose the
     * last commits, and syncing every commit would double the cost of a busy archive.
     * 64 MiB of page cache: the archive's hot index pages stay in memory between commits
     * instead of being read back from the file (with the default 2 MiB, 9 % of a busy
     * server's time went to pread). */
    sq_checkpoint_init(s, atol(size));
    return exec_sql(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                       " PRAGMA cache_size=-65536", "pragmas");
}

static int read_version(struct sq_store *s, const char *path, int *v)
{
    char text[24];
    int known = (int)sq_migrations_count;

    if (query_text(s, "PRAGMA user_version", text, sizeof(text)) != PL_OK)
        return PL_EIO;
    *v = atoi(text);
    /* Newer means a later Parley migrated the file: refuse rather than guess its layout. */
    if (*v < 0 || *v > known) {
        sq_log(s, STORAGE_LOG_ERROR, "%s: schema version %d is unknown (this build knows 0..%d)",
               path, *v, known);
        return PL_EIO;
    }
    return PL_OK;
}

/* Runs sq_migrations[v] and records version v + 1, inside the caller's transaction. */
static int migrate_step(struct sq_store *s, int v)
{
    char bump[48], what[48];

    snprintf(what, sizeof(what), "migration to version %d", v + 1);
    snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
    if (exec_sql(s, sq_migrations[v], what) != PL_OK || exec_sql(s, bump, what) != PL_OK)
        return PL_EIO;
    return PL_OK;
}

/* Brings the schema from version v to the newest, one transaction per step. */
static int migrate(struct sq_store *s, const char *path, int v)
{
    int known = (int)sq_migrations_count;

    while (v < known) {
        if (exec_sql(s, "BEGIN IMMEDIATE", "BEGIN IMMEDIATE") != PL_OK)
            return PL_EIO;
        /* Read again under the write lock: parleyctl may have migrated the file meanwhile. */
        if (read_version(s, path, &v) != PL_OK)
            goto fail;
        if (v < known && migrate_step(s, v++) != PL_OK)
            goto fail;
        if (exec_sql(s, "COMMIT", "COMMIT") != PL_OK)
            goto fail;
    }
    return PL_OK;
fail:
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return PL_EIO;
}

static int prepare_all(struct sq_store *s)
{
    for (size_t i = 0; i < SQ_STMT_COUNT; i++) {
        if (!sq_sql[i]) {
            sq_log(s, STORAGE_LOG_ERROR, "statement %zu has no SQL", i);
            return PL_EIO;
        }
        if (sqlite3_prepare_v3(s->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK)
            return sq_fail(s, sq_sql[i]);
    }
    return PL_OK;
}

static void sq_close(struct storage *st)
{
    struct sq_store *s = st->impl;

    if (!s)
        return;
    sq_readers_stop(s); /* first: no reader may use the file while it closes */
    sq_batch_commit(s); /* logs when it fails; nothing else can be done at close */
    sq_checkpoint_stop(s); /* the writer's close checkpoints what is left */
    sq_archive_forget(s);
    sq_archive_queue_free(s);
    for (size_t i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (sqlite3_close(s->db) != SQLITE_OK)
        sq_fail(s, "close");
    free(s->path);
    free(s);
    st->impl = NULL;
}

/* SQLite's memory statistics take a global mutex on every allocation, about a sixth of an
 * archived message's write cost; nothing here reads them. The setting is process-wide and
 * possible only before SQLite's first use, hence once, at the first open. */
static void configure_sqlite(void)
{
    static bool done;
    if (!done)
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    done = true;
}

static int sq_open(struct storage *st, const char *path)
{
    struct sq_store *s = xcalloc(1, sizeof(*s));
    int v;

    configure_sqlite();
    st->impl = s;
    s->log = st->log;
    hmap_init(&s->archive_owners);
    s->path = xstrdup(path);
    if (create_private(s, path) != PL_OK)
        goto fail;
    /* No SQLITE_OPEN_CREATE: the file exists now, and if it vanished SQLite would
     * recreate it with a wider mode. NOMUTEX: only the caller's thread uses this connection
     * (the archive readers have their own). */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sq_fail(s, path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
    if (sq_archive_functions(s->db) != PL_OK) {
        sq_fail(s, "archive_keys");
        goto fail;
    }
    /* The version check comes first so that a file from a newer Parley is left untouched. */
    if (read_version(s, path, &v) != PL_OK || set_pragmas(s, path) != PL_OK ||
        migrate(s, path, v) != PL_OK || prepare_all(s) != PL_OK)
        goto fail;
    return PL_OK;
fail:
    sq_close(st);
    return PL_EIO;
}

/* Account writes run in autocommit, so this only commits a batch some op opened. */
static int sq_flush(struct storage *st) { return sq_batch_commit(sq_store(st)); }

static void sq_release_memory(struct storage *st) { sqlite3_db_release_memory(sq_store(st)->db); }
static int sq_rollback(struct storage *st) { return sq_batch_rollback(sq_store(st)); }

const struct storage_ops storage_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .account_create = sq_account_create,
    .account_set_creds = sq_account_set_creds,
    .account_delete = sq_account_delete,
    .creds_get = sq_creds_get,
    .account_list = sq_account_list,
    .accounts_exist = sq_accounts_exist,
    .flush = sq_flush,
    .flush_delay_ms = sq_checkpoint_flush_delay_ms,
    .release_memory = sq_release_memory,
    .rollback = sq_rollback,
    .roster_load = sq_roster_load,
    .roster_put = sq_roster_put,
    .roster_remove = sq_roster_remove,
    .last_get = sq_last_get,
    .last_set = sq_last_set,
    .privacy_load = sq_privacy_load,
    .privacy_list_set = sq_privacy_list_set,
    .privacy_default_set = sq_privacy_default_set,
    .set_wake = sq_set_wake,
    .run_completions = sq_run_completions,
    .archive_new_key = sq_archive_new_key,
    .archive_append = sq_archive_append,
    .archive_amend = sq_archive_amend,
    .archive_replace = sq_archive_replace,
    .archive_purge = sq_archive_purge,
    .archive_index = sq_archive_index,
    .archive_query = sq_archive_query,
    .archive_meta = sq_archive_meta,
    .archive_prefs_get = sq_archive_prefs_get,
    .archive_prefs_set = sq_archive_prefs_set,
    .archive_pref_check = sq_archive_pref_check,
    .offline_count = sq_offline_count,
    .offline_put = sq_offline_put,
    .offline_load = sq_offline_load,
    .offline_delete = sq_offline_delete,
    .room_load = sq_room_load,
    .room_put = sq_room_put,
    .room_delete = sq_room_delete,
    .room_aff_set = sq_room_aff_set,
    .room_list = sq_room_list,
    .userdata_get = sq_userdata_get,
    .userdata_put = sq_userdata_put,
    .userdata_count = sq_userdata_count,
    .pubsub_load = sq_pubsub_load,
    .pubsub_node_put = sq_pubsub_node_put,
    .pubsub_node_delete = sq_pubsub_node_delete,
    .pubsub_item_put = sq_pubsub_item_put,
    .pubsub_item_delete = sq_pubsub_item_delete,
    .pubsub_items_purge = sq_pubsub_items_purge,
    .pubsub_item_get = sq_pubsub_item_get,
    .pubsub_member_put = sq_pubsub_member_put,
};

int storage_open_sqlite(struct storage *st, const char *path)
{
    st->ops = &storage_sqlite_ops;
    return st->ops->open(st, path);
}
