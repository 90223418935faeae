/* SPDX-License-Identifier: MIT */
/* Log-linear latency histogram: exact below 256, then 128 sub-buckets per power of two. */
#include "hist.h"

#include <string.h>

/*
 * Layout: row 0 holds 0..127 and row 1 holds 128..255, both one value per bucket; row r >= 2
 * holds [2^(r+6), 2^(r+7)) in 128 buckets of width 2^(r-1). A bucket is thus never wider than
 * 1/128 of its lowest value, which is where the < 1% precision comes from.
 */
#define SUB_COUNT (UINT64_C(1) << HIST_SUB_BITS)
#define LINEAR_TOP (2 * SUB_COUNT)
#define VALUE_TOP ((UINT64_C(1) << (HIST_MAGNITUDES + HIST_SUB_BITS)) - 1)

static size_t bucket_of(uint64_t value)
{
    if (value > VALUE_TOP)
        value = VALUE_TOP;
    if (value < LINEAR_TOP)
        return (size_t)value;
    /* shift >= 1 here; value >> shift lands in [SUB_COUNT, 2 * SUB_COUNT). */
    unsigned shift = (unsigned)(63 - __builtin_clzll(value)) - HIST_SUB_BITS;
    return ((size_t)shift << HIST_SUB_BITS) + (size_t)(value >> shift);
}

/* The highest value that falls into bucket i. */
static uint64_t bucket_high(size_t i)
{
    if (i < LINEAR_TOP)
        return i;
    unsigned shift = (unsigned)(i >> HIST_SUB_BITS) - 1;
    uint64_t sub = (i & (SUB_COUNT - 1)) + SUB_COUNT;
    return (sub << shift) + (UINT64_C(1) << shift) - 1;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t value)
{
    if (value > VALUE_TOP)
        value = VALUE_TOP;
    h->counts[bucket_of(value)]++;
    if (h->total == 0 || value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    h->total++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->total == 0)
        return;
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
}

/* The 1-based rank of percentile p among total values, kept within 1..total. */
static uint64_t rank_of(double p, uint64_t total)
{
    if (!(p > 0))
        return 1;
    if (p >= 100)
        return total;
    double x = p * (double)total / 100.0;
    uint64_t rank = (uint64_t)x;
    /* Round up, but p such as 99.9 is inexact in binary: a hair above an integer is that one. */
    if ((double)rank < x - 1e-9)
        rank++;
    return rank < 1 ? 1 : rank > total ? total : rank;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = rank_of(p, h->total);
    uint64_t seen = 0;
    size_t i = 0;
    for (; i < HIST_BUCKETS - 1; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    uint64_t high = bucket_high(i);
    return high < h->max ? high : h->max;
}
