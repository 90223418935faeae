/* SPDX-License-Identifier: MIT */
/* Table-driven tests of open-loop pacing, stepped load and its parser (bench/rate.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "rate.h"

#define SEC UINT64_C(1000000)
#define MS UINT64_C(1000)

/* A fake microsecond clock that moves in irregular steps (xorshift64, fixed seed). */
struct fake_clock {
    uint64_t now_us;
    uint64_t seed;
};

/* Advances by 0 .. max_step_us, never past end_us; returns the new time. */
static uint64_t clock_tick(struct fake_clock *c, uint64_t max_step_us, uint64_t end_us)
{
    c->seed ^= c->seed << 13;
    c->seed ^= c->seed >> 7;
    c->seed ^= c->seed << 17;
    uint64_t step = c->seed % (max_step_us + 1);
    c->now_us = end_us - c->now_us < step ? end_us : c->now_us + step;
    return c->now_us;
}

struct constant_case {
    double per_second;
    uint64_t seconds;
    uint64_t max_step_us; /* the caller's calls come 0 .. this far apart */
};

static const struct constant_case constant_cases[] = {
    { 1000, 10, 5 * MS },   { 1, 60, 300 * MS },    { 20000, 5, 1 * MS },
    { 123.4, 7, 20 * MS },  { 0.5, 30, 100 * MS },  { 0.01, 500, 2 * SEC },
    { 0, 10, 50 * MS },     { 1e6, 2, 100 },        { 333.333, 9, 7 * MS },
    { 50000, 3, 10 * MS },  { 7, 100, 1 * SEC },    { 2.5, 4, 3 },
};

/* Open loop: the sends so far are never ahead of rate * t and never a whole send behind. */
static void check_on_pace(const struct constant_case *c, uint64_t sent, uint64_t t_us)
{
    double want = c->per_second * (double)t_us / 1e6;
    if ((double)sent > want + 1e-6 || (double)sent < want - 1 - 1e-6)
        fail_msg("rate %g at %llu us: %llu sent, %g due", c->per_second,
                 (unsigned long long)t_us, (unsigned long long)sent, want);
}

static void test_constant_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(constant_cases); i++) {
        const struct constant_case *c = &constant_cases[i];
        uint64_t start = 1000 * SEC + i, end = start + c->seconds * SEC;
        struct fake_clock clk = { start, 0x9e3779b97f4a7c15u + i };
        struct rate r;
        rate_init(&r, c->per_second, 1000000, start);
        uint64_t sent = 0;
        while (clk.now_us < end) {
            uint64_t now = clock_tick(&clk, c->max_step_us, end);
            sent += rate_due(&r, now);
            check_on_pace(c, sent, now - start);
        }
        double want = c->per_second * (double)c->seconds;
        if ((double)sent > want + 1 || (double)sent < want - 1)
            fail_msg("rate %g for %llu s: %llu sent", c->per_second,
                     (unsigned long long)c->seconds, (unsigned long long)sent);
        assert_int_equal(r.behind, 0);
    }
}

/* Time sliced into equal steps whose credit does not add up exactly in binary (0.1 * 10). */
struct on_time_case {
    double per_second;
    uint64_t step_us;
    unsigned steps;
    unsigned want; /* exactly per_second * step_us * steps / 1e6, a whole number */
};

static const struct on_time_case on_time_cases[] = {
    { 1, 100 * MS, 10, 1 },   { 10, 10 * MS, 10, 1 },  { 1, 100 * MS, 30, 3 },
    { 0.1, 1 * SEC, 10, 1 },  { 3, 100 * MS, 10, 3 },  { 1000, 100, 1000, 100 },
    { 0.7, 100 * MS, 100, 7 }, { 1, 1, 1000000, 1 },
};

/* A whole send falls due at its exact instant, not one call late. */
static void test_on_time_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(on_time_cases); i++) {
        const struct on_time_case *c = &on_time_cases[i];
        struct rate r;
        rate_init(&r, c->per_second, 1000, 0);
        unsigned sent = 0;
        for (unsigned k = 1; k <= c->steps; k++)
            sent += rate_due(&r, k * c->step_us);
        if (sent != c->want)
            fail_msg("rate %g, %u steps of %llu us: %u sent, want %u", c->per_second, c->steps,
                     (unsigned long long)c->step_us, sent, c->want);
    }
}

