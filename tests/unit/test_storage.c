/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite storage backend (storage/sqlite*.c) on real files in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "scram.h"
#include "sqlite_int.h"
#include "storage.h"
#include "tmp_store.h"

#define SHA1_LEN 20
#define SHA256_LEN 32

/* Per-test state: a fresh temp directory, the store opened in it, a stderr capture. */
struct fx {
    char dir[256];
    char path[320];
    struct storage st;
    struct capture cap;
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "storage") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    /* A failed assertion jumps out of a capture: show what it hid (cmocka's message too). */
    if (f->cap.tmp) {
        char *hidden = capture_end(&f->cap);
        fputs(hidden, stderr);
        free(hidden);
    }
    if (f->st.impl)
        storage_close(&f->st);
    tmp_store_remove(f->dir);
    free(f);
    return 0;
}

static void fx_open(struct fx *f) { assert_int_equal(storage_open_sqlite(&f->st, f->path), PL_OK); }

/* Credentials with recognisable bytes (including 0x00) derived from seed. */
static struct scram_creds creds_fixed(unsigned seed, size_t salt_len, unsigned iterations)
{
    struct scram_creds c;

    memset(&c, 0, sizeof(c));
    c.salt_len = salt_len;
    c.iterations = iterations;
    for (size_t i = 0; i < salt_len && i < SCRAM_SALT_LEN; i++) /* bad lengths are tested */
        c.salt[i] = (unsigned char)(seed * 7 + i);
    for (size_t i = 0; i < SHA1_LEN; i++) {
        c.sha1.stored_key[i] = (unsigned char)(seed + i);
        c.sha1.server_key[i] = (unsigned char)(seed * 3 + i + 0x80);
    }
    for (size_t i = 0; i < SHA256_LEN; i++) {
        c.sha256.stored_key[i] = (unsigned char)(seed * 5 + i + 0x40);
        c.sha256.server_key[i] = (unsigned char)(0xff - seed - i);
    }
    return c;
}

static struct scram_creds creds_for(unsigned n)
{
    return creds_fixed(n, 1 + n % SCRAM_SALT_LEN, SCRAM_MIN_ITERATIONS + n);
}

static void assert_creds_equal(const struct scram_creds *a, const struct scram_creds *b)
{
    assert_int_equal(a->salt_len, b->salt_len);
    assert_memory_equal(a->salt, b->salt, a->salt_len);
    assert_int_equal(a->iterations, b->iterations);
    assert_memory_equal(&a->sha1, &b->sha1, sizeof(a->sha1));
    assert_memory_equal(&a->sha256, &b->sha256, sizeof(a->sha256));
}

static bool creds_equal(const struct scram_creds *a, const struct scram_creds *b)
{
    return a->salt_len == b->salt_len && !memcmp(a->salt, b->salt, a->salt_len) &&
           a->iterations == b->iterations && !memcmp(&a->sha1, &b->sha1, sizeof(a->sha1)) &&
           !memcmp(&a->sha256, &b->sha256, sizeof(a->sha256));
}

/* A plain SQLite connection beside the backend's, as parleyctl or an admin would have. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static sqlite3_int64 raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* Collects account_list output. */
struct names {
    char *v[16];
    size_t n;
};

static void collect(void *ctx, const char *bare)
{
    struct names *l = ctx;
    assert_true(l->n < ARRAY_LEN(l->v));
    l->v[l->n++] = xstrdup(bare);
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* ---- schema, files and open failures --------------------------------------------------------- */

static void test_open_creates_schema(void **state)
{
    struct fx *f = *state;

    fx_open(f);
    assert_string_equal(f->st.ops->name, "sqlite");
    sqlite3 *db = raw_open(f->path);
    /* 1 accounts, 2 rosters and last activity, 3 privacy lists, 4 privacy rows go with
     * their account */
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 4);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('accounts') WHERE name"
                                 " IN ('jid', 'salt', 'iterations', 'stored_key_sha1',"
                                 " 'server_key_sha1', 'stored_key_sha256', 'server_key_sha256',"
                                 " 'created')"),
                     8);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode ="
                                 " 'wal'"),
                     1);
    sqlite3_close(db);
    /* A second open of a current file migrates nothing and still works. */
    storage_close(&f->st);
    fx_open(f);
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

