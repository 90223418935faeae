/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the log-linear latency histogram (bench/hist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "hist.h"

/* The largest value the histogram holds apart; anything above is recorded as this. */
#define TOP ((UINT64_C(1) << (HIST_MAGNITUDES + HIST_SUB_BITS)) - 1)

/*
 * Each test gets three histograms (~31 KiB each) from the heap; teardown frees them, so a
 * failing assertion, which jumps out of the test, leaks nothing.
 */
static int hists_setup(void **state)
{
    struct hist *h = xcalloc(3, sizeof(*h));
    for (int i = 0; i < 3; i++)
        hist_init(&h[i]);
    *state = h;
    return 0;
}

static int hists_teardown(void **state)
{
    free(*state);
    return 0;
}

static void record_all(struct hist *h, const uint64_t *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hist_record(h, values[i]);
}

/* The reported value must never be below the true one and at most 1% above it. */
static void assert_close_above(uint64_t got, uint64_t want)
{
    if (got < want || got * 100 > want * 101)
        fail_msg("reported %llu for true value %llu", (unsigned long long)got,
                 (unsigned long long)want);
}

/* With v and a larger value recorded, p50 is v's rank: its bucket alone decides the answer. */
static void check_precision(struct hist *h, uint64_t v)
{
    hist_init(h);
    hist_record(h, v);
    hist_record(h, TOP);
    assert_close_above(hist_percentile(h, 50), v);
}

static const uint64_t precision_cases[] = {
    256, 257, 383, 384, 511, 512, 513, 1000, 1023, 1024, 1025, 4095, 4096, 9999, 65535,
    65536, 65537, 999999, 1000000, 123456789, (UINT64_C(1) << 32) - 1, UINT64_C(1) << 32,
    (UINT64_C(1) << 36) - 1, UINT64_C(1) << 36, TOP - 1,
};

static void test_precision_table(void **state)
{
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(precision_cases); i++)
        check_precision(h, precision_cases[i]);
    /* Every power of two, its neighbours, and a 0.3% geometric sweep over the whole range. */
    for (unsigned b = 8; b < HIST_MAGNITUDES + HIST_SUB_BITS; b++) {
        check_precision(h, (UINT64_C(1) << b) - 1);
        check_precision(h, UINT64_C(1) << b);
        check_precision(h, (UINT64_C(1) << b) + 1);
    }
    for (double v = 256; v < (double)TOP; v *= 1.003)
        check_precision(h, (uint64_t)v);
}

/* The answer is exactly the highest value of the bucket: widths 2, 4, 8, ... past 255. */
static const struct {
    uint64_t value, want;
} bucket_top_cases[] = {
    { 255, 255 },     { 256, 257 },     { 257, 257 },   { 258, 259 },
    { 511, 511 },     { 512, 515 },     { 1000, 1003 }, { 1024, 1031 },
    { 5000, 5023 },   { 65536, 66047 }, { 1000000, 1003519 },
    { TOP - 1, TOP }, { UINT64_C(1) << 36, (UINT64_C(1) << 36) + (UINT64_C(1) << 29) - 1 },
};

static void test_bucket_top_table(void **state)
{
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(bucket_top_cases); i++) {
        hist_init(h);
        hist_record(h, bucket_top_cases[i].value);
        hist_record(h, TOP);
        assert_int_equal(hist_percentile(h, 50), bucket_top_cases[i].want);
    }
}

static void test_small_values_exact(void **state)
{
    struct hist *h = *state;
    for (uint64_t v = 0; v < 256; v++) {
        hist_init(h);
        hist_record(h, v);
        hist_record(h, 1000);
        assert_int_equal(hist_percentile(h, 50), v);
    }
    /* All 256 together: each one is its own rank. */
    hist_init(h);
    for (uint64_t v = 0; v < 256; v++)
        hist_record(h, v);
    for (uint64_t v = 0; v < 256; v++)
        assert_int_equal(hist_percentile(h, (double)(v + 1) * 100.0 / 256.0), v);
}

static void fill_uniform(struct hist *h)
{
    for (uint64_t v = 1; v <= 10000; v++)
        hist_record(h, v);
}

static void fill_constant(struct hist *h)
{
    for (int i = 0; i < 1000; i++)
        hist_record(h, 4242);
}

/* 90% fast answers at 100 us, 10% slow ones at 100 ms. */
static void fill_bimodal(struct hist *h)
{
    for (int i = 0; i < 900; i++)
        hist_record(h, 100);
    for (int i = 0; i < 100; i++)
        hist_record(h, 100000);
}

/* Ten decades, 100 values each: 1, 10, ... 10^9. */
static void fill_decades(struct hist *h)
{
    uint64_t v = 1;
    for (int d = 0; d < 10; d++, v *= 10)
        for (int i = 0; i < 100; i++)
            hist_record(h, v);
}

struct point {
    double p;
    uint64_t want; /* the true value at that rank */
};

struct dist_case {
    const char *name;
    void (*fill)(struct hist *h);
    struct point points[10]; /* ends at p == 0 */
};

static const struct dist_case dist_cases[] = {
    { "uniform 1..10000", fill_uniform,
      /* 0.07 * 10000 / 100 computes to 7.000000000000001: still rank 7, not 8 */
      { { 0.01, 1 }, { 0.07, 7 }, { 1, 100 }, { 25, 2500 }, { 50, 5000 }, { 90, 9000 },
        { 99, 9900 }, { 99.9, 9990 }, { 100, 10000 } } },
    { "constant", fill_constant, { { 0.1, 4242 }, { 50, 4242 }, { 100, 4242 } } },
    { "bimodal", fill_bimodal,
      { { 50, 100 }, { 90, 100 }, { 90.1, 100000 }, { 99, 100000 }, { 100, 100000 } } },
    { "decades", fill_decades,
      { { 10, 1 }, { 10.1, 10 }, { 35, 1000 }, { 50, 10000 }, { 75, 10000000 },
        { 99, 1000000000 }, { 100, 1000000000 } } },
};

