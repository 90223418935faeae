/* SPDX-License-Identifier: MIT */
/* XEP-0082 DateTime stamps: written in UTC with microseconds, read strictly. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "datetime.h"

void datetime_format(long long ts_us, char *out, size_t len)
{
    time_t secs = (time_t)(ts_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts_us % 1000000);
}

/* Reads exactly n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* Fraction of a second after the '.', as microseconds (extra digits are cut). */
static bool fraction(const char **p, long long *us)
{
    long long scale = 100000;
    *us = 0;
    if (!isdigit((unsigned char)**p))
        return false;
    for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
        *us += scale ? (**p - '0') * scale : 0;
    return true;
}

/* "Z" or "+hh:mm"/"-hh:mm", as seconds east of UTC. */
static bool zone(const char **p, long *off)
{
    int h, m;
    *off = 0;
    if (expect(p, 'Z'))
        return true;
    int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0;
    if (!sign)
        return false;
    (*p)++;
    if (!digits(p, 2, &h) || !expect(p, ':') || !digits(p, 2, &m) || h > 23 || m > 59)
        return false;
    *off = sign * (h * 3600L + m * 60L);
    return true;
}

int datetime_parse(const char *text, long long *ts_us)
{
    const char *p = text;
    int y, mo, d, h, mi, s;
    long long us = 0;
    long off;
    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) || !expect(&p, ':') ||
        !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &s))
        return PL_EINVAL;
    if ((*p == '.' && (++p, !fraction(&p, &us))) || !zone(&p, &off) || *p)
        return PL_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return PL_EINVAL;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = s };
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 31 April rolls over: not a date */
        return PL_EINVAL;
    *ts_us = ((long long)t - off) * 1000000 + us;
    return PL_OK;
}