static void assert_mode(const char *dir, const char *name, unsigned want)
{
    char p[320];
    struct stat sb;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, want);
}

static void test_file_mode_0600(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1);

    /* With umask 0 any mode wider than 0600 would show, so this proves the backend's choice.
     * The umask is restored before any assertion can jump out. */
    mode_t old = umask(0);
    int rc = storage_open_sqlite(&f->st, f->path);
    int crc = rc == PL_OK ? account_create(&f->st, "a@x", &c) : rc;
    umask(old);
    assert_int_equal(rc, PL_OK);
    assert_int_equal(crc, PL_OK);
    assert_mode(f->dir, "parley.db", 0600);
    assert_mode(f->dir, "parley.db-wal", 0600);
    assert_mode(f->dir, "parley.db-shm", 0600);
}

static void test_open_warns_on_wide_mode(void **state)
{
    struct fx *f = *state;

    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(f->path, 0644), 0);
    capture_begin(&f->cap);
    int rc = storage_open_sqlite(&f->st, f->path);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_OK);
    assert_non_null(strstr(err, "storage: "));
    assert_non_null(strstr(err, "mode 644"));
    free(err);
    assert_mode(f->dir, "parley.db", 0644); /* the admin's choice is kept */
}

/* How to spoil the file (or path) before an open that must fail with PL_EIO. */
struct open_fail_case {
    const char *name;
    int user_version;    /* written with a plain connection when garbage is NULL */
    const char *garbage; /* file content instead of a database */
    const char *subpath; /* replaces "parley.db" */
    const char *message; /* expected on stderr */
};

static const struct open_fail_case open_fail_cases[] = {
    { "too new", 5, NULL, NULL, "schema version 5 is unknown" },
    { "far too new", 1000, NULL, NULL, "schema version 1000 is unknown" },
    { "negative", -1, NULL, NULL, "schema version -1 is unknown" },
    { "not a database", 0, "this is not an SQLite database, just a text file of fair length..",
      NULL, "not a database" },
    { "missing directory", 0, NULL, "no/such/dir.db", "No such file or directory" },
};

static void prepare_open_fail(struct fx *f, const struct open_fail_case *k, char *path,
                              size_t n)
{
    char sql[64];

    snprintf(path, n, "%s/%s", f->dir, k->subpath ? k->subpath : "parley.db");
    unlink(path);
    if (k->subpath)
        return;
    if (k->garbage) {
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(k->garbage, fp);
        fclose(fp);
        return;
    }
    sqlite3 *db = raw_open(path);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", k->user_version);
    raw_exec(db, sql);
    sqlite3_close(db);
}

static void test_open_failures(void **state)
{
    struct fx *f = *state;
    char path[sizeof(f->path)];

    for (size_t i = 0; i < ARRAY_LEN(open_fail_cases); i++) {
        const struct open_fail_case *k = &open_fail_cases[i];
        print_message("open failure: %s\n", k->name);
        prepare_open_fail(f, k, path, sizeof(path));
        capture_begin(&f->cap);
        int rc = storage_open_sqlite(&f->st, path);
        char *err = capture_end(&f->cap);
        assert_int_equal(rc, PL_EIO);
        assert_null(f->st.impl);
        assert_non_null(strstr(err, "storage: "));
        assert_non_null(strstr(err, k->message));
        free(err);
        if (!k->garbage && !k->subpath) { /* the refused file is left as it was */
            sqlite3 *db = raw_open(path);
            assert_int_equal(raw_int(db, "PRAGMA user_version"), k->user_version);
            assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
            assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE"
                                         " journal_mode = 'delete'"),
                             1); /* not even switched to WAL */
            sqlite3_close(db);
        }
    }
}

/* ---- account ops ----------------------------------------------------------------------------- */