static void test_distribution_table(void **state)
{
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(dist_cases); i++) {
        const struct dist_case *c = &dist_cases[i];
        hist_init(h);
        c->fill(h);
        for (const struct point *pt = c->points; pt->p > 0; pt++) {
            uint64_t got = hist_percentile(h, pt->p);
            if (got < pt->want || got * 100 > pt->want * 101)
                fail_msg("%s p%g: got %llu, want %llu", c->name, pt->p,
                         (unsigned long long)got, (unsigned long long)pt->want);
        }
        assert_int_equal(hist_percentile(h, 100), h->max);
    }
}

struct stats_case {
    uint64_t values[6];
    size_t n;
    uint64_t min, max;
};

static const struct stats_case stats_cases[] = {
    { { 7 }, 1, 7, 7 },
    { { 0 }, 1, 0, 0 },
    { { 5, 3, 9 }, 3, 3, 9 },
    { { 1000001, 999, 1000001, 12345 }, 4, 999, 1000001 },
    { { 0, UINT64_C(1) << 36, 17 }, 3, 0, UINT64_C(1) << 36 },
    { { 300, 257, 1023, 1022, 256, 511 }, 6, 256, 1023 },
};

static void test_min_max_total(void **state)
{
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(stats_cases); i++) {
        const struct stats_case *c = &stats_cases[i];
        hist_init(h);
        record_all(h, c->values, c->n);
        assert_int_equal(h->total, c->n);
        assert_int_equal(h->min, c->min);
        assert_int_equal(h->max, c->max);
        /* p100 is exactly the max, even where the max's bucket is wider than one value. */
        assert_int_equal(hist_percentile(h, 100), c->max);
        assert_int_equal(hist_percentile(h, 150), c->max);
        /* The lowest rank, however asked for, is the min's bucket. */
        assert_close_above(hist_percentile(h, 1e-9), c->min);
        assert_close_above(hist_percentile(h, 0), c->min);
        assert_close_above(hist_percentile(h, -5), c->min);
    }
}

static void test_empty(void **state)
{
    static const double ps[] = { -1, 0, 1e-9, 1, 50, 99.99, 100, 1000 };
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(ps); i++)
        assert_int_equal(hist_percentile(h, ps[i]), 0);
    assert_int_equal(h->total, 0);
    assert_int_equal(h->min, 0);
    assert_int_equal(h->max, 0);
}

struct merge_case {
    uint64_t a[4], b[4];
    size_t na, nb;
};

static const struct merge_case merge_cases[] = {
    { { 1, 2, 3 }, { 4, 5 }, 3, 2 },
    { { 0 }, { 0 }, 0, 0 },
    { { 100, 200 }, { 0 }, 2, 0 },
    { { 0 }, { 100, 200 }, 0, 2 },
    { { 5000, 1 }, { 70, 123456789 }, 2, 2 },
    { { 1000000 }, { 2, 3, 999999, UINT64_MAX }, 1, 4 },
};

static const double merge_ps[] = { 1, 10, 25, 50, 75, 90, 99, 100 };

static void test_merge_table(void **state)
{
    struct hist *a = *state, *b = a + 1, *both = a + 2;
    for (size_t i = 0; i < ARRAY_LEN(merge_cases); i++) {
        const struct merge_case *c = &merge_cases[i];
        hist_init(a);
        hist_init(b);
        hist_init(both);
        record_all(a, c->a, c->na);
        record_all(b, c->b, c->nb);
        record_all(both, c->a, c->na);
        record_all(both, c->b, c->nb);
        hist_merge(a, b);
        assert_memory_equal(a->counts, both->counts, sizeof(a->counts));
        assert_int_equal(a->total, both->total);
        assert_int_equal(a->min, both->min);
        assert_int_equal(a->max, both->max);
        for (size_t j = 0; j < ARRAY_LEN(merge_ps); j++)
            assert_int_equal(hist_percentile(a, merge_ps[j]), hist_percentile(both, merge_ps[j]));
        assert_int_equal(b->total, c->nb); /* the source is left alone */
    }
}

static const uint64_t clamp_cases[] = {
    TOP, TOP + 1, UINT64_C(1) << 40, UINT64_C(1) << 63, UINT64_MAX - 1, UINT64_MAX,
};

static void test_clamp_top(void **state)
{
    struct hist *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(clamp_cases); i++) {
        hist_init(h);
        hist_record(h, 10);
        hist_record(h, clamp_cases[i]);
        assert_int_equal(h->counts[HIST_BUCKETS - 1], 1);
        assert_int_equal(h->max, TOP);
        assert_int_equal(hist_percentile(h, 100), TOP);
        assert_int_equal(hist_percentile(h, 50), 10);
    }
    /* Many huge values in the one top bucket, no wrap-around anywhere. */
    hist_init(h);
    for (int i = 0; i < 1000; i++)
        hist_record(h, UINT64_MAX - (uint64_t)i);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 1000);
    assert_int_equal(h->total, 1000);
    assert_int_equal(h->min, TOP);
    assert_int_equal(hist_percentile(h, 1), TOP);
}

#define HIST_TEST(f) cmocka_unit_test_setup_teardown(f, hists_setup, hists_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        HIST_TEST(test_precision_table),    HIST_TEST(test_bucket_top_table),
        HIST_TEST(test_small_values_exact), HIST_TEST(test_distribution_table),
        HIST_TEST(test_min_max_total),      HIST_TEST(test_empty),
        HIST_TEST(test_merge_table),        HIST_TEST(test_clamp_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
