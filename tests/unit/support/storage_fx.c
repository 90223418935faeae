/* SPDX-License-Identifier: MIT */
/* The storage tests' fixture: temp store, fixed credentials, a plain SQLite connection. */
#include "storage_fx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "tmp_store.h"

int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "storage") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
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

void fx_open(struct fx *f)
{
    assert_int_equal(storage_open_sqlite(&f->st, f->path), PL_OK);
}

struct scram_creds creds_fixed(unsigned seed, size_t salt_len, unsigned iterations)
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

struct scram_creds creds_for(unsigned n)
{
    return creds_fixed(n, 1 + n % SCRAM_SALT_LEN, SCRAM_MIN_ITERATIONS + n);
}

void assert_creds_equal(const struct scram_creds *a, const struct scram_creds *b)
{
    assert_int_equal(a->salt_len, b->salt_len);
    assert_memory_equal(a->salt, b->salt, a->salt_len);
    assert_int_equal(a->iterations, b->iterations);
    assert_memory_equal(&a->sha1, &b->sha1, sizeof(a->sha1));
    assert_memory_equal(&a->sha256, &b->sha256, sizeof(a->sha256));
}

bool creds_equal(const struct scram_creds *a, const struct scram_creds *b)
{
    return a->salt_len == b->salt_len && !memcmp(a->salt, b->salt, a->salt_len) &&
           a->iterations == b->iterations && !memcmp(&a->sha1, &b->sha1, sizeof(a->sha1)) &&
           !memcmp(&a->sha256, &b->sha256, sizeof(a->sha256));
}

sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

void raw_exec(sqlite3 *db, const char *sql)
{
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

void names_collect(void *ctx, const char *bare)
{
    struct names *l = ctx;
    assert_true(l->n < ARRAY_LEN(l->v));
    l->v[l->n++] = xstrdup(bare);
}

void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

void assert_stored_text(int rc, char *got, const char *want)
{
    if (!want) {
        assert_int_equal(rc, PL_ENOTFOUND);
        return;
    }
    assert_int_equal(rc, PL_OK);
    assert_string_equal(got, want);
    free(got);
}
