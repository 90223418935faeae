/* SPDX-License-Identifier: MIT */
/* The storage tests' fixture: a store in a temp folder, recognisable credentials, and a plain
 * SQLite connection beside the backend's. */
#ifndef PL_TEST_STORAGE_FX_H
#define PL_TEST_STORAGE_FX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "capture.h"
#include "scram.h"
#include "storage.h"
#include "tmp_store.h" /* raw_int */

#define SHA1_LEN 20
#define SHA256_LEN 32

/* Per-test state: a fresh temp directory, the store opened in it, a stderr capture. */
struct fx {
    char dir[256];
    char path[320];
    struct storage st;
    struct capture cap;
};

/* cmocka setup and teardown: *state is a struct fx, its store not yet open. The teardown
 * closes the store, shows what a capture cut short by a failed assertion hid, and removes the
 * folder. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* Opens the SQLite store at f->path; fails the test when it cannot. */
void fx_open(struct fx *f);

/* Credentials with recognisable bytes (including 0x00) derived from seed. */
struct scram_creds creds_fixed(unsigned seed, size_t salt_len, unsigned iterations);
/* creds_fixed with a salt length and iteration count derived from n. */
struct scram_creds creds_for(unsigned n);
/* A read of stored text: rc and got (malloc'd, freed here) are want, or PL_ENOTFOUND when
 * want is NULL. */
void assert_stored_text(int rc, char *got, const char *want);
void assert_creds_equal(const struct scram_creds *a, const struct scram_creds *b);
bool creds_equal(const struct scram_creds *a, const struct scram_creds *b);

/* A plain SQLite connection beside the backend's, as parleyctl or an admin would have. */
sqlite3 *raw_open(const char *path);
void raw_exec(sqlite3 *db, const char *sql);

/* What account_list gives, collected (owned copies). */
struct names {
    char *v[16];
    size_t n;
};

/* An account_list callback: ctx is a struct names. */
void names_collect(void *ctx, const char *bare);
void names_free(struct names *l);

#endif