static const struct {
    const char *jid;
    unsigned seed;
    size_t salt_len;
    unsigned iterations;
} round_trips[] = {
    { "alice@example.com", 0, SCRAM_SALT_LEN, SCRAM_MIN_ITERATIONS }, /* bytes 0x00 inside */
    { "bob@example.com", 200, 1, UINT_MAX },
    { "\xc3\xa4lice@example.com", 9, 7, 100000 },
    { "example.com", 77, 12, 1 },
};

static void test_create_get_round_trip(void **state)
{
    struct fx *f = *state;
    struct scram_creds got;
    time_t t0 = time(NULL);

    fx_open(f);
    for (size_t i = 0; i < ARRAY_LEN(round_trips); i++) {
        struct scram_creds c = creds_fixed(round_trips[i].seed, round_trips[i].salt_len,
                                           round_trips[i].iterations);
        assert_int_equal(account_create(&f->st, round_trips[i].jid, &c), PL_OK);
    }
    for (size_t i = 0; i < ARRAY_LEN(round_trips); i++) {
        struct scram_creds c = creds_fixed(round_trips[i].seed, round_trips[i].salt_len,
                                           round_trips[i].iterations);
        memset(&got, 0xaa, sizeof(got));
        assert_int_equal(creds_get(&f->st, round_trips[i].jid, &got), PL_OK);
        assert_creds_equal(&got, &c);
    }
    sqlite3 *db = raw_open(f->path);
    assert_in_range(raw_int(db, "SELECT min(created) FROM accounts"), t0, time(NULL));
    assert_in_range(raw_int(db, "SELECT max(created) FROM accounts"), t0, time(NULL));
    sqlite3_close(db);
}

static void test_create_duplicate(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), b = creds_for(2), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "a@x", &b), PL_EEXIST);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &a); /* the first account is untouched */
}

static void test_create_rejects_bad_creds(void **state)
{
    struct fx *f = *state;
    const struct scram_creds bad[] = {
        creds_fixed(1, 0, 4096),
        creds_fixed(1, SCRAM_SALT_LEN + 1, 4096),
        creds_fixed(1, 8, 0),
    };

    fx_open(f);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(account_create(&f->st, "a@x", &bad[i]), PL_EINVAL);
        assert_int_equal(account_set_creds(&f->st, "a@x", &bad[i]), PL_EINVAL);
    }
    struct scram_creds got;
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND);
}

static void test_set_creds(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), b = creds_for(2), other = creds_for(3), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &other), PL_OK);
    assert_int_equal(account_set_creds(&f->st, "a@x", &b), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &b);
    assert_int_equal(creds_get(&f->st, "b@x", &got), PL_OK);
    assert_creds_equal(&got, &other);
}

static void test_delete(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), got;
    struct names l = { .n = 0 };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &a), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_ENOTFOUND);
    assert_int_equal(account_list(&f->st, collect, &l), PL_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "b@x");
    names_free(&l);
    /* The name is free again. */
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
}

static void test_missing_account(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), got;
    const char *missing[] = { "nobody@x", "", "A@x", "a@x/r", "a@" };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
        assert_int_equal(creds_get(&f->st, missing[i], &got), PL_ENOTFOUND);
        assert_int_equal(account_set_creds(&f->st, missing[i], &a), PL_ENOTFOUND);
        assert_int_equal(account_delete(&f->st, missing[i]), PL_ENOTFOUND);
    }
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
}

