/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite storage backend (storage/sqlite*.c) on real files in a temp directory:
 * schema and open failures, persistence, batching, I/O faults (account ops have their own
 * file, test_storage_accounts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "scram.h"
#include "sqlite_int.h"
#include "storage.h"
#include "storage_fx.h"
#include "tmp_store.h"

/* ---- schema, files and open failures --------------------------------------------------------- */

static void test_open_creates_schema(void **state)
{
    struct fx *f = *state;

    fx_open(f);
    assert_string_equal(f->st.ops->name, "sqlite");
    sqlite3 *db = raw_open(f->path);
    /* 1 accounts, 2 rosters and last activity, 3 privacy lists, 4 privacy rows go with
     * their account, 5 message archive, 6 offline messages, 7 the archive's shared rows,
     * 8 its keys column written by the insert, 9 tokens for the parties, not conversations,
     * 10 group chat rooms and their affiliations, 11 account data (vCard, private XML),
     * 12 publish-subscribe nodes, items and members */
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 12);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info('accounts') WHERE name"
                                 " IN ('jid', 'salt', 'iterations', 'stored_key_sha1',"
                                 " 'server_key_sha1', 'stored_key_sha256', 'server_key_sha256',"
                                 " 'created')"),
                     8);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode ="
                                 " 'wal'"),
                     1);
    assert_int_equal(raw_int(db, "PRAGMA page_size"), 16384);
    sqlite3_close(db);
    /* A second open of a current file migrates nothing and still works. */
    storage_close(&f->st);
    fx_open(f);
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

/* A database made with the older 4 KiB pages keeps them (WAL fixes the page size) and
 * works as before. */
static void test_older_page_size_kept(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), got;

    raw_exec_file(f->path, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL");
    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    storage_close(&f->st);
    fx_open(f);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    sqlite3 *db = raw_open(f->path);
    assert_int_equal(raw_int(db, "PRAGMA page_size"), 4096);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), 12);
    sqlite3_close(db);
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
    { "too new", 13, NULL, NULL, "schema version 13 is unknown" },
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
    assert_int_equal(account_list(&ctl, names_collect, &l), PL_OK);
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
        cmocka_unit_test_setup_teardown(test_older_page_size_kept, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_0600, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_warns_on_wide_mode, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_failures, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_persists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_second_connection, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_plaintext_password, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_flush, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_under_faults, fault_setup, fault_teardown),
        cmocka_unit_test_setup_teardown(test_writes_under_faults, fault_setup, fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
