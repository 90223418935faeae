/* SPDX-License-Identifier: MIT */
/* Tests of upload/meta.c: a stored file's metadata written and read back, fed whole and cut
 * at every length, and what damaged or incomplete metadata is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "upload.h"

static struct upload_meta sample(void)
{
    return (struct upload_meta){ .owner = "alice@localhost", .name = "tr\xc3\xa8s cool.jpg",
                                 .type = "image/jpeg", .size = 23456,
                                 .time_us = 1733600000123456LL };
}

static void test_round_trip(void **state)
{
    (void)state;
    struct upload_meta in = sample(), out;
    struct buf b;
    buf_init(&b);
    upload_meta_format(&in, &b);
    assert_int_equal(upload_meta_parse(b.data, b.len, &out), PL_OK);
    assert_string_equal(out.owner, in.owner);
    assert_string_equal(out.name, in.name);
    assert_string_equal(out.type, in.type);
    assert_true(out.size == in.size && out.time_us == in.time_us);
    upload_meta_fini(&out);
    assert_null(out.owner);
    buf_fini(&b);
}

/* A file cut short by anything but the whole is refused (the last newline included). */
static void test_every_cut(void **state)
{
    (void)state;
    struct upload_meta in = sample(), out;
    struct buf b;
    buf_init(&b);
    upload_meta_format(&in, &b);
    for (size_t n = 0; n < b.len; n++)
        if (upload_meta_parse(b.data, n, &out) != PL_EINVAL)
            fail_msg("cut at %zu of %zu taken", n, b.len);
    buf_fini(&b);
}

struct meta_case {
    const char *text;
    int rc;
};

#define HEAD "parley-upload 1\n"
#define OWNER "owner a@b\n"
#define REST "size 3\ntype text/plain\ntime 5\nname a b.txt\n"

static const struct meta_case cases[] = {
    { HEAD OWNER REST, PL_OK },
    { HEAD "name a b.txt\ntime 5\ntype text/plain\nsize 3\n" OWNER, PL_OK },
    { HEAD OWNER REST "later-key with a value\n", PL_OK }, /* added by a later version */
    { HEAD OWNER "size 0\ntype text/plain\ntime 0\nname x\n", PL_OK },
    { "parley-upload 2\n" OWNER REST, PL_EINVAL },
    { OWNER REST, PL_EINVAL },
    { HEAD REST, PL_EINVAL },                                       /* no owner */
    { HEAD OWNER "size 3\ntype text/plain\ntime 5\n", PL_EINVAL },  /* no name */
    { HEAD OWNER "type text/plain\ntime 5\nname x\n", PL_EINVAL },  /* no size */
    { HEAD OWNER "size 3\ntype text/plain\nname x\n", PL_EINVAL },  /* no time */
    { HEAD OWNER "size 3\ntime 5\nname x\n", PL_EINVAL },           /* no type */
    { HEAD OWNER OWNER REST, PL_EINVAL },                           /* twice */
    { HEAD OWNER "size 3\n" REST, PL_EINVAL },
    { HEAD "owner \n" REST, PL_EINVAL },                            /* empty */
    { HEAD OWNER "size -3\ntype text/plain\ntime 5\nname x\n", PL_EINVAL },
    { HEAD OWNER "size 3x\ntype text/plain\ntime 5\nname x\n", PL_EINVAL },
    { HEAD OWNER "size 99999999999999999999\ntype text/plain\ntime 5\nname x\n", PL_EINVAL },
    { HEAD OWNER "size 3\ntype nonsense\ntime 5\nname x\n", PL_EINVAL },
    { HEAD OWNER "size 3\ntype text/plain\ntime 5\nname a/b\n", PL_EINVAL },
    { HEAD OWNER "size 3\ntype text/plain\ntime 5\nname ..\n", PL_EINVAL },
    { HEAD OWNER "noseparator\n" REST, PL_EINVAL },
    { HEAD OWNER REST "\n", PL_EINVAL },                            /* an empty line */
    { "", PL_EINVAL },
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct upload_meta m;
        int rc = upload_meta_parse(cases[i].text, strlen(cases[i].text), &m);
        if (rc != cases[i].rc)
            fail_msg("case %zu: %d, expected %d", i, rc, cases[i].rc);
        if (rc == PL_OK)
            upload_meta_fini(&m);
    }
    struct upload_meta m;
    assert_int_equal(upload_meta_parse(HEAD OWNER "size 3\0\ntype text/plain\ntime 5\nname x\n",
                                       sizeof(HEAD OWNER "size 3\0\ntype text/plain\ntime 5\n"
                                                   "name x\n") - 1, &m),
                     PL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
