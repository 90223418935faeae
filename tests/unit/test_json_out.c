/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the bot's streaming JSON writer (bench/json_out.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "json_out.h"

/* Each test writes into a memory stream; teardown frees it even after a failed assertion. */
struct fixture {
    char *data;
    size_t len;
    FILE *f;
    struct json_out j;
};

static void close_stream(struct fixture *fx)
{
    if (fx->f)
        fclose(fx->f);
    free(fx->data);
    fx->f = NULL;
    fx->data = NULL;
}

/* Starts a fresh document in a fresh stream. */
static void restart(struct fixture *fx)
{
    close_stream(fx);
    fx->f = open_memstream(&fx->data, &fx->len);
    assert_non_null(fx->f);
    json_init(&fx->j, fx->f);
}

static int fixture_setup(void **state)
{
    *state = xcalloc(1, sizeof(struct fixture));
    return 0;
}

static int fixture_teardown(void **state)
{
    close_stream(*state);
    free(*state);
    return 0;
}

/* The document written since restart (a memory stream keeps it NUL-terminated). */
static const char *written(struct fixture *fx)
{
    assert_int_equal(fflush(fx->f), 0);
    assert_int_equal(strlen(fx->data), fx->len);
    return fx->data;
}

struct string_case {
    const char *in, *want; /* want includes the quotes */
};

