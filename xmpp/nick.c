/* SPDX-License-Identifier: MIT */
/* Prepares occupant nicknames (RFC 8266): an ASCII fast path, GNU libidn's stringprep otherwise. */
#include "nick.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stringprep.h>

#include "base.h"

/* As in prep.c: work is bounded before the library runs. */
#define NICK_INPUT_MAX (4 * NICK_MAX)

/*
 * Code points libidn may hold while it works. The input has at most NICK_INPUT_MAX of them and
 * only NFKC makes it longer; spaces are collapsed before NFKC and each space NFKC adds comes
 * with a mark (U+00A8 gives U+0020 U+0308), so a result that outgrows this buffer keeps over
 * NICK_MAX code points and would be refused as too long anyway.
 */
#define NICK_UCS4_CAP (NICK_INPUT_MAX + 1)

/* Most steps in one of the profiles below, with its terminator. */
#define NICK_PROFILE_MAX 16

/*
 * RFC 8266 §2.2 maps every non-ASCII space (Unicode Zs) to U+0020. U+200B, a space in Unicode
 * 3.2 but no longer Zs, is left to B.1, which drops it. libidn searches start..end: both set.
 */
static const Stringprep_table_element space_map[] = {
    { 0x00a0, 0x00a0, { 0x20 } }, { 0x1680, 0x1680, { 0x20 } }, { 0x2000, 0x2000, { 0x20 } },
    { 0x2001, 0x2001, { 0x20 } }, { 0x2002, 0x2002, { 0x20 } }, { 0x2003, 0x2003, { 0x20 } },
    { 0x2004, 0x2004, { 0x20 } }, { 0x2005, 0x2005, { 0x20 } }, { 0x2006, 0x2006, { 0x20 } },
    { 0x2007, 0x2007, { 0x20 } }, { 0x2008, 0x2008, { 0x20 } }, { 0x2009, 0x2009, { 0x20 } },
    { 0x200a, 0x200a, { 0x20 } }, { 0x202f, 0x202f, { 0x20 } }, { 0x205f, 0x205f, { 0x20 } },
    { 0x3000, 0x3000, { 0x20 } }, { 0 },
};

/*
 * Invisible code points (soft hyphen, zero-width space and joiners, variation selectors) are
 * dropped as Resourceprep drops them, so "Jul<U+00AD>iet" cannot pass for a second "Juliet".
 */
static const Stringprep_profile map_profile[] = {
    { .operation = STRINGPREP_MAP_TABLE, .table = space_map },
    { .operation = STRINGPREP_MAP_TABLE, .table = stringprep_rfc3454_B_1 },
    { 0 },
};

static const Stringprep_profile nfkc_profile[] = {
    { .operation = STRINGPREP_NFKC },
    { 0 },
};

/*
 * FreeformClass (RFC 8264 §4.3) as RFC 3454 tables. RFC 8266 has no directionality rule, but a
 * nickname is the resourcepart of an occupant JID, which Resourceprep holds to RFC 3454 §6.
 */
static const Stringprep_profile check_profile[] = {
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_2_1 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_2_2 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_3 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_4 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_5 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_6 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_7 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_8 },
    { .operation = STRINGPREP_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_9 },
    { .operation = STRINGPREP_BIDI },
    { .operation = STRINGPREP_BIDI_PROHIBIT_TABLE, .table = stringprep_rfc3454_C_8 },
    { .operation = STRINGPREP_BIDI_RAL_TABLE, .table = stringprep_rfc3454_D_1 },
    { .operation = STRINGPREP_BIDI_L_TABLE, .table = stringprep_rfc3454_D_2 },
    { 0 },
};

/* RFC 8266 §2.4: the comparison form is case-mapped (B.2 is case folding meant for NFKC). */
static const Stringprep_profile fold_profile[] = {
    { .operation = STRINGPREP_MAP_TABLE, .table = stringprep_rfc3454_B_2 },
    { .operation = STRINGPREP_NFKC },
    { 0 },
};

_Static_assert(ARRAY_LEN(check_profile) <= NICK_PROFILE_MAX, "raise NICK_PROFILE_MAX");

static size_t table_len(const Stringprep_table_element *t)
{
    size_t n = 0;
    while (t && (t[n].start || t[n].end))
        n++;
    return n;
}

/*
 * libidn (1.33 on) binary-searches each table over table_size entries, which it does not
 * export; a copy of the profile gets them counted on each call. That is a few thousand
 * comparisons, small next to NFKC, and keeps this file free of a mutable cache.
 */