/* A scripted call: rate_set when set is true, else rate_due; then the expected counters. */
struct op {
    uint64_t at_us;
    bool set;
    double per_second; /* for set */
    unsigned want_due; /* for rate_due */
    uint64_t want_behind;
};

#define DUE(t, n, b) { (t), false, 0, (n), (b) }
#define SET(t, r, b) { (t), true, (r), 0, (b) }

struct script_case {
    const char *name;
    double per_second;
    unsigned max_burst;
    struct op ops[10]; /* ends at at_us == 0 */
};

static const struct script_case script_cases[] = {
    { "half per second", 0.5, 10,
      { DUE(1 * SEC, 0, 0), DUE(1999 * MS, 0, 0), DUE(2 * SEC, 1, 0), DUE(3 * SEC, 0, 0),
        DUE(3999 * MS, 0, 0), DUE(4 * SEC, 1, 0), DUE(10 * SEC, 3, 0), DUE(11 * SEC, 0, 0),
        DUE(12 * SEC, 1, 0) } },
    { "zero rate", 0, 10,
      { DUE(1 * SEC, 0, 0), DUE(3600 * SEC, 0, 0), DUE(UINT64_MAX, 0, 0) } },
    { "faster mid-way", 10, 1000,
      { DUE(1 * SEC, 10, 0), SET(2 * SEC, 100, 0), DUE(2 * SEC, 10, 0), DUE(3 * SEC, 100, 0),
        DUE(3500 * MS, 50, 0) } },
    { "set keeps credit", 1, 10,
      { DUE(600 * MS, 0, 0), SET(600 * MS, 0, 0), DUE(10 * SEC, 0, 0), SET(10 * SEC, 1, 0),
        DUE(10399 * MS, 0, 0), DUE(10400 * MS, 1, 0), DUE(11400 * MS, 1, 0) } },
    { "stopped mid-way", 100, 1000,
      { SET(1500 * MS, 0, 0), DUE(1 * SEC + 1500 * MS, 150, 0), DUE(100 * SEC, 0, 0) } },
    { "stall capped", 1000, 50,
      { DUE(10 * MS, 10, 0), DUE(10 * SEC + 10 * MS, 50, 9950), DUE(10 * SEC + 11 * MS, 1, 9950),
        DUE(10 * SEC + 61 * MS, 50, 9950), DUE(10 * SEC + 200 * MS, 50, 10039) } },
    { "burst of zero", 1000, 0,
      { DUE(1 * SEC, 0, 1000), DUE(2 * SEC, 0, 2000) } },
    { "clock steps back", 10, 100,
      { DUE(1 * SEC, 10, 0), DUE(500 * MS, 0, 0), DUE(1 * SEC, 0, 0), DUE(1100 * MS, 1, 0) } },
    { "bad rate is zero", -5, 100,
      { DUE(10 * SEC, 0, 0), SET(10 * SEC, INFINITY, 0), DUE(20 * SEC, 0, 0),
        SET(20 * SEC, NAN, 0), DUE(30 * SEC, 0, 0) } },
};

static void test_script_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(script_cases); i++) {
        const struct script_case *c = &script_cases[i];
        struct rate r;
        rate_init(&r, c->per_second, c->max_burst, 0);
        for (const struct op *o = c->ops; o->at_us != 0; o++) {
            unsigned due = 0;
            if (o->set)
                rate_set(&r, o->per_second, o->at_us);
            else
                due = rate_due(&r, o->at_us);
            if (due != o->want_due || r.behind != o->want_behind)
                fail_msg("%s, op %zu: due %u behind %llu, want %u and %llu", c->name,
                         (size_t)(o - c->ops), due, (unsigned long long)r.behind, o->want_due,
                         (unsigned long long)o->want_behind);
        }
    }
}