static const struct string_case string_cases[] = {
    { "", "\"\"" },
    { "plain", "\"plain\"" },
    { "say \"hi\"", "\"say \\\"hi\\\"\"" },
    { "C:\\dir\\", "\"C:\\\\dir\\\\\"" },
    { "\\\"", "\"\\\\\\\"\"" },
    { "a\nb", "\"a\\nb\"" },
    { "\t\r\b\f", "\"\\u0009\\u000d\\u0008\\u000c\"" },
    { "\x01\x1f", "\"\\u0001\\u001f\"" },
    { "del\x7f", "\"del\\u007f\"" },
    { " ~/<>'&", "\" ~/<>'&\"" },
    { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },                   /* 2-byte UTF-8 */
    { "\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"" },             /* 3-byte: the euro sign */
    { "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },         /* 4-byte: an emoji */
    { "\xc2\x80\xc2\x9f", "\"\xc2\x80\xc2\x9f\"" },         /* C1 controls stay UTF-8 */
};

static void test_string_escaping(void **state)
{
    struct fixture *fx = *state;
    for (size_t i = 0; i < ARRAY_LEN(string_cases); i++) {
        restart(fx);
        json_string(&fx->j, string_cases[i].in);
        assert_string_equal(written(fx), string_cases[i].want);
        /* Keys are escaped the same way. */
        restart(fx);
        json_begin_object(&fx->j);
        json_kv_uint(&fx->j, string_cases[i].in, 1);
        json_end_object(&fx->j);
        char want[128];
        snprintf(want, sizeof(want), "{%s:1}", string_cases[i].want);
        assert_string_equal(written(fx), want);
    }
}

struct number_case {
    double v;
    const char *want;
};

static const struct number_case number_cases[] = {
    { 0, "0" },          { 1, "1" },           { -2, "-2" },
    { 1.5, "1.5" },      { 0.125, "0.125" },   { 1234567, "1.23457e+06" },
    { 1e300, "1e+300" }, { -1e-7, "-1e-07" },  { 99.5, "99.5" },
    { NAN, "null" },     { INFINITY, "null" }, { -INFINITY, "null" },
};

static void test_numbers(void **state)
{
    struct fixture *fx = *state;
    for (size_t i = 0; i < ARRAY_LEN(number_cases); i++) {
        restart(fx);
        json_number(&fx->j, number_cases[i].v);
        assert_string_equal(written(fx), number_cases[i].want);
    }
    static const struct {
        uint64_t v;
        const char *want;
    } uints[] = { { 0, "0" }, { 42, "42" }, { UINT64_MAX, "18446744073709551615" } };
    for (size_t i = 0; i < ARRAY_LEN(uints); i++) {
        restart(fx);
        json_uint(&fx->j, uints[i].v);
        assert_string_equal(written(fx), uints[i].want);
    }
    restart(fx);
    json_begin_array(&fx->j);
    json_bool(&fx->j, true);
    json_bool(&fx->j, false);
    json_string(&fx->j, NULL);
    json_number(&fx->j, NAN);
    json_end_array(&fx->j);
    assert_string_equal(written(fx), "[true,false,null,null]");
}

/* A document as a list of calls. */
enum op_kind { OP_END, OBJ, END_OBJ, ARR, END_ARR, KEY, STR, NUM, UINT, KV_STR, KV_NUM, KV_UINT };

struct op {
    enum op_kind kind;
    const char *key, *s;
    double v;
};

#define O { .kind = OBJ }
#define EO { .kind = END_OBJ }
#define A { .kind = ARR }
#define EA { .kind = END_ARR }
#define K(k) { .kind = KEY, .key = (k) }
#define S(x) { .kind = STR, .s = (x) }
#define N(x) { .kind = NUM, .v = (x) }
#define U(x) { .kind = UINT, .v = (x) }
#define KVS(k, x) { .kind = KV_STR, .key = (k), .s = (x) }
#define KVN(k, x) { .kind = KV_NUM, .key = (k), .v = (x) }
#define KVU(k, x) { .kind = KV_UINT, .key = (k), .v = (x) }
#define OPS(...) ((const struct op[]){ __VA_ARGS__, { .kind = OP_END } })

struct doc_case {
    const struct op *ops;
    const char *want;
};

static const struct doc_case doc_cases[] = {
    { OPS(O, EO), "{}" },
    { OPS(A, EA), "[]" },
    { OPS(O, KVS("a", NULL), KVN("b", 2.5), KVU("c", 3), KVS("d", "x"), EO),
      "{\"a\":null,\"b\":2.5,\"c\":3,\"d\":\"x\"}" },
    { OPS(A, N(1), S("x"), A, EA, O, EO, S(NULL), EA), "[1,\"x\",[],{},null]" },
    { OPS(O, K("steps"), A, O, KVU("sent", 1), EO, O, KVU("sent", 2), KVU("lost", 0), EO, EA,
          KVS("scenario", "churn"), EO),
      "{\"steps\":[{\"sent\":1},{\"sent\":2,\"lost\":0}],\"scenario\":\"churn\"}" },
    { OPS(O, K("a"), O, K("b"), A, A, U(1), EA, U(2), EA, EO, KVU("c", 3), EO),
      "{\"a\":{\"b\":[[1],2]},\"c\":3}" },
    { OPS(O, K("e"), O, EO, K("f"), A, EA, EO), "{\"e\":{},\"f\":[]}" },
    /* Top-level values in a row are separated too (one per document is the usual use). */
    { OPS(O, EO, A, EA), "{},[]" },
};

static void run_op(struct json_out *j, const struct op *op)
{
    switch (op->kind) {
    case OP_END: break;
    case OBJ: json_begin_object(j); break;
    case END_OBJ: json_end_object(j); break;
    case ARR: json_begin_array(j); break;
    case END_ARR: json_end_array(j); break;
    case KEY: json_key(j, op->key); break;
    case STR: json_string(j, op->s); break;
    case NUM: json_number(j, op->v); break;
    case UINT: json_uint(j, (uint64_t)op->v); break;
    case KV_STR: json_kv_string(j, op->key, op->s); break;
    case KV_NUM: json_kv_number(j, op->key, op->v); break;
    case KV_UINT: json_kv_uint(j, op->key, (uint64_t)op->v); break;
    }
}

static void test_nesting(void **state)
{
    struct fixture *fx = *state;
    for (size_t i = 0; i < ARRAY_LEN(doc_cases); i++) {
        restart(fx);
        for (const struct op *op = doc_cases[i].ops; op->kind != OP_END; op++)
            run_op(&fx->j, op);
        assert_string_equal(written(fx), doc_cases[i].want);
    }
}

/*
 * The deepest nesting the writer tracks, each level a value on both sides of the inner
 * container: "[0,[1,[2,...[14]...,2],1],0]".
 */
static void test_deep_nesting(void **state)
{
    struct fixture *fx = *state;
    const unsigned levels = JSON_MAX_DEPTH - 1;
    char want[256];
    size_t n = 0;
    restart(fx);
    for (unsigned d = 0; d < levels; d++) {
        json_begin_array(&fx->j);
        json_uint(&fx->j, d);
        n += (size_t)snprintf(want + n, sizeof(want) - n, d + 1 < levels ? "[%u," : "[%u", d);
    }
    for (unsigned d = levels; d-- > 0;) {
        json_end_array(&fx->j);
        n += (size_t)snprintf(want + n, sizeof(want) - n, "]");
        if (d > 0) {
            json_uint(&fx->j, d - 1);
            n += (size_t)snprintf(want + n, sizeof(want) - n, ",%u", d - 1);
        }
    }
    assert_string_equal(written(fx), want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_string_escaping, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_numbers, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_nesting, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
