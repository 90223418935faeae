/* SPDX-License-Identifier: MIT */
/* Tests of upload/names.c: file names a slot may carry, percent-encoding both ways (every
 * byte value), sizes, content types and their matching, the inline-or-attachment choice, and
 * the split of /upload/<token>/<name> paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "upload.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

struct name_case {
    const char *name;
    bool ok;
};

static const struct name_case names[] = {
    { "photo.jpg", true },
    { "tr\xc3\xa8s cool.jpg", true },
    { "a", true },
    { "...", true },
    { ".hidden", true },
    { "back\\slash", true },
    { "100%.txt", true },
    { "\xe2\x80\xae" "gpj.exe", true }, /* U+202E is a format character, not a control */
    { "", false },
    { ".", false },
    { "..", false },
    { "a/b", false },
    { "/", false },
    { "tab\there", false },
    { "new\nline", false },
    { "cr\r", false },
    { "\x1f", false },
    { "del\x7f", false },
    { "c1\xc2\x85", false },
    { "c1\xc2\x9f" "end", false },
    { "nbsp\xc2\xa0ok", true }, /* C2 A0 is past the C1 range */
};

static void test_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (upload_name_ok(names[i].name) != names[i].ok)
            fail_msg("name case %zu (\"%s\"): expected %s", i, names[i].name,
                     names[i].ok ? "ok" : "refused");
    char longest[UPLOAD_NAME_MAX + 2];
    memset(longest, 'x', sizeof(longest));
    longest[UPLOAD_NAME_MAX] = '\0';
    assert_true(upload_name_ok(longest));
    longest[UPLOAD_NAME_MAX] = 'x';
    longest[UPLOAD_NAME_MAX + 1] = '\0';
    assert_false(upload_name_ok(longest));
}

struct encode_case {
    const char *in, *out;
};

static const struct encode_case encodings[] = {
    { "photo.jpg", "photo.jpg" },
    { "tr\xc3\xa8s cool.jpg", "tr%C3%A8s%20cool.jpg" },
    { "a-b_c.d~e", "a-b_c.d~e" },
    { "100%", "100%25" },
    { "a?b#c&d=e+f", "a%3Fb%23c%26d%3De%2Bf" },
    { "'\"<>", "%27%22%3C%3E" },
    { "\\", "%5C" },
    { "", "" },
};

static void test_percent_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(encodings); i++) {
        struct buf b;
        buf_init(&b);
        upload_percent_encode(encodings[i].in, &b);
        assert_string_equal(b.data ? b.data : "", encodings[i].out);
        buf_reset(&b);
        assert_true(upload_percent_decode(encodings[i].out, strlen(encodings[i].out), &b));
        assert_string_equal(b.data ? b.data : "", encodings[i].in);
        buf_fini(&b);
    }
}

/* Every byte value but NUL goes through encoding and back unchanged, and only unreserved
 * characters stay unescaped. */
static void test_percent_every_byte(void **state)
{
    (void)state;
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    struct buf enc, dec;
    buf_init(&enc);
    buf_init(&dec);
    upload_percent_encode(all, &enc);
    for (size_t i = 0; i < enc.len; i++)
        assert_non_null(strchr("%0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz-._~", enc.data[i]));
    assert_true(upload_percent_decode(enc.data, enc.len, &dec));
    assert_int_equal(dec.len, 255);
    assert_memory_equal(dec.data, all, 255);
    buf_fini(&enc);
    buf_fini(&dec);
}

struct decode_case {
    const char *in;
    const char *out; /* NULL: refused */
};

static const struct decode_case decodings[] = {
    { "%c3%A8", "\xc3\xa8" },
    { "plain", "plain" },
    { "%2f", "/" }, /* decoded: the caller compares names, it never builds paths from them */
    { "%", NULL },
    { "a%2", NULL },
    { "%zz", NULL },
    { "%g0", NULL },
    { "%00", NULL },
    { "x%0", NULL },
};

static void test_percent_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(decodings); i++) {
        struct buf b;
        buf_init(&b);
        bool ok = upload_percent_decode(decodings[i].in, strlen(decodings[i].in), &b);
        if (ok != (decodings[i].out != NULL))
            fail_msg("decode case %zu (\"%s\"): %s", i, decodings[i].in, ok ? "taken" : "refused");
        if (ok)
            assert_string_equal(b.data, decodings[i].out);
        buf_fini(&b);
    }
    /* counted: bytes past n are never read */
    struct buf b;
    buf_init(&b);
    assert_true(upload_percent_decode("ab%41zz", 5, &b));
    assert_string_equal(b.data, "abA");
    buf_fini(&b);
}