static void test_list_in_jid_order(void **state)
{
    struct fx *f = *state;
    /* Inserted shuffled; expected in byte order of the prepared (UTF-8) bare JIDs. */
    const char *in[] = { "z@a", "ab@x", "\xc3\xa4@x", "a@x", "a.b@x", "example.com", "a@w" };
    const char *want[] = { "a.b@x", "a@w", "a@x", "ab@x", "example.com", "z@a", "\xc3\xa4@x" };
    struct scram_creds c = creds_for(1);
    struct names l = { .n = 0 };

    fx_open(f);
    assert_int_equal(account_list(&f->st, collect, &l), PL_OK);
    assert_int_equal(l.n, 0);
    for (size_t i = 0; i < ARRAY_LEN(in); i++)
        assert_int_equal(account_create(&f->st, in[i], &c), PL_OK);
    assert_int_equal(account_list(&f->st, collect, &l), PL_OK);
    assert_int_equal(l.n, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_string_equal(l.v[i], want[i]);
    names_free(&l);
}

/* A row callback that calls back into the store. */
struct reentry {
    struct storage *st;
    int inner_list_rc, get_rc;
    size_t rows;
};

static void reenter(void *ctx, const char *bare)
{
    struct reentry *r = ctx;
    struct scram_creds got;
    struct names l = { .n = 0 };

    r->rows++;
    r->get_rc = creds_get(r->st, bare, &got);
    r->inner_list_rc = account_list(r->st, collect, &l);
    names_free(&l);
}

static void test_list_callback_reentry(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1);
    struct reentry r = { .st = &f->st };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    capture_begin(&f->cap);
    int rc = account_list(&f->st, reenter, &r);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_OK);
    assert_int_equal(r.rows, 2); /* the outer loop was not restarted */
    assert_int_equal(r.get_rc, PL_OK);
    assert_int_equal(r.inner_list_rc, PL_EIO);
    assert_non_null(strstr(err, "re-entrant"));
    free(err);
}

/* Rows another tool wrote badly are refused rather than handed to SCRAM. */
static const char *const corrupt_rows[] = {
    "UPDATE accounts SET salt = x''",
    "UPDATE accounts SET salt = zeroblob(17)",
    "UPDATE accounts SET iterations = 0",
    "UPDATE accounts SET iterations = 4294967296",
    "UPDATE accounts SET iterations = 'many'",
    "UPDATE accounts SET stored_key_sha1 = x'0102'",
    "UPDATE accounts SET server_key_sha1 = zeroblob(32)",
    "UPDATE accounts SET stored_key_sha256 = zeroblob(20)",
    "UPDATE accounts SET server_key_sha256 = 'abcdefghijklmnopqrstuvwxyz012345'",
};

static void test_corrupt_row(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    sqlite3 *db = raw_open(f->path);
    for (size_t i = 0; i < ARRAY_LEN(corrupt_rows); i++) {
        assert_int_equal(account_set_creds(&f->st, "a@x", &c), PL_OK); /* repair, then spoil */
        raw_exec(db, corrupt_rows[i]);
        capture_begin(&f->cap);
        int rc = creds_get(&f->st, "a@x", &got);
        char *err = capture_end(&f->cap);
        assert_int_equal(rc, PL_EIO);
        assert_non_null(strstr(err, "storage: account a@x: stored credentials are malformed"));
        free(err);
    }
    sqlite3_close(db);
}

/* What a logger set before opening receives: every message, with its level, and no stderr. */
struct logged {
    enum storage_log_level level[4];
    char msg[4][256];
    size_t n;
};

static void log_into(void *ctx, enum storage_log_level level, const char *msg)
{
    struct logged *l = ctx;
    if (l->n < ARRAY_LEN(l->level)) {
        l->level[l->n] = level;
        snprintf(l->msg[l->n], sizeof(l->msg[l->n]), "%s", msg);
    }
    l->n++;
}

static void test_logger_gets_errors(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1), got;
    struct logged l = { .n = 0 };

    f->st.log = (struct storage_logger){ log_into, &l };
    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    sqlite3 *db = raw_open(f->path);
    raw_exec(db, corrupt_rows[0]);
    sqlite3_close(db);
    capture_begin(&f->cap);
    int rc = creds_get(&f->st, "a@x", &got);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_EIO);
    assert_string_equal(err, "");
    assert_int_equal(l.n, 1);
    assert_int_equal(l.level[0], STORAGE_LOG_ERROR);
    assert_string_equal(l.msg[0], "account a@x: stored credentials are malformed");
    free(err);
}

static void test_accounts_exist(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1);
    bool any = true;

    fx_open(f);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_false(any);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_true(any);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(account_delete(&f->st, "b@x"), PL_OK);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_false(any);
}

