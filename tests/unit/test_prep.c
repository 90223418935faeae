/* SPDX-License-Identifier: MIT */
/* Tests of string preparation (xmpp/prep.c): ASCII fast path against libidn, passwords,
 * escaping for display. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stringprep.h>

#include "prep.h"

/* The JID part preparers, each with the libidn profile its fast path must agree with. */
static const struct {
    const char *name;
    int (*fn)(const char *, size_t, enum prep_mode, char *, size_t *);
    const Stringprep_profile *lib;
} parts[] = {
    { "localpart", prep_localpart, stringprep_xmpp_nodeprep },
    { "domain", prep_domain, stringprep_nameprep },
    { "resource", prep_resource, stringprep_xmpp_resourceprep },
};

/* What prep_domain refuses on top of Nameprep, which prohibits no ASCII at all. */
static bool domain_extra_refusal(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == ' ' || c == '@' || c == '/';
}

/* One ASCII string through the fast path and through libidn, in one mode. */
static void agree_on(size_t p, const char *s, enum prep_mode mode)
{
    char fast[PREP_MAX + 1], lib[64];
    size_t len = 0;
    int st = parts[p].fn(s, strlen(s), mode, fast, &len);
    strcpy(lib, s);
    int rc = stringprep(lib, sizeof lib, mode == PREP_STORE ? STRINGPREP_NO_UNASSIGNED : 0,
                        parts[p].lib);
    if (rc == STRINGPREP_OK && st == PREP_OK) {
        if (strcmp(fast, lib) != 0 || len != strlen(lib))
            fail_msg("%s \"%s\": fast path gives \"%s\", libidn \"%s\"", parts[p].name, s, fast,
                     lib);
        return;
    }
    /* Nameprep prohibits no ASCII: prep_domain's own refusals are the one allowed difference. */
    bool extra = false;
    for (const char *c = s; p == 1 && *c; c++)
        extra = extra || domain_extra_refusal((unsigned char)*c);
    if (rc == STRINGPREP_OK && extra) {
        assert_int_equal(st, PREP_EPROHIBITED);
        return;
    }
    if ((rc == STRINGPREP_OK) != (st == PREP_OK))
        fail_msg("%s \"%s\" (0x%02x): fast path %d, libidn %d", parts[p].name, s,
                 (unsigned char)s[strlen(s) > 1 ? 1 : 0], st, rc);
}

/* Every ASCII code point, alone and between letters, for every part and both modes. */
static void test_ascii_fast_path_agrees_with_libidn(void **state)
{
    (void)state;
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        char out[PREP_MAX + 1];
        size_t len;
        assert_int_not_equal(parts[p].fn("a\0b", 3, PREP_QUERY, out, &len), PREP_OK);
        for (int c = 1; c < 128; c++) {
            char alone[2] = { (char)c, 0 }, between[4] = { 'x', (char)c, 'Y', 0 };
            for (int m = PREP_QUERY; m <= PREP_STORE; m++) {
                agree_on(p, alone, (enum prep_mode)m);
                agree_on(p, between, (enum prep_mode)m);
            }
        }
    }
}

/* The SASLprep fast path against libidn for every ASCII code point. */
static void test_ascii_password_agrees_with_libidn(void **state)
{
    (void)state;
    for (int c = 1; c < 128; c++) {
        char s[4] = { 'p', (char)c, 'W', 0 }, lib[16];
        char *out = NULL;
        int st = prep_password(s, PREP_STORE, &out);
        strcpy(lib, s);
        int rc = stringprep(lib, sizeof lib, STRINGPREP_NO_UNASSIGNED, stringprep_saslprep);
        assert_int_equal(st == PREP_OK, rc == STRINGPREP_OK);
        if (out)
            assert_string_equal(out, lib);
        free(out);
    }
}

