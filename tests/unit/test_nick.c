/* SPDX-License-Identifier: MIT */
/* Tests of nickname preparation (xmpp/nick.c): RFC 8266 cases, lengths, the ASCII fast path
 * against the libidn path, and idempotence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nick.h"

#define LEN_OF_STRLEN ((size_t)-1) /* a case whose input length is strlen(in) */

/* One input; out and key are NULL when status is a refusal. */
struct nick_case {
    const char *in;
    size_t n;
    int status;
    const char *out, *key;
};

static const struct nick_case cases[] = {
    /* ASCII: case kept in out, folded in the key; symbols and punctuation are fine. */
    { "juliet", LEN_OF_STRLEN, PREP_OK, "juliet", "juliet" },
    { "Juliet", LEN_OF_STRLEN, PREP_OK, "Juliet", "juliet" },
    { "JULIET", LEN_OF_STRLEN, PREP_OK, "JULIET", "juliet" },
    { "Juliet Capulet", LEN_OF_STRLEN, PREP_OK, "Juliet Capulet", "juliet capulet" },
    { "a@b/c", LEN_OF_STRLEN, PREP_OK, "a@b/c", "a@b/c" },
    { "<&'\"~>", LEN_OF_STRLEN, PREP_OK, "<&'\"~>", "<&'\"~>" },
    /* RFC 8266 §2.2: spaces trimmed at both ends and collapsed inside. */
    { "  Juliet  ", LEN_OF_STRLEN, PREP_OK, "Juliet", "juliet" },
    { " St   Peter ", LEN_OF_STRLEN, PREP_OK, "St Peter", "st peter" },
    /* ... after non-ASCII spaces became U+0020: U+00A0, U+3000, U+1680, U+2003, U+202F. */
    { "Juliet\xc2\xa0" "Capulet", LEN_OF_STRLEN, PREP_OK, "Juliet Capulet", "juliet capulet" },
    { "\xe3\x80\x80Juliet\xe3\x80\x80 \xe3\x80\x80" "Capulet\xe3\x80\x80", LEN_OF_STRLEN,
      PREP_OK, "Juliet Capulet", "juliet capulet" },
    { "a\xe1\x9a\x80" "b\xe2\x80\x83" "c\xe2\x80\xaf" "d", LEN_OF_STRLEN, PREP_OK, "a b c d",
      "a b c d" },
    /* NFKC: fullwidth letters, the "fi" ligature; case folding beyond ASCII. */
    { "\xef\xbd\x8a\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x85\xef\xbd\x94", LEN_OF_STRLEN,
      PREP_OK, "juliet", "juliet" },
    { "\xef\xbc\xaa\xef\xbc\xb5\xef\xbc\xac\xef\xbc\xa9\xef\xbc\xa5\xef\xbc\xb4", LEN_OF_STRLEN,
      PREP_OK, "JULIET", "juliet" },
    { "\xef\xac\x81sh", LEN_OF_STRLEN, PREP_OK, "fish", "fish" },
    { "Stra\xc3\x9f" "e", LEN_OF_STRLEN, PREP_OK, "Stra\xc3\x9f" "e", "strasse" },
    { "\xc3\x89" "cole", LEN_OF_STRLEN, PREP_OK, "\xc3\x89" "cole", "\xc3\xa9" "cole" },
    { "E\xcc\x81" "cole", LEN_OF_STRLEN, PREP_OK, "\xc3\x89" "cole", "\xc3\xa9" "cole" },
    /* NFKC can add a space (U+00A8 is U+0020 U+0308): it is squeezed like any other. */
    { "a \xc2\xa8", LEN_OF_STRLEN, PREP_OK, "a \xcc\x88", "a \xcc\x88" },
    { " \xc2\xa8 ", LEN_OF_STRLEN, PREP_OK, "\xcc\x88", "\xcc\x88" },
    /* Invisible code points (RFC 3454 B.1) are dropped. */
    { "Jul\xc2\xad" "iet", LEN_OF_STRLEN, PREP_OK, "Juliet", "juliet" },
    { "Juliet\xe2\x80\x8b", LEN_OF_STRLEN, PREP_OK, "Juliet", "juliet" },
    /* Symbols and emoji (U+265A, U+1F600: unassigned in Unicode 3.2, so not refused). */
    { "\xe2\x99\x9a", LEN_OF_STRLEN, PREP_OK, "\xe2\x99\x9a", "\xe2\x99\x9a" },
    { "\xf0\x9f\x98\x80 Juliet", LEN_OF_STRLEN, PREP_OK, "\xf0\x9f\x98\x80 Juliet",
      "\xf0\x9f\x98\x80 juliet" },
    /* Right-to-left: alone it is fine, mixed with left-to-right or ending weak it is not. */
    { "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", LEN_OF_STRLEN, PREP_OK,
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d" },
    { "\xd7\xa9\xd7\x9c \xd7\x95\xd7\x9d", LEN_OF_STRLEN, PREP_OK,
      "\xd7\xa9\xd7\x9c \xd7\x95\xd7\x9d", "\xd7\xa9\xd7\x9c \xd7\x95\xd7\x9d" },
    { "\xd7\xa9" "a", LEN_OF_STRLEN, PREP_EBIDI, NULL, NULL },
    { "Juliet \xd7\xa9", LEN_OF_STRLEN, PREP_EBIDI, NULL, NULL },
    { "\xd7\xa9\xd7\x9c 1", LEN_OF_STRLEN, PREP_EBIDI, NULL, NULL },
    /* Empty, or empty once spaces and invisible code points are gone. */
    { "", LEN_OF_STRLEN, PREP_EEMPTY, NULL, NULL },
    { "   ", LEN_OF_STRLEN, PREP_EEMPTY, NULL, NULL },
    { "\xc2\xa0\xe3\x80\x80 ", LEN_OF_STRLEN, PREP_EEMPTY, NULL, NULL },
    { "\xc2\xad", LEN_OF_STRLEN, PREP_EEMPTY, NULL, NULL },
    /* Controls (C.2.1, C.2.2), private use, non-characters, C.6 to C.9. */
    { "a\x01", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },
    { "\x7f", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },
    { "Juliet\tCapulet", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },
    { "  \x1b  ", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },
    { "a\xc2\x85", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },          /* U+0085 */
    { "a\xe2\x80\xa8" "b", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },  /* U+2028 */
    { "\xee\x80\x80", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },       /* U+E000 */
    { "a\xef\xbf\xbf", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },      /* U+FFFF */
    { "a\xef\xbf\xbd", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },      /* U+FFFD */
    { "a\xe2\xbf\xb0" "b", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },  /* U+2FF0 */
    { "a\xe2\x80\x8e", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },      /* U+200E */
    { "a\xf3\xa0\x80\x81", LEN_OF_STRLEN, PREP_EPROHIBITED, NULL, NULL },  /* U+E0001 */
    /* Not UTF-8, or a NUL inside. */
    { "\xff", LEN_OF_STRLEN, PREP_EUTF8, NULL, NULL },
    { "Juliet\xc3", LEN_OF_STRLEN, PREP_EUTF8, NULL, NULL },
    { "\xc0\x80", LEN_OF_STRLEN, PREP_EUTF8, NULL, NULL },                 /* overlong NUL */
    { "\xed\xa0\x80", LEN_OF_STRLEN, PREP_EUTF8, NULL, NULL },             /* a surrogate */
    { "\xf4\x90\x80\x80", LEN_OF_STRLEN, PREP_EUTF8, NULL, NULL },         /* past U+10FFFF */
    { "a\0b", 3, PREP_EUTF8, NULL, NULL },
    { "\x01\0", 2, PREP_EUTF8, NULL, NULL },
    { "\xc3\xa9\0", 3, PREP_EUTF8, NULL, NULL },
};

static size_t case_len(const struct nick_case *c)
{
    return c->n == LEN_OF_STRLEN ? strlen(c->in) : c->n;
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[NICK_MAX + 1], key[NICK_MAX + 1];
        size_t len = 0, key_len = 0;
        int st = nick_prepare(cases[i].in, case_len(&cases[i]), out, &len, key, &key_len);
        if (st != cases[i].status)
            fail_msg("case %zu: status %d, expected %d", i, st, cases[i].status);
        if (st != PREP_OK)
            continue;
        if (strcmp(out, cases[i].out) != 0 || strcmp(key, cases[i].key) != 0)
            fail_msg("case %zu: \"%s\" / \"%s\", expected \"%s\" / \"%s\"", i, out, key,
                     cases[i].out, cases[i].key);
        assert_int_equal(len, strlen(out));
        assert_int_equal(key_len, strlen(key));
    }
}