/* ---- persistence and other connections ------------------------------------------------------- */

static void test_reopen_persists(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), b = creds_for(2), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &a), PL_OK);
    assert_int_equal(account_set_creds(&f->st, "b@x", &b), PL_OK);
    assert_int_equal(account_create(&f->st, "c@x", &a), PL_OK);
    assert_int_equal(account_delete(&f->st, "c@x"), PL_OK);
    storage_close(&f->st);
    assert_null(f->st.impl);
    fx_open(f);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &a);
    assert_int_equal(creds_get(&f->st, "b@x", &got), PL_OK);
    assert_creds_equal(&got, &b);
    assert_int_equal(creds_get(&f->st, "c@x", &got), PL_ENOTFOUND);
}

/* parleyctl opens the same file through the same backend while the server runs. */
static void test_second_connection(void **state)
{
    struct fx *f = *state;
    struct storage ctl = { 0 };
    struct scram_creds a = creds_for(1), b = creds_for(2), got;
    struct names l = { .n = 0 };

    fx_open(f);
    assert_int_equal(storage_open_sqlite(&ctl, f->path), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND); /* server reads first */
    assert_int_equal(account_create(&ctl, "a@x", &a), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &a);
    assert_int_equal(account_set_creds(&ctl, "a@x", &b), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &b);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_EEXIST);
    assert_int_equal(account_create(&f->st, "s@x", &a), PL_OK);
    assert_int_equal(account_list(&ctl, collect, &l), PL_OK);
    assert_int_equal(l.n, 2);
    names_free(&l);
    assert_int_equal(account_delete(&ctl, "a@x"), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND);
    storage_close(&ctl);
}

static bool file_contains(const char *path, const void *needle, size_t n)
{
    FILE *fp = fopen(path, "rb");
    bool found = false;

    if (!fp)
        return false;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    rewind(fp);
    char *data = xmalloc((size_t)len + 1);
    if (fread(data, 1, (size_t)len, fp) == (size_t)len)
        found = memmem(data, (size_t)len, needle, n) != NULL;
    free(data);
    fclose(fp);
    return found;
}

/* Searches the database and its WAL, with the store open (WAL) and after close (checkpoint). */
static bool db_contains(const char *path, const void *needle, size_t n)
{
    char wal[sizeof(((struct fx *)0)->path) + 8];

    snprintf(wal, sizeof(wal), "%s-wal", path);
    return file_contains(path, needle, n) || file_contains(wal, needle, n);
}

static void test_no_plaintext_password(void **state)
{
    struct fx *f = *state;
    const char *pw = "correct horse battery";
    struct scram_creds c, got;

    assert_int_equal(scram_creds_make(pw, 4096, &c), PL_OK);
    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    /* The search must be able to find what is stored, or its "absent" would prove nothing. */
    assert_true(db_contains(f->path, c.sha256.stored_key, SHA256_LEN));
    assert_false(db_contains(f->path, pw, strlen(pw)));
    storage_close(&f->st);
    assert_true(db_contains(f->path, c.sha256.stored_key, SHA256_LEN));
    assert_false(db_contains(f->path, pw, strlen(pw)));
    fx_open(f);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_true(scram_creds_check(&got, pw));
    assert_false(scram_creds_check(&got, "wrong horse battery"));
}

/* ---- batching -------------------------------------------------------------------------------- */

