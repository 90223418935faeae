/* SPDX-License-Identifier: MIT */
/* Open-loop pacing on a microsecond clock, stepped load schedules and their parser. */
#include "rate.h"

#include <ctype.h>
#include <float.h>
#include <stdlib.h>

#include "base.h"

/* Above this, credit is no longer a count of sends but a broken clock; see rate_due. */
#define CREDIT_TOP 0x1p63
/*
 * Credit is summed from many small floating-point steps, so an exact whole number of sends can
 * land a hair below it; this slack (a picosecond even at a million sends per second) lets
 * the send fall due on time instead of one call late.
 */
#define CREDIT_SLACK 1e-9

/* Negative, NaN and infinite rates would poison the credit; they mean "no sends". */
static double sane_rate(double per_second)
{
    return per_second > 0 && per_second <= DBL_MAX ? per_second : 0;
}

/* Adds the credit earned since last_us; a clock that steps back earns nothing. */
static void rate_accrue(struct rate *r, uint64_t now_us)
{
    if (now_us <= r->last_us)
        return;
    r->credit += r->per_second * (double)(now_us - r->last_us) / 1e6;
    r->last_us = now_us;
}

void rate_init(struct rate *r, double per_second, unsigned max_burst, uint64_t now_us)
{
    r->per_second = sane_rate(per_second);
    r->credit = 0;
    r->last_us = now_us;
    r->max_burst = max_burst;
    r->behind = 0;
}

void rate_set(struct rate *r, double per_second, uint64_t now_us)
{
    rate_accrue(r, now_us); /* time so far is paid at the old rate */
    r->per_second = sane_rate(per_second);
}

unsigned rate_due(struct rate *r, uint64_t now_us)
{
    rate_accrue(r, now_us);
    uint64_t due;
    if (r->credit + CREDIT_SLACK < CREDIT_TOP) {
        due = (uint64_t)(r->credit + CREDIT_SLACK);
        r->credit -= (double)due; /* keeps the fraction, so slow rates still add up */
    } else {
        due = (uint64_t)CREDIT_TOP;
        r->credit = 0;
    }
    if (due > r->max_burst) {
        r->behind += due - r->max_burst;
        due = r->max_burst;
    }
    return (unsigned)due;
}

size_t steps_index(const struct steps *s, uint64_t now_us)
{
    if (now_us < s->start_us)
        return 0;
    if (s->step_us == 0)
        return s->n;
    uint64_t i = (now_us - s->start_us) / s->step_us;
    return i < s->n ? (size_t)i : s->n;
}

/* Reads one non-negative finite number and the spaces after it; advances *p past them. */
static bool parse_one(const char **p, double *out)
{
    char *end;
    double x = strtod(*p, &end);
    if (end == *p || !(x >= 0 && x <= DBL_MAX))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != ',' && *end != '\0')
        return false;
    *out = x + 0.0; /* turns "-0" into plain 0 */
    *p = end;
    return true;
}

size_t steps_parse(const char *text, double **rates)
{
    *rates = NULL;
    if (text == NULL)
        return 0;
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == ',';
    double *out = xmalloc(cap * sizeof(*out));
    size_t n = 0;
    const char *p = text;
    for (;;) {
        if (!parse_one(&p, &out[n]))
            goto fail;
        n++;
        if (*p == '\0')
            break;
        p++; /* the comma; an empty field after it fails in parse_one */
    }
    *rates = out;
    return n;
fail:
    free(out);
    return 0;
}