/* Preparing what came out changes nothing, and the result is a resourcepart as it stands. */
static void test_prepared_is_stable(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].status != PREP_OK)
            continue;
        char out[NICK_MAX + 1], key[NICK_MAX + 1], res[PREP_MAX + 1];
        size_t len, key_len, res_len;
        assert_int_equal(nick_prepare(cases[i].out, strlen(cases[i].out), out, &len, key,
                                      &key_len), PREP_OK);
        assert_string_equal(out, cases[i].out);
        assert_string_equal(key, cases[i].key);
        assert_int_equal(nick_prepare(cases[i].key, strlen(cases[i].key), out, &len, key,
                                      &key_len), PREP_OK);
        assert_string_equal(out, cases[i].key);
        assert_string_equal(key, cases[i].key);
        assert_int_equal(prep_resource(cases[i].out, strlen(cases[i].out), PREP_QUERY, res,
                                       &res_len), PREP_OK);
        assert_string_equal(res, cases[i].out);
    }
}

/* One result of nick_prepare, for comparing two paths. */
struct result {
    int status;
    char out[NICK_MAX + 1], key[NICK_MAX + 1];
};

static void prepare_into(const char *s, size_t n, struct result *r)
{
    size_t len, key_len;
    r->status = nick_prepare(s, n, r->out, &len, r->key, &key_len);
    if (r->status != PREP_OK)
        r->out[0] = r->key[0] = '\0'; /* unspecified after a refusal */
}