static void test_batch_flush(void **state)
{
    struct fx *f = *state;
    struct storage ctl = { 0 };
    struct scram_creds a = creds_for(1), got;

    fx_open(f);
    assert_int_equal(storage_open_sqlite(&ctl, f->path), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK); /* nothing batched */
    assert_int_equal(sq_batch_begin(sq_store(&f->st)), PL_OK);
    assert_int_equal(sq_batch_begin(sq_store(&f->st)), PL_OK); /* already open: joins */
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &a), PL_OK);
    assert_int_equal(creds_get(&ctl, "a@x", &got), PL_ENOTFOUND); /* not committed yet */
    /* A writer that cannot get the lock in time fails cleanly (timeout shortened here). */
    sqlite3_busy_timeout(sq_store(&ctl)->db, 20);
    capture_begin(&f->cap);
    int rc = account_create(&ctl, "c@x", &a);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_EIO);
    assert_non_null(strstr(err, "storage: INSERT INTO accounts"));
    assert_non_null(strstr(err, "locked"));
    free(err);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(creds_get(&ctl, "a@x", &got), PL_OK);
    assert_int_equal(creds_get(&ctl, "b@x", &got), PL_OK);
    assert_int_equal(account_create(&ctl, "c@x", &a), PL_OK); /* lock released */
    /* A batch still open at close is committed, not dropped. */
    assert_int_equal(sq_batch_begin(sq_store(&f->st)), PL_OK);
    assert_int_equal(account_delete(&f->st, "b@x"), PL_OK);
    storage_close(&f->st);
    assert_int_equal(creds_get(&ctl, "b@x", &got), PL_ENOTFOUND);
    storage_close(&ctl);
}

/* ---- failure injection: a VFS that fails the Nth I/O call ------------------------------------ */

/* The fixture with support/fault_vfs.h's VFS as SQLite's default: it fails the Nth I/O call,
 * so real SQLite error paths run and the backend needs no test hooks. */
static int fault_setup(void **state) { return tmp_store_fault_setup(state, fx_setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, fx_teardown); }

#define FAULT_MAX_RUNS 200

/* Opens fresh files with the Nth I/O call failing for every N until one open meets no
 * fault; each fault must give PL_EIO and leave nothing open, and a clean reopen must work. */
static void test_open_under_faults(void **state)
{
    struct fx *f = *state;
    int n;

    capture_begin(&f->cap);
    for (n = 1; n < FAULT_MAX_RUNS; n++) {
        snprintf(f->path, sizeof(f->path), "%s/open-%d.db", f->dir, n);
        fault_vfs_arm(n);
        int rc = storage_open_sqlite(&f->st, f->path);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        assert_int_equal(rc, fired ? PL_EIO : PL_OK); /* no fault is swallowed */
        assert_true(fired ? f->st.impl == NULL : f->st.impl != NULL);
        if (!fired)
            storage_close(&f->st);
        fx_open(f); /* recovers, and finishes any migration the fault interrupted */
        struct scram_creds c = creds_for((unsigned)n), got;
        assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
        assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
        storage_close(&f->st);
        if (!fired)
            break;
    }
    char *err = capture_end(&f->cap);
    print_message("open: %d fault points, each answered PL_EIO\n", n - 1);
    assert_in_range(n, 2, FAULT_MAX_RUNS - 1);
    assert_non_null(strstr(err, "storage: "));
    free(err);
}

/* One write op run under faults: prepare (unarmed), the op (armed), and what must hold
 * after a clean reopen given whether the op answered PL_OK. */
struct fault_case {
    const char *name;
    void (*prepare)(struct storage *st, const char *jid);
    int (*op)(struct storage *st, const char *jid, unsigned n);
    void (*check)(struct storage *st, const char *jid, unsigned n, bool acked);
};

static void prep_create(struct storage *st, const char *jid)
{
    struct scram_creds c = creds_for(999);
    assert_int_equal(account_create(st, jid, &c), PL_OK);
}

static int op_create(struct storage *st, const char *jid, unsigned n)
{
    struct scram_creds c = creds_for(n);
    return account_create(st, jid, &c);
}

static int op_set(struct storage *st, const char *jid, unsigned n)
{
    struct scram_creds c = creds_for(n);
    return account_set_creds(st, jid, &c);
}

static int op_delete(struct storage *st, const char *jid, unsigned n)
{
    (void)n;
    return account_delete(st, jid);
}

/* A batch of one create, committed by flush; the flush result is the acknowledgement. */
static int op_batch(struct storage *st, const char *jid, unsigned n)
{
    int rc = sq_batch_begin(sq_store(st));
    if (rc == PL_OK)
        rc = op_create(st, jid, n);
    int frc = storage_flush(st);
    assert_true(sqlite3_get_autocommit(sq_store(st)->db)); /* no transaction left open */
    return rc != PL_OK ? rc : frc;
}

