/* SPDX-License-Identifier: MIT */
/* Tests of upload/store.c in a temporary folder: a file stored and read back with its
 * metadata, what each half-written state left by a crash reads as, and removal. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "upload.h"

#define TOKEN "00112233445566778899aabbccddeeff"

struct fx {
    char dir[64];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/upload-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    strcat(f->dir, "/upload");
    *state = f;
    return upload_store_open(f->dir) == PL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    *strrchr(f->dir, '/') = '\0';
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static const struct upload_meta meta = { .owner = "alice@localhost", .name = "a b.bin",
                                         .type = "application/octet-stream", .size = 5,
                                         .time_us = 42 };

static void write_file(const struct fx *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/" TOKEN "/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_put_read_remove(void **state)
{
    struct fx *f = *state;
    assert_false(upload_store_exists(f->dir, TOKEN));
    assert_int_equal(upload_store_put(f->dir, TOKEN, &meta, "a\0b\r\n", 5), PL_OK);
    assert_true(upload_store_exists(f->dir, TOKEN));
    struct upload_meta m;
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_OK);
    assert_string_equal(m.owner, meta.owner);
    assert_string_equal(m.name, meta.name);
    assert_true(m.size == 5 && m.time_us == 42);
    upload_meta_fini(&m);
    int fd = -1;
    char got[8];
    assert_int_equal(upload_store_data(f->dir, TOKEN, 5, &fd), PL_OK);
    assert_int_equal(read(fd, got, sizeof(got)), 5);
    assert_memory_equal(got, "a\0b\r\n", 5);
    close(fd);
    /* a length other than the metadata's is damage, not a file to serve */
    assert_int_equal(upload_store_data(f->dir, TOKEN, 4, &fd), PL_EIO);
    assert_int_equal(fd, -1);
    assert_int_equal(upload_store_data(f->dir, TOKEN, 6, &fd), PL_EIO);
    assert_int_equal(upload_store_remove(f->dir, TOKEN), PL_OK);
    assert_false(upload_store_exists(f->dir, TOKEN));
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_ENOTFOUND);
    assert_int_equal(upload_store_remove(f->dir, TOKEN), PL_OK); /* gone already: fine */
}

/* The states a crash may leave: only the data's rename makes a file. */
static void test_half_written(void **state)
{
    struct fx *f = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/" TOKEN, f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    struct upload_meta m;
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_ENOTFOUND); /* empty folder */
    write_file(f, "meta.tmp", "parley-upload 1\nowner a");
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_ENOTFOUND);
    struct buf text;
    buf_init(&text);
    upload_meta_format(&meta, &text);
    write_file(f, "meta", text.data);
    write_file(f, "data.tmp", "ab");
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_ENOTFOUND); /* no data yet */
    assert_false(upload_store_exists(f->dir, TOKEN));
    /* a retry into the same folder overwrites the leftovers */
    assert_int_equal(upload_store_put(f->dir, TOKEN, &meta, "12345", 5), PL_OK);
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_OK);
    upload_meta_fini(&m);
    snprintf(path, sizeof(path), "%s/" TOKEN "/data.tmp", f->dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* damaged metadata beside whole data */
    write_file(f, "meta", "parley-upload 1\nowner a@b\n");
    assert_int_equal(upload_store_meta(f->dir, TOKEN, &m), PL_EINVAL);
    assert_int_equal(upload_store_remove(f->dir, TOKEN), PL_OK);
    buf_fini(&text);
}

static void test_empty_file(void **state)
{
    struct fx *f = *state;
    struct upload_meta empty = meta;
    empty.size = 0;
    assert_int_equal(upload_store_put(f->dir, TOKEN, &empty, "", 0), PL_OK);
    int fd = -1;
    char c;
    assert_int_equal(upload_store_data(f->dir, TOKEN, 0, &fd), PL_OK);
    assert_int_equal(read(fd, &c, 1), 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_read_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