static void test_sizes(void **state)
{
    (void)state;
    long long v = -1;
    assert_true(upload_size_parse("0", 100, &v) && v == 0);
    assert_true(upload_size_parse("100", 100, &v) && v == 100);
    assert_true(upload_size_parse("007", 100, &v) && v == 7);
    assert_true(upload_size_parse("9223372036854775807", INT64_MAX, &v) && v == INT64_MAX);
    const char *bad[] = { NULL, "", "101", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1.0",
                          "9223372036854775808", "99999999999999999999999" };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (upload_size_parse(bad[i], INT64_MAX, &v) && i != 2)
            fail_msg("size case %zu (\"%s\") taken", i, bad[i] ? bad[i] : "NULL");
    assert_false(upload_size_parse("101", 100, &v));
}

struct type_case {
    const char *type;
    bool ok;
    bool inline_shown;
};

static const struct type_case types[] = {
    { "image/png", true, true },
    { "IMAGE/JPEG", true, true },
    { "image/webp", true, true },
    { "audio/ogg; codecs=opus", true, true },
    { "video/mp4", true, true },
    { "text/plain", true, true },
    { "text/plain; charset=utf-8", true, true },
    { "Text/Plain;charset=UTF-8", true, true },
    { "text/html", true, false },
    { "text/html; charset=utf-8", true, false },
    { "application/xhtml+xml", true, false },
    { "image/svg+xml", true, false },
    { "IMAGE/SVG+XML", true, false },
    { "image/svg", true, false },
    { "text/xml", true, false },
    { "application/xml", true, false },
    { "application/javascript", true, false },
    { "text/javascript", true, false },
    { "application/ecmascript", true, false },
    { "application/pdf", true, false },
    { "application/octet-stream", true, false },
    { "text/plainx", true, false },
    { "text/css", true, false },
    { "image/png ; q=1", true, true },
    { "x-unknown/thing", true, false },
    { "", false, false },
    { "image", false, false },
    { "image/", false, false },
    { "/png", false, false },
    { "image/png garbage", false, false },
    { "image/png\r\nSet-Cookie: a=b", false, false },
    { "image/png; name=\"\xc3\xa9\"", false, false },
    { "text/plain;\tcharset=utf-8", false, false },
    { "ima ge/png", false, false },
};

static void test_types(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        if (upload_type_ok(types[i].type) != types[i].ok)
            fail_msg("type case %zu (\"%s\"): expected %s", i, types[i].type,
                     types[i].ok ? "ok" : "refused");
        if (types[i].ok && upload_type_inline(types[i].type) != types[i].inline_shown)
            fail_msg("type case %zu (\"%s\"): expected %s", i, types[i].type,
                     types[i].inline_shown ? "inline" : "attachment");
    }
    char longest[UPLOAD_TYPE_MAX + 2] = "text/";
    memset(longest + 5, 'x', UPLOAD_TYPE_MAX - 5);
    longest[UPLOAD_TYPE_MAX] = '\0';
    assert_true(upload_type_ok(longest));
    strcat(longest, "x");
    assert_false(upload_type_ok(longest));
}

static void test_type_matches(void **state)
{
    (void)state;
    assert_true(upload_type_matches("image/png", "image/png"));
    assert_true(upload_type_matches("image/png", "IMAGE/PNG"));
    assert_true(upload_type_matches("text/plain", "text/plain; charset=utf-8"));
    assert_true(upload_type_matches("text/plain; charset=utf-8", " text/plain ;charset=x"));
    assert_false(upload_type_matches("image/png", "image/pngx"));
    assert_false(upload_type_matches("image/png", "image/pn"));
    assert_false(upload_type_matches("image/png", "text/html"));
    assert_false(upload_type_matches("image/png", ""));
}

struct path_case {
    const char *path;
    const char *name; /* NULL: not an upload path */
};

static const struct path_case paths[] = {
    { "/upload/" TOKEN "/a.txt", "a.txt" },
    { "/upload/" TOKEN "/tr%C3%A8s%20cool.jpg", "tr%C3%A8s%20cool.jpg" },
    { "/upload/" TOKEN "/", NULL },
    { "/upload/" TOKEN, NULL },
    { "/upload/" TOKEN "/a/b", NULL },
    { "/upload/" TOKEN "0/a", NULL },
    { "/upload/0123456789ABCDEF0123456789abcdef/a", NULL },
    { "/upload/0123456789abcdef0123456789abcde/a", NULL },
    { "/upload//a", NULL },
    { "/upload/", NULL },
    { "/uploads/" TOKEN "/a", NULL },
    { "/upload/../" TOKEN "/a", NULL },
};

static void test_paths(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        char token[UPLOAD_TOKEN_LEN + 1] = "";
        const char *name = NULL;
        bool ok = upload_path_split(paths[i].path, token, &name);
        if (ok != (paths[i].name != NULL))
            fail_msg("path case %zu (\"%s\"): %s", i, paths[i].path, ok ? "taken" : "refused");
        if (!ok)
            continue;
        assert_string_equal(token, TOKEN);
        assert_string_equal(name, paths[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),         cmocka_unit_test(test_percent_encode),
        cmocka_unit_test(test_percent_every_byte), cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_sizes),         cmocka_unit_test(test_types),
        cmocka_unit_test(test_type_matches),  cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