/*
 * s through the fast path, and with a soft hyphen (dropped by B.1) put before, inside and after
 * it, which sends the same nickname through libidn.
 */
static void agree_on(const char *s)
{
    size_t n = strlen(s);
    struct result fast, slow;
    prepare_into(s, n, &fast);
    const size_t ats[] = { 0, n / 2, n };
    for (size_t i = 0; i < sizeof(ats) / sizeof(ats[0]); i++) {
        size_t at = ats[i];
        char in[64];
        snprintf(in, sizeof(in), "%.*s\xc2\xad%s", (int)at, s, s + at);
        prepare_into(in, strlen(in), &slow);
        if (slow.status != fast.status || strcmp(slow.out, fast.out) != 0 ||
            strcmp(slow.key, fast.key) != 0)
            fail_msg("\"%s\": fast path %d \"%s\" / \"%s\", libidn %d \"%s\" / \"%s\"", s,
                     fast.status, fast.out, fast.key, slow.status, slow.out, slow.key);
    }
}

/* Every ASCII code point alone, between letters and among spaces. */
static void test_ascii_fast_path_agrees_with_libidn(void **state)
{
    (void)state;
    for (int c = 1; c < 128; c++) {
        char alone[2] = { (char)c, 0 }, between[4] = { 'x', (char)c, 'Y', 0 };
        char spaced[8] = { ' ', ' ', 'M', (char)c, ' ', ' ', 'z', 0 };
        char edges[6] = { (char)c, ' ', 'Q', ' ', (char)c, 0 };
        agree_on(alone);
        agree_on(between);
        agree_on(spaced);
        agree_on(edges);
    }
    agree_on("");
    agree_on("   ");
    agree_on("  Juliet   Capulet ");
}

static void fill_repeated(char *buf, const char *unit, size_t times)
{
    size_t k = strlen(unit);
    for (size_t i = 0; i < times; i++)
        memcpy(buf + i * k, unit, k);
    buf[times * k] = '\0';
}

