/* SPDX-License-Identifier: MIT */
/* Tests of XEP-0082 stamps (xmpp/datetime.c): what parses, to what, and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base.h"
#include "datetime.h"

struct stamp_case {
    const char *text;
    int rc;
    long long us;
};

static const struct stamp_case cases[] = {
    { "1970-01-01T00:00:00Z", PL_OK, 0 },
    { "2020-02-29T12:34:56Z", PL_OK, 1582979696000000LL },
    { "2020-02-29T12:34:56.5Z", PL_OK, 1582979696500000LL },
    { "2020-02-29T12:34:56.123456789Z", PL_OK, 1582979696123456LL },
    { "2020-02-29T14:34:56+02:00", PL_OK, 1582979696000000LL },
    { "2020-02-29T10:04:56-02:30", PL_OK, 1582979696000000LL },
    { "2021-02-29T00:00:00Z", PL_EINVAL, 0 },  /* not a leap year */
    { "2020-04-31T00:00:00Z", PL_EINVAL, 0 },
    { "2020-13-01T00:00:00Z", PL_EINVAL, 0 },
    { "2020-01-01T24:00:00Z", PL_EINVAL, 0 },
    { "2020-01-01T00:00:00", PL_EINVAL, 0 },    /* a zone is required */
    { "2020-01-01T00:00:00+25:00", PL_EINVAL, 0 },
    { "2020-01-01T00:00:00.Z", PL_EINVAL, 0 },
    { "2020-01-01 00:00:00Z", PL_EINVAL, 0 },
    { "2020-1-01T00:00:00Z", PL_EINVAL, 0 },
    { "2020-01-01T00:00:00Zjunk", PL_EINVAL, 0 },
    { "", PL_EINVAL, 0 },
    { "yesterday", PL_EINVAL, 0 },
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        long long us = -1;
        int rc = datetime_parse(cases[i].text, &us);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].text, rc, cases[i].rc);
        if (rc == PL_OK && us != cases[i].us)
            fail_msg("%s: %lld, want %lld", cases[i].text, us, cases[i].us);
    }
}

/* What datetime_format writes parses back to the same microsecond. */
static void test_round_trip(void **state)
{
    (void)state;
    const long long values[] = { 0, 1, 999999, 1582979696123456LL, 4102444799999999LL };
    char text[40];
    for (size_t i = 0; i < ARRAY_LEN(values); i++) {
        long long back = -1;
        datetime_format(values[i], text, sizeof(text));
        assert_int_equal(datetime_parse(text, &back), PL_OK);
        assert_int_equal(back, values[i]);
    }
    datetime_format(1582979696000001LL, text, sizeof(text));
    assert_string_equal(text, "2020-02-29T12:34:56.000001Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
