/* SPDX-License-Identifier: MIT */
/* SQLite backend core: open, schema migrations, the prepared statement table and helpers. */
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

/*
 * Schema steps: migrations[i] takes user_version i to i + 1 in one transaction. Append rows,
 * never edit one. Multi-line SQL here and in sq_sql[] sits in parentheses so that clang's
 * -Wstring-concatenation (the fuzz build) does not take it for a missing comma.
 */
static const char *const migrations[] = {
    /* 1: accounts with SCRAM credentials for both hashes; the password is never stored. */
    ("CREATE TABLE accounts ("
     " jid TEXT PRIMARY KEY NOT NULL,"
     " salt BLOB NOT NULL,"
     " iterations INTEGER NOT NULL,"
     " stored_key_sha1 BLOB NOT NULL,"
     " server_key_sha1 BLOB NOT NULL,"
     " stored_key_sha256 BLOB NOT NULL,"
     " server_key_sha256 BLOB NOT NULL,"
     " created INTEGER NOT NULL)"),
    /* 2: rosters (items with their subscription state and any pending inbound request),
     * roster versions (XEP-0237) and last logouts (XEP-0012). */
    ("CREATE TABLE roster_items ("
     " owner TEXT NOT NULL,"
     " contact TEXT NOT NULL,"
     " name TEXT,"
     " groups TEXT NOT NULL DEFAULT '',"
     " state INTEGER NOT NULL,"
     " in_roster INTEGER NOT NULL,"
     " status TEXT,"
     " PRIMARY KEY (owner, contact)) WITHOUT ROWID;"
     "CREATE TABLE roster_versions ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " ver INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE last_activity ("
     " jid TEXT PRIMARY KEY NOT NULL,"
     " seconds INTEGER NOT NULL,"
     " status TEXT) WITHOUT ROWID;"
     /* A deleted account takes its roster and history along (parleyctl deluser). */
     "CREATE TRIGGER roster_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM roster_items WHERE owner = OLD.jid;"
     " DELETE FROM roster_versions WHERE owner = OLD.jid;"
     " DELETE FROM last_activity WHERE jid = OLD.jid;"
     " END"),
    /* 3: privacy lists (XEP-0016; the XEP-0191 blocklist is one of them): a list exists while
     * it has items; kinds are the item's stanza-kind bits; the default list per account. */
    ("CREATE TABLE privacy_items ("
     " owner TEXT NOT NULL,"
     " list TEXT NOT NULL,"
     " ord INTEGER NOT NULL,"
     " type INTEGER NOT NULL,"
     " value TEXT,"
     " allow INTEGER NOT NULL,"
     " kinds INTEGER NOT NULL,"
     " PRIMARY KEY (owner, list, ord)) WITHOUT ROWID;"
     "CREATE TABLE privacy_defaults ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " list TEXT NOT NULL) WITHOUT ROWID"),
    /* 4: a deleted account takes its privacy lists along, like its roster (migration 2); rows
     * left by accounts deleted before this step go now, so a new account of the same name
     * does not inherit them. */
    ("DELETE FROM privacy_items WHERE owner NOT IN (SELECT jid FROM accounts);"
     "DELETE FROM privacy_defaults WHERE owner NOT IN (SELECT jid FROM accounts);"
     "CREATE TRIGGER privacy_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM privacy_items WHERE owner = OLD.jid;"
     " DELETE FROM privacy_defaults WHERE owner = OLD.jid;"
     " END"),
    /* 5: the message archive (XEP-0313). Owners are numbered (archive_owners) so that rows and
     * indexes stay small; ts is strictly increasing in id order (the backend ensures it), so
     * time order, id order and FTS rowid order agree. archive_fts indexes the body with the
     * owner's number as a column, so a search is one MATCH that skips other owners' rows.
     * IF NOT EXISTS: a file rewound to an older version by hand keeps working. */
    ("CREATE TABLE IF NOT EXISTS archive_owners ("
     " oid INTEGER PRIMARY KEY,"
     " jid TEXT NOT NULL UNIQUE);"
     "CREATE TABLE IF NOT EXISTS archive ("
     " id INTEGER PRIMARY KEY,"
     " owner INTEGER NOT NULL,"
     " stanza_id TEXT NOT NULL,"
     " peer TEXT NOT NULL,"
     " peer_res TEXT NOT NULL DEFAULT '',"
     " ts INTEGER NOT NULL,"
     " sent INTEGER NOT NULL,"
     " msg_id TEXT,"
     " origin_id TEXT,"
     " body TEXT,"
     " xml TEXT NOT NULL);"
     "CREATE UNIQUE INDEX IF NOT EXISTS archive_by_sid ON archive (owner, stanza_id);"
     "CREATE INDEX IF NOT EXISTS archive_by_peer ON archive (owner, peer, ts);"
     "CREATE INDEX IF NOT EXISTS archive_by_ts ON archive (owner, ts);"
     "CREATE INDEX IF NOT EXISTS archive_by_origin_id ON archive (owner, peer, origin_id)"
     " WHERE origin_id IS NOT NULL;"
     "CREATE VIRTUAL TABLE IF NOT EXISTS archive_fts USING fts5(owner, body, content='archive',"
     " content_rowid='id');"
     /* Rows up to archive_fts_state.upto are in the index; archive_index adds the newer ones
      * in batches (one FTS5 segment per small commit would cost every message dearly). */
     "CREATE TABLE IF NOT EXISTS archive_fts_state ("
     " k INTEGER PRIMARY KEY CHECK (k = 0),"
     " upto INTEGER NOT NULL);"
     "INSERT OR IGNORE INTO archive_fts_state (k, upto) VALUES (0, 0);"
     "CREATE TRIGGER IF NOT EXISTS archive_fts_del AFTER DELETE ON archive"
     " WHEN OLD.body IS NOT NULL AND OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"
     " INSERT INTO archive_fts (archive_fts, rowid, owner, body)"
     " VALUES ('delete', OLD.id, OLD.owner, OLD.body);"
     " END;"
     /* One trigger for both steps: SQLite does not promise an order between triggers. */
     "CREATE TRIGGER IF NOT EXISTS archive_fts_upd AFTER UPDATE OF body ON archive"
     " WHEN OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"
     " INSERT INTO archive_fts (archive_fts, rowid, owner, body)"
     " SELECT 'delete', OLD.id, OLD.owner, OLD.body WHERE OLD.body IS NOT NULL;"
     " INSERT INTO archive_fts (rowid, owner, body)"
     " SELECT NEW.id, NEW.owner, NEW.body WHERE NEW.body IS NOT NULL;"
     " END;"
     "CREATE TABLE IF NOT EXISTS archive_prefs ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " mode INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE IF NOT EXISTS archive_pref_jids ("
     " owner TEXT NOT NULL,"
     " jid TEXT NOT NULL,"
     " always INTEGER NOT NULL,"
     " PRIMARY KEY (owner, jid)) WITHOUT ROWID;"
     /* A deleted account takes its archive and preferences along. */
     "CREATE TRIGGER IF NOT EXISTS archive_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM archive WHERE owner = (SELECT oid FROM archive_owners WHERE jid = OLD.jid);"
     " DELETE FROM archive_owners WHERE jid = OLD.jid;"
     " DELETE FROM archive_prefs WHERE owner = OLD.jid;"
     " DELETE FROM archive_pref_jids WHERE owner = OLD.jid;"
     " END"),
    /* 6: offline messages (XEP-0160) in arrival order; AUTOINCREMENT so that an id is never
     * given twice, even after every row went; a stanza-id is stored once per owner, so the
     * same message kept again (e.g. after a stream-management session expired) is ignored.
     * A deleted account takes them along, like its roster (migration 2). */
    ("CREATE TABLE offline_messages ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " owner TEXT NOT NULL,"
     " stamp INTEGER NOT NULL,"
     " stanza_id TEXT,"
     " xml BLOB NOT NULL,"
     " UNIQUE (owner, stanza_id));"
     "CREATE INDEX offline_by_owner ON offline_messages (owner, id);"
     "CREATE TRIGGER offline_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM offline_messages WHERE owner = OLD.jid;"
     " END"),
};

/* One row per enum sq_stmt_id. Insert and update share ?1..?7 (jid, salt, iterations, the four
 * keys), so one bind helper serves both. */
static const char *const sq_sql[SQ_STMT_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_ACCOUNT_INSERT] = ("INSERT INTO accounts (jid, salt, iterations, stored_key_sha1,"
                           " server_key_sha1, stored_key_sha256, server_key_sha256, created)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
    [SQ_ACCOUNT_UPDATE] = ("UPDATE accounts SET salt = ?2, iterations = ?3, stored_key_sha1 = ?4,"
                           " server_key_sha1 = ?5, stored_key_sha256 = ?6,"
                           " server_key_sha256 = ?7 WHERE jid = ?1"),
    [SQ_ACCOUNT_DELETE] = "DELETE FROM accounts WHERE jid = ?1",
    [SQ_ACCOUNT_GET] = ("SELECT salt, iterations, stored_key_sha1, server_key_sha1,"
                        " stored_key_sha256, server_key_sha256 FROM accounts WHERE jid = ?1"),
    [SQ_ACCOUNT_LIST] = "SELECT jid FROM accounts ORDER BY jid",
    [SQ_ACCOUNT_ANY] = "SELECT 1 FROM accounts LIMIT 1",
    [SQ_ROSTER_LOAD] = ("SELECT contact, name, groups, state, in_roster, status FROM roster_items"
                        " WHERE owner = ?1"),
    [SQ_ROSTER_PUT] = ("INSERT OR REPLACE INTO roster_items (owner, contact, name, groups, state,"
                       " in_roster, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    [SQ_ROSTER_REMOVE] = "DELETE FROM roster_items WHERE owner = ?1 AND contact = ?2",
    [SQ_ROSTER_VER_GET] = "SELECT ver FROM roster_versions WHERE owner = ?1",
    [SQ_ROSTER_VER_SET] = "INSERT OR REPLACE INTO roster_versions (owner, ver) VALUES (?1, ?2)",
    [SQ_LAST_GET] = "SELECT seconds, status FROM last_activity WHERE jid = ?1",
    [SQ_LAST_SET] = ("INSERT OR REPLACE INTO last_activity (jid, seconds, status)"
                     " VALUES (?1, ?2, ?3)"),
    [SQ_PRIVACY_LOAD] = ("SELECT list, ord, type, value, allow, kinds FROM privacy_items"
                         " WHERE owner = ?1 ORDER BY list, ord"),
    [SQ_PRIVACY_DEFAULT_GET] = "SELECT list FROM privacy_defaults WHERE owner = ?1",
    [SQ_PRIVACY_LIST_DELETE] = "DELETE FROM privacy_items WHERE owner = ?1 AND list = ?2",
    [SQ_PRIVACY_ITEM_INSERT] = ("INSERT INTO privacy_items (owner, list, ord, type, value, allow,"
                                " kinds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    [SQ_PRIVACY_DEFAULT_SET] = ("INSERT OR REPLACE INTO privacy_defaults (owner, list)"
                                " VALUES (?1, ?2)"),
    [SQ_PRIVACY_DEFAULT_CLEAR] = "DELETE FROM privacy_defaults WHERE owner = ?1",
    [SQ_PRIVACY_SAVEPOINT] = "SAVEPOINT privacy_list",
    [SQ_PRIVACY_RELEASE] = "RELEASE privacy_list",
    [SQ_PRIVACY_ROLLBACK_TO] = "ROLLBACK TO privacy_list",
    [SQ_ARCHIVE_OWNER_ADD] = "INSERT OR IGNORE INTO archive_owners (jid) VALUES (?1)",
    [SQ_ARCHIVE_INSERT] = ("INSERT INTO archive (owner, stanza_id, peer, peer_res, ts, sent, msg_id,"
                           " origin_id, body, xml) VALUES ((SELECT oid FROM archive_owners"
                           " WHERE jid = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
    [SQ_ARCHIVE_LAST_TS] = "SELECT ts FROM archive ORDER BY id DESC LIMIT 1",
    /* By origin-id through its index, or by message id among the conversation's newest
     * 1000 rows (XEP-0308 corrects the last message; an index on every message id
     * would cost each append a write for that rare case). */
    [SQ_ARCHIVE_AMEND] = ("UPDATE archive SET body = ?5, xml = ?6 WHERE id = (SELECT max(id) FROM"
                          " (SELECT id FROM archive WHERE owner = (SELECT oid FROM archive_owners"
                          " WHERE jid = ?1) AND peer = ?2 AND origin_id = ?4 AND sent = ?3"
                          " UNION ALL SELECT id FROM (SELECT id, msg_id, sent FROM archive"
                          " WHERE owner = (SELECT oid FROM archive_owners WHERE jid = ?1)"
                          " AND peer = ?2 ORDER BY ts DESC LIMIT 1000)"
                          " WHERE msg_id = ?4 AND sent = ?3))"),
    /* Oldest first by id (the time order): stops at the first row still young enough. */
    [SQ_ARCHIVE_PURGE] = ("DELETE FROM archive WHERE id IN (SELECT id FROM archive ORDER BY id"
                          " LIMIT ?2) AND ts < ?1"),
    [SQ_ARCHIVE_FTS_UPTO] = "SELECT upto FROM archive_fts_state",
    [SQ_ARCHIVE_FTS_NEXT] = ("SELECT max(id) FROM (SELECT id FROM archive WHERE id > ?1 ORDER BY id"
                             " LIMIT ?2)"),
    [SQ_ARCHIVE_FTS_ADD] = ("INSERT INTO archive_fts (rowid, owner, body) SELECT id, owner, body"
                            " FROM archive WHERE id > ?1 AND id <= ?2 AND body IS NOT NULL"),
    [SQ_ARCHIVE_FTS_SET] = "UPDATE archive_fts_state SET upto = ?1",
    [SQ_ARCHIVE_PREFS_GET] = "SELECT mode FROM archive_prefs WHERE owner = ?1",
    [SQ_ARCHIVE_PREFS_PUT] = ("INSERT OR REPLACE INTO archive_prefs (owner, mode)"
                              " VALUES (?1, ?2)"),
    [SQ_ARCHIVE_PREF_JIDS] = ("SELECT jid, always FROM archive_pref_jids WHERE owner = ?1"
                              " ORDER BY jid"),
    [SQ_ARCHIVE_PREF_JID_GET] = ("SELECT always FROM archive_pref_jids WHERE owner = ?1"
                                 " AND jid = ?2"),
    [SQ_ARCHIVE_PREF_JIDS_CLEAR] = "DELETE FROM archive_pref_jids WHERE owner = ?1",
    [SQ_ARCHIVE_PREF_JID_PUT] = ("INSERT OR REPLACE INTO archive_pref_jids (owner, jid, always)"
                                 " VALUES (?1, ?2, ?3)"),
    [SQ_OFFLINE_COUNT] = "SELECT count(*) FROM offline_messages WHERE owner = ?1",
    [SQ_OFFLINE_PUT] = ("INSERT INTO offline_messages (owner, stamp, stanza_id, xml)"
                        " VALUES (?1, ?2, ?3, ?4)"),
    [SQ_OFFLINE_LOAD] = ("SELECT id, stamp, stanza_id, xml FROM offline_messages"
                         " WHERE owner = ?1 AND id > ?2 ORDER BY id LIMIT ?3"),
    [SQ_OFFLINE_DELETE] = "DELETE FROM offline_messages WHERE owner = ?1 AND id <= ?2",
};

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

/* ---- batching -------------------------------------------------------------------------------- */

int sq_batch_begin(struct sq_store *s)
{
    if (s->in_batch)
        return PL_OK;
    /* IMMEDIATE takes the write lock now (waiting out parleyctl via busy_timeout) instead
     * of failing with SQLITE_BUSY at the first write of a deferred transaction. */
    sqlite3_stmt *q = sq_get(s, SQ_BEGIN);
    int rc = q ? sq_run(s, q) : PL_EIO;
    s->in_batch = rc == PL_OK;
    return rc;
}

int sq_batch_commit(struct sq_store *s)
{
    if (!s->in_batch)
        return PL_OK;
    /* The flag, not sqlite3_get_autocommit(), decides: if SQLite rolled the batch back
     * after an error, COMMIT fails and the caller learns that the batch was lost. */
    s->in_batch = false;
    sqlite3_stmt *q = sq_get(s, SQ_COMMIT);
    int rc = q ? sq_run(s, q) : PL_EIO;
    if (rc != PL_OK && !sqlite3_get_autocommit(s->db)) {
        q = sq_get(s, SQ_ROLLBACK);
        if (q)
            sq_run(s, q);
    }
    return rc;
}

int sq_batch_rollback(struct sq_store *s)
{
    if (!s->in_batch)
        return PL_OK;
    s->in_batch = false;
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

static int set_pragmas(struct sq_store *s, const char *path)
{
    char mode[16];

    if (query_text(s, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) != PL_OK)
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
     * server's time went to pread). A checkpoint every 2000 WAL pages instead of 1000: a
     * page that many commits wrote is copied back once; much larger checkpoints stall the
     * loop (a checkpoint thread did too, sharing the file system's journal with it). */
    return exec_sql(s,
                    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=2000",
                    "pragmas");
}

static int read_version(struct sq_store *s, const char *path, int *v)
{
    char text[24];
    int known = (int)ARRAY_LEN(migrations);

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

/* Runs migrations[v] and records version v + 1, inside the caller's transaction. */
static int migrate_step(struct sq_store *s, int v)
{
    char bump[48], what[48];

    snprintf(what, sizeof(what), "migration to version %d", v + 1);
    snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
    if (exec_sql(s, migrations[v], what) != PL_OK || exec_sql(s, bump, what) != PL_OK)
        return PL_EIO;
    return PL_OK;
}

/* Brings the schema from version v to the newest, one transaction per step. */
static int migrate(struct sq_store *s, const char *path, int v)
{
    int known = (int)ARRAY_LEN(migrations);

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
    for (size_t i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (sqlite3_close(s->db) != SQLITE_OK)
        sq_fail(s, "close");
    free(s->path);
    free(s);
    st->impl = NULL;
}

static int sq_open(struct storage *st, const char *path)
{
    struct sq_store *s = xcalloc(1, sizeof(*s));
    int v;

    st->impl = s;
    s->log = st->log;
    s->path = xstrdup(path);
    if (create_private(s, path) != PL_OK)
        goto fail;
    /* No SQLITE_OPEN_CREATE: the file exists now, and if it vanished SQLite would
     * recreate it with a wider mode. */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sq_fail(s, path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
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
    .archive_append = sq_archive_append,
    .archive_amend = sq_archive_amend,
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
};

int storage_open_sqlite(struct storage *st, const char *path)
{
    st->ops = &storage_sqlite_ops;
    return st->ops->open(st, path);
}