/* One input built of unit repeated times, between prefix and suffix, and its expected result. */
static void check_length(const char *prefix, const char *unit, size_t times, const char *suffix,
                         int status, size_t want_len)
{
    static char in[8 * NICK_MAX];
    char out[NICK_MAX + 1], key[NICK_MAX + 1];
    size_t len = 0, key_len = 0, p = strlen(prefix);
    memcpy(in, prefix, p);
    fill_repeated(in + p, unit, times);
    strcat(in, suffix);
    int st = nick_prepare(in, strlen(in), out, &len, key, &key_len);
    if (st != status)
        fail_msg("%zu x \"%s\": status %d, expected %d", times, unit, st, status);
    if (st == PREP_OK && (len != want_len || strlen(out) != len || strlen(key) != key_len))
        fail_msg("%zu x \"%s\": length %zu, expected %zu", times, unit, len, want_len);
}

/* The longest nickname is written whole, to its last byte, through both paths. */
static void test_longest_content(void **state)
{
    (void)state;
    static const char *const prefixes[] = { "  ", "\xc2\xad " };
    char in[NICK_MAX + 8], want[NICK_MAX + 1], out[NICK_MAX + 1], key[NICK_MAX + 1];
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t len = 0, key_len = 0, p = strlen(prefixes[i]);
        memcpy(in, prefixes[i], p);
        memset(in + p, 'Q', NICK_MAX);
        memcpy(in + p + NICK_MAX, "  ", 2);
        assert_int_equal(nick_prepare(in, p + NICK_MAX + 2, out, &len, key, &key_len), PREP_OK);
        assert_int_equal(len, NICK_MAX);
        assert_int_equal(key_len, NICK_MAX);
        memset(want, 'Q', NICK_MAX);
        want[NICK_MAX] = '\0';
        assert_string_equal(out, want);
        memset(want, 'q', NICK_MAX);
        assert_string_equal(key, want);
    }
}

/* Limits apply to the prepared forms, and work is bounded before the library runs. */
static void test_lengths(void **state)
{
    (void)state;
    check_length("", "a", NICK_MAX, "", PREP_OK, NICK_MAX);
    check_length("", "a", NICK_MAX + 1, "", PREP_ETOOLONG, 0);
    check_length("   ", "a", NICK_MAX, "    ", PREP_OK, NICK_MAX); /* trimmed first */
    check_length("", "a ", NICK_MAX / 2, "a", PREP_OK, NICK_MAX);
    check_length("", "a  ", NICK_MAX / 2, "a", PREP_OK, NICK_MAX);    /* collapsed first */
    check_length("", " ", 4 * NICK_MAX - 1, "a", PREP_OK, 1);
    check_length("", " ", 4 * NICK_MAX, "a", PREP_ETOOLONG, 0);       /* input bound */
    check_length("\xc2\xa0", "a", NICK_MAX, "\xe3\x80\x80", PREP_OK, NICK_MAX);
    check_length("", "\xc3\xa9", NICK_MAX / 2, "a", PREP_OK, NICK_MAX);
    check_length("", "\xc3\xa9", NICK_MAX / 2 + 1, "", PREP_ETOOLONG, 0);
    check_length("", "\xc2\xad", 2 * NICK_MAX - 1, "ab", PREP_OK, 2); /* 4092 bytes */
    /* U+FDFA grows to 33 bytes under NFKC: 31 of them fill exactly 1023 bytes. */
    check_length("", "\xef\xb7\xba", 31, "", PREP_OK, NICK_MAX);
    check_length("", "\xef\xb7\xba", 32, "", PREP_ETOOLONG, 0);
    check_length("", "\xef\xb7\xba", 1364, "", PREP_ETOOLONG, 0);    /* past libidn's buffer */
    /* U+1F80 (3 bytes) folds to U+1F00 U+03B9 (5 bytes): the key is the longer form. */
    check_length("", "\xe1\xbe\x80", 204, "", PREP_OK, 612);
    check_length("", "\xe1\xbe\x80", 205, "", PREP_ETOOLONG, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_prepared_is_stable),
        cmocka_unit_test(test_ascii_fast_path_agrees_with_libidn),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_longest_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
