/* SPDX-License-Identifier: MIT */
/* Latency histogram with HDR-style log-linear buckets: fixed memory, ~1% value precision. */
#ifndef PB_HIST_H
#define PB_HIST_H

#include <stdint.h>

/*
 * Values are microseconds, exact up to 255, then within 1/128; the range is 0 .. 2^37 - 1
 * (about 38 hours) and larger values are recorded as 2^37 - 1.
 */
#define HIST_SUB_BITS 7 /* 128 linear sub-buckets per power of two: < 1% relative error */
#define HIST_MAGNITUDES 30
#define HIST_BUCKETS ((HIST_MAGNITUDES + 1) << HIST_SUB_BITS)

/* Caller's storage; hist_init before use. min and max are 0 while total is 0. */
struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t min, max;
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t value);
/* Adds src's counts to dst (and widens dst's min and max); src is unchanged. */
void hist_merge(struct hist *dst, const struct hist *src);
/*
 * The value at percentile p (0 < p <= 100): the highest value of the bucket holding that
 * rank, clamped to the recorded max. 0 when the histogram is empty. Never below the true value
 * at that rank and less than 1% above it; p <= 0 acts as the lowest rank, p >= 100 as the max.
 */
uint64_t hist_percentile(const struct hist *h, double p);

#endif
