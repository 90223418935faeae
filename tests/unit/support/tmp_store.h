/* SPDX-License-Identifier: MIT */
/* Temporary folders for storage tests, the fault VFS wrapped around a test's fixture, and raw
 * SQL on a store's file. */
#ifndef PL_TEST_TMP_STORE_H
#define PL_TEST_TMP_STORE_H

#include <stddef.h>

#include <sqlite3.h>

/* Makes a fresh folder $TMPDIR/parley-TAG-XXXXXX (/tmp without TMPDIR) in dir and the path of
 * a database file inside it in path. Returns 0, or -1 when it does not fit or cannot be made. */
int tmp_store_make(char *dir, size_t dir_size, char *path, size_t path_size, const char *tag);
/* Removes every file in dir (the database, its -wal and -shm, anything a test left), then dir. */
void tmp_store_remove(const char *dir);

/* Runs sql on the database file at path (it must succeed: a cmocka assertion), on a
 * connection of its own, closed again. */
void raw_exec_file(const char *path, const char *sql);
/* The first column of the first row of sql on db, or on the file at path (the same way as
 * raw_exec_file); fails the test without a row. */
sqlite3_int64 raw_int(sqlite3 *db, const char *sql);
sqlite3_int64 raw_int_file(const char *path, const char *sql);

/* cmocka setup/teardown around a fixture's own: the fault VFS (support/fault_vfs.h) becomes
 * SQLite's default first, and is disarmed before and unregistered after the teardown. */
int tmp_store_fault_setup(void **state, int (*setup)(void **state));
int tmp_store_fault_teardown(void **state, int (*teardown)(void **state));

#endif