/* The account holds creds_for(n) (acked or unacked), or the old state (unacked only). */
static void check_new_or_old(struct storage *st, const char *jid, unsigned n, bool acked,
                             int old_rc, unsigned old_n)
{
    struct scram_creds got, want = creds_for(n), old = creds_for(old_n);
    int rc = creds_get(st, jid, &got);

    if (rc == PL_OK && creds_equal(&got, &want))
        return;
    assert_false(acked);
    assert_int_equal(rc, old_rc);
    if (rc == PL_OK)
        assert_creds_equal(&got, &old);
}

static void check_create(struct storage *st, const char *jid, unsigned n, bool acked)
{
    check_new_or_old(st, jid, n, acked, PL_ENOTFOUND, 0);
}

static void check_set(struct storage *st, const char *jid, unsigned n, bool acked)
{
    check_new_or_old(st, jid, n, acked, PL_OK, 999);
}

static void check_delete(struct storage *st, const char *jid, unsigned n, bool acked)
{
    struct scram_creds got, old = creds_for(999);
    int rc = creds_get(st, jid, &got);

    (void)n;
    if (rc == PL_ENOTFOUND)
        return;
    assert_false(acked);
    assert_int_equal(rc, PL_OK);
    assert_creds_equal(&got, &old);
}

static const struct fault_case fault_cases[] = {
    { "create", NULL, op_create, check_create },
    { "set_creds", prep_create, op_set, check_set },
    { "delete", prep_create, op_delete, check_delete },
    { "batch+flush", NULL, op_batch, check_create },
};

/* Runs k with the Nth I/O call failing, N = 1, 2, … until a run meets no fault. Returns the
 * number of runs; acked[n] says whether run n answered PL_OK. */
static unsigned run_fault_case(struct storage *st, const struct fault_case *k, bool *acked)
{
    char jid[32];
    unsigned n;

    for (n = 1; n < FAULT_MAX_RUNS; n++) {
        snprintf(jid, sizeof(jid), "u%u@x", n);
        if (k->prepare)
            k->prepare(st, jid);
        fault_vfs_arm((int)n);
        int rc = k->op(st, jid, n);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        assert_int_equal(rc, fired ? PL_EIO : PL_OK); /* no fault is swallowed */
        acked[n] = rc == PL_OK;
        k->check(st, jid, n, acked[n]); /* and the same connection keeps working */
        if (!fired)
            break;
    }
    assert_in_range(n, 2, FAULT_MAX_RUNS - 1);
    return n;
}

static void test_writes_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_MAX_RUNS];
    char jid[32];

    for (size_t i = 0; i < ARRAY_LEN(fault_cases); i++) {
        const struct fault_case *k = &fault_cases[i];
        snprintf(f->path, sizeof(f->path), "%s/%zu.db", f->dir, i);
        fx_open(f);
        capture_begin(&f->cap);
        unsigned runs = run_fault_case(&f->st, k, acked), failed = 0;
        char *err = capture_end(&f->cap);
        storage_close(&f->st);
        fx_open(f); /* nothing acknowledged is lost across a clean reopen */
        for (unsigned n = 1; n <= runs; n++) {
            snprintf(jid, sizeof(jid), "u%u@x", n);
            k->check(&f->st, jid, n, acked[n]);
            failed += !acked[n];
        }
        storage_close(&f->st);
        print_message("%s: %u fault points, %u answered PL_EIO\n", k->name, runs - 1, failed);
        assert_true(failed > 0);
        assert_non_null(strstr(err, "storage: "));
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_schema, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_0600, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_warns_on_wide_mode, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_failures, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_get_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_duplicate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_rejects_bad_creds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_set_creds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_delete, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_missing_account, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_in_jid_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_callback_reentry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_persists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_second_connection, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_plaintext_password, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_flush, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_logger_gets_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_accounts_exist, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_under_faults, fault_setup, fault_teardown),
        cmocka_unit_test_setup_teardown(test_writes_under_faults, fault_setup, fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