/* After a long stall the caller gets max_burst at once, then the plain rate again. */
static void test_stall_then_steady(void **state)
{
    (void)state;
    struct rate r;
    rate_init(&r, 2000, 100, 0);
    assert_int_equal(rate_due(&r, 60 * SEC), 100);
    assert_int_equal(r.behind, 120000 - 100);
    uint64_t sent = 0;
    for (uint64_t t = 60 * SEC + MS; t <= 61 * SEC; t += MS)
        sent += rate_due(&r, t);
    assert_int_equal(sent, 2000);
    assert_int_equal(r.behind, 120000 - 100);
}

struct index_case {
    uint64_t now_us;
    size_t want;
};

static const double three_rates[] = { 100, 200, 300 };

static const struct index_case index_cases[] = {
    { 0, 0 },
    { 5 * SEC - 1, 0 },
    { 5 * SEC, 0 },
    { 6 * SEC - 1, 0 },
    { 6 * SEC, 1 },
    { 6 * SEC + 1, 1 },
    { 7 * SEC, 2 },
    { 8 * SEC - 1, 2 },
    { 8 * SEC, 3 },
    { 100 * SEC, 3 },
    { UINT64_MAX, 3 },
};

static void test_steps_index_table(void **state)
{
    (void)state;
    struct steps s = { three_rates, ARRAY_LEN(three_rates), 1 * SEC, 5 * SEC };
    for (size_t i = 0; i < ARRAY_LEN(index_cases); i++) {
        size_t got = steps_index(&s, index_cases[i].now_us);
        if (got != index_cases[i].want)
            fail_msg("at %llu us: step %zu, want %zu", (unsigned long long)index_cases[i].now_us,
                     got, index_cases[i].want);
    }
    struct steps none = { three_rates, 0, 1 * SEC, 0 };
    assert_int_equal(steps_index(&none, 0), 0);
    assert_int_equal(steps_index(&none, 10 * SEC), 0);
    struct steps instant = { three_rates, 3, 0, 5 * SEC };
    assert_int_equal(steps_index(&instant, 5 * SEC), 3);
    assert_int_equal(steps_index(&instant, 4 * SEC), 0);
}

struct parse_case {
    const char *text;
    size_t n; /* 0: must be refused */
    double rates[4];
};

static const struct parse_case parse_cases[] = {
    { "1000,5000,20000", 3, { 1000, 5000, 20000 } },
    { "1e3", 1, { 1000 } },
    { "1000", 1, { 1000 } },
    { " 1000 , 5000 ,20000 ", 3, { 1000, 5000, 20000 } },
    { "0.5,2.5e1,1E2", 3, { 0.5, 25, 100 } },
    { "0", 1, { 0 } },
    { "0,10,0", 3, { 0, 10, 0 } },
    { "1,\t2", 2, { 1, 2 } },
    { "", 0, { 0 } },
    { " ", 0, { 0 } },
    { ",", 0, { 0 } },
    { "1,,2", 0, { 0 } },
    { "1000,", 0, { 0 } },
    { "1000, ", 0, { 0 } },
    { ",1000", 0, { 0 } },
    { "-5", 0, { 0 } },
    { "1,-2", 0, { 0 } },
    { "abc", 0, { 0 } },
    { "5x", 0, { 0 } },
    { "1 2", 0, { 0 } },
    { "1;2", 0, { 0 } },
    { "nan", 0, { 0 } },
    { "inf", 0, { 0 } },
    { "1e999", 0, { 0 } },
};

static void test_steps_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        double sentinel, *rates = &sentinel; /* must be overwritten either way */
        size_t n = steps_parse(c->text, &rates);
        if (n != c->n)
            fail_msg("\"%s\": %zu rates, want %zu", c->text, n, c->n);
        if (n == 0)
            assert_null(rates);
        for (size_t j = 0; j < n; j++)
            assert_true(rates[j] == c->rates[j]);
        free(rates);
    }
    double sentinel, *rates = &sentinel;
    assert_int_equal(steps_parse(NULL, &rates), 0);
    assert_null(rates);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_table),    cmocka_unit_test(test_on_time_table),
        cmocka_unit_test(test_script_table),
        cmocka_unit_test(test_stall_then_steady), cmocka_unit_test(test_steps_index_table),
        cmocka_unit_test(test_steps_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