static int run_profile(const Stringprep_profile *profile, uint32_t *cps, size_t *count)
{
    Stringprep_profile sized[NICK_PROFILE_MAX];
    size_t i = 0;
    do {
        sized[i] = profile[i];
        sized[i].table_size = table_len(profile[i].table);
    } while (profile[i++].operation);
    return prep_status_of(stringprep_4i(cps, count, NICK_UCS4_CAP, 0, sized));
}

/* RFC 8266 §2.2 b and c: no space at either end, never two in a row. */
static void squeeze_spaces(uint32_t *cps, size_t *count)
{
    size_t m = 0;
    for (size_t i = 0; i < *count; i++)
        if (cps[i] != ' ' || (m > 0 && cps[m - 1] != ' '))
            cps[m++] = cps[i];
    if (m > 0 && cps[m - 1] == ' ')
        m--;
    *count = m;
}

/*
 * RFC 8266 §2.3 in its order: map, trim and collapse spaces, NFKC, then the checks. Spaces are
 * squeezed again after NFKC, which can add some, so that preparing the result changes nothing.
 */
static int enforce(uint32_t *cps, size_t *count)
{
    int st = run_profile(map_profile, cps, count);
    if (st != PREP_OK)
        return st;
    squeeze_spaces(cps, count);
    if (*count == 0)
        return PREP_EEMPTY; /* only spaces and invisible code points */
    st = run_profile(nfkc_profile, cps, count);
    if (st != PREP_OK)
        return st;
    squeeze_spaces(cps, count);
    return run_profile(check_profile, cps, count);
}

/* The comparison form of an enforced nickname, checked again so the key holds what out holds. */
static int fold(uint32_t *cps, size_t *count)
{
    int st = run_profile(fold_profile, cps, count);
    if (st != PREP_OK)
        return st;
    squeeze_spaces(cps, count);
    return run_profile(check_profile, cps, count);
}

/* UTF-8 of cps[0..count) into out, which has room for NICK_MAX + 1 bytes. */
static int encode(const uint32_t *cps, size_t count, char *out, size_t *len)
{
    if (count == 0)
        return PREP_EEMPTY;
    size_t m = 0;
    for (size_t i = 0; i < count; i++) {
        char seq[8];
        size_t k = (size_t)stringprep_unichar_to_utf8(cps[i], seq);
        if (m + k > NICK_MAX)
            return PREP_ETOOLONG;
        memcpy(out + m, seq, k);
        m += k;
    }
    out[m] = '\0';
    *len = m;
    return PREP_OK;
}

/* The general case, on UCS-4 in one buffer that libidn rewrites in place. */
static int prepare_library(const char *s, size_t n, char *out, size_t *len, char *key,
                           size_t *key_len)
{
    size_t count = 0;
    uint32_t *cps = stringprep_utf8_to_ucs4(s, (ssize_t)n, &count); /* NULL unless UTF-8 */
    if (!cps)
        return PREP_EUTF8;
    cps = xrealloc(cps, NICK_UCS4_CAP * sizeof(*cps));
    int st = enforce(cps, &count);
    if (st == PREP_OK)
        st = encode(cps, count, out, len);
    if (st == PREP_OK)
        st = fold(cps, &count);
    if (st == PREP_OK)
        st = encode(cps, count, key, key_len);
    free(cps);
    return st;
}

/*
 * Printable ASCII is its own NFKC, holds no space but U+0020, nothing B.1 drops, no
 * right-to-left letter, and folds by A-Z alone; of the checks only ASCII controls (C.2.1) apply.
 * Nothing is written past out[NICK_MAX - 1] while the rest is still checked for controls.
 */
static int prepare_ascii(const char *s, size_t n, char *out, size_t *len, char *key,
                         size_t *key_len)
{
    size_t m = 0;
    bool after_space = true; /* drops leading spaces */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return PREP_EPROHIBITED;
        if (c == ' ' && after_space)
            continue;
        after_space = c == ' ';
        if (m < NICK_MAX) {
            out[m] = (char)c;
            key[m] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        m++;
    }
    if (m > 0 && after_space)
        m--; /* one trailing space */
    if (m == 0)
        return PREP_EEMPTY;
    if (m > NICK_MAX)
        return PREP_ETOOLONG;
    out[m] = key[m] = '\0';
    *len = *key_len = m;
    return PREP_OK;
}

/* Room joins and nickname changes are nearly always ASCII: the first other byte goes to libidn. */
int nick_prepare(const char *s, size_t n, char *out, size_t *len, char *key_out, size_t *key_len)
{
    if (n == 0)
        return PREP_EEMPTY;
    if (n > NICK_INPUT_MAX)
        return PREP_ETOOLONG;
    if (memchr(s, '\0', n))
        return PREP_EUTF8;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return prepare_library(s, n, out, len, key_out, key_len);
    return prepare_ascii(s, n, out, len, key_out, key_len);
}
