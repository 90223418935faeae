/* SPDX-License-Identifier: MIT */
/* Temporary folders for storage tests, the fault VFS wrapped around a test's fixture, and raw
 * SQL on a store's file. */
#include "tmp_store.h"

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base.h"
#include "fault_vfs.h"

int tmp_store_make(char *dir, size_t dir_size, char *path, size_t path_size, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, dir_size, "%s/parley-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (n < 0 || (size_t)n >= dir_size || !mkdtemp(dir))
        return -1;
    n = snprintf(path, path_size, "%s/parley.db", dir);
    return n < 0 || (size_t)n >= path_size ? -1 : 0;
}

void tmp_store_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[PATH_MAX];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int tmp_store_fault_setup(void **state, int (*setup)(void **state))
{
    if (fault_vfs_register() != PL_OK)
        return -1;
    return setup(state);
}

int tmp_store_fault_teardown(void **state, int (*teardown)(void **state))
{
    fault_vfs_arm(0); /* a failed assertion can leave it armed; cleanup must not fault */
    int rc = teardown(state);
    fault_vfs_unregister();
    return rc;
}

void raw_exec_file(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

sqlite3_int64 raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

sqlite3_int64 raw_int_file(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_int64 v = raw_int(db, sql);
    sqlite3_close(db);
    return v;
}