static const struct {
    const char *in;
    enum prep_mode mode;
    int status;
    const char *out;
} password_cases[] = {
    { "pencil", PREP_STORE, PREP_OK, "pencil" },
    { "Pencil Case", PREP_STORE, PREP_OK, "Pencil Case" },  /* case and ASCII space are kept */
    { "I\xc2\xad" "X", PREP_STORE, PREP_OK, "IX" },          /* RFC 4013 §3: soft hyphen */
    { "\xc2\xaa", PREP_STORE, PREP_OK, "a" },                /* RFC 4013 §3: NFKC */
    { "\xe2\x85\xa8", PREP_STORE, PREP_OK, "IX" },           /* RFC 4013 §3: NFKC */
    { "a\xc2\xa0" "b", PREP_STORE, PREP_OK, "a b" },         /* no-break space to space */
    { "\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93", PREP_STORE, PREP_OK, "pass" },
    { "b\xc3\xb3" "b", PREP_STORE, PREP_OK, "b\xc3\xb3" "b" },
    { "bo\xcc\x81" "b", PREP_STORE, PREP_OK, "b\xc3\xb3" "b" }, /* NFD to NFC */
    { "\x07", PREP_STORE, PREP_EPROHIBITED, NULL },         /* RFC 4013 §3: control */
    { "pass\tword", PREP_QUERY, PREP_EPROHIBITED, NULL },
    { "\xd8\xa7" "1", PREP_STORE, PREP_EBIDI, NULL },        /* RFC 4013 §3: bidi */
    { "", PREP_QUERY, PREP_EEMPTY, NULL },
    { "\xc2\xad", PREP_QUERY, PREP_EEMPTY, NULL },
    { "\xff" "abc", PREP_QUERY, PREP_EUTF8, NULL },
    { "x\xf0\x9f\x98\x80", PREP_STORE, PREP_EUNASSIGNED, NULL }, /* unassigned in 3.2 */
    { "x\xf0\x9f\x98\x80", PREP_QUERY, PREP_OK, "x\xf0\x9f\x98\x80" },
};

static void test_password_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof password_cases / sizeof password_cases[0]; i++) {
        char *out = (char *)"untouched";
        int st = prep_password(password_cases[i].in, password_cases[i].mode, &out);
        if (st != password_cases[i].status)
            fail_msg("password case %zu: status %d, expected %d", i, st,
                     password_cases[i].status);
        if (password_cases[i].out)
            assert_string_equal(out, password_cases[i].out);
        else
            assert_null(out);
        free(out);
    }
}

/* Limits apply to the prepared form, and work is bounded before the library runs. */
static void test_lengths_after_preparation(void **state)
{
    (void)state;
    char in[5000], out[PREP_MAX + 1];
    size_t len = 0;
    /* U+FDFA expands to 33 bytes under NFKC: 31 of them fill exactly 1023 bytes. */
    for (int n = 31; n <= 32; n++) {
        for (int i = 0; i < n; i++)
            memcpy(in + 3 * i, "\xef\xb7\xba", 3);
        int st = prep_resource(in, (size_t)(3 * n), PREP_QUERY, out, &len);
        assert_int_equal(st, n == 31 ? PREP_OK : PREP_ETOOLONG);
        if (st == PREP_OK)
            assert_int_equal(len, 1023);
    }
    /* 1,300 zero-width spaces and one letter (3,901 bytes) prepare to "a"; 1,400 are refused
     * before preparation. */
    for (int n = 1300; n <= 1400; n += 100) {
        for (int i = 0; i < n; i++)
            memcpy(in + 3 * i, "\xe2\x80\x8b", 3);
        in[3 * n] = 'A';
        int st = prep_localpart(in, (size_t)(3 * n + 1), PREP_QUERY, out, &len);
        assert_int_equal(st, n == 1300 ? PREP_OK : PREP_ETOOLONG);
        if (st == PREP_OK)
            assert_string_equal(out, "a");
    }
    memset(in, 'p', 1024);
    in[1024] = '\0';
    char *pw = NULL;
    assert_int_equal(prep_password(in, PREP_QUERY, &pw), PREP_ETOOLONG);
    in[1023] = '\0';
    assert_int_equal(prep_password(in, PREP_QUERY, &pw), PREP_OK);
    assert_int_equal(strlen(pw), 1023);
    free(pw);
}

static void test_escape_table(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "", "" },
        { "alice@localhost", "alice@localhost" },
        { "o'b\\c", "o\\u0027b\\u005Cc" },
        { "tab\tend", "tab\\u0009end" },
        { "b\xc3\xb3" "b", "b\\u00F3b" },              /* U+00F3 */
        { "bob\xe2\x80\x8b", "bob\\u200B" },           /* zero-width space */
        { "\xf0\x9f\x98\x80!", "\\U0001F600!" },        /* past the BMP */
        { "a\xff'b", "a\\xFF'b" },                      /* not UTF-8: byte by byte */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "[");
        prep_escape(cases[i].in, &b);
        buf_puts(&b, "]");
        char want[64];
        snprintf(want, sizeof(want), "[%s]", cases[i].out);
        if (strcmp(b.data, want) != 0)
            fail_msg("case %zu: got %s, want %s", i, b.data, want);
        buf_fini(&b);
    }
}

static void test_strerror(void **state)
{
    (void)state;
    for (int st = PREP_ETOOLONG; st <= PREP_OK; st++)
        assert_non_null(strstr(prep_strerror(st), st == PREP_OK ? "ok" : ""));
    assert_string_equal(prep_strerror(-100), "unknown preparation error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_fast_path_agrees_with_libidn),
        cmocka_unit_test(test_ascii_password_agrees_with_libidn),
        cmocka_unit_test(test_password_table),
        cmocka_unit_test(test_lengths_after_preparation),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
