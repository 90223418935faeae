/* SPDX-License-Identifier: MIT */
/* Prepares JID parts and passwords: an ASCII fast path, GNU libidn's stringprep otherwise. */
#include "prep.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stringprep.h>

#include "base.h"

/*
 * Work is bounded before the library runs: an input this long could only fit in PREP_MAX
 * bytes if most of it mapped to nothing, which no honest name or password does.
 */
#define PREP_INPUT_MAX (4 * PREP_MAX)

/* One profile: libidn's tables, and what the same profile does to a pure ASCII string. */
struct profile {
    const Stringprep_profile *lib;
    bool (*ascii_ok)(unsigned char c);
    bool fold; /* A-Z becomes a-z */
};

static bool is_ascii_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Nodeprep prohibits ASCII space and controls (C.1.1, C.2.1) and "&'/:<>@ (RFC 6122 A.5). */
static bool node_ascii_ok(unsigned char c)
{
    switch (c) {
    case ' ': case '"': case '&': case '\'': case '/': case ':': case '<': case '>': case '@':
        return false;
    default:
        return !is_ascii_control(c);
    }
}

/* Nameprep prohibits no ASCII; a domainpart must still not hold what splits or spoofs a JID. */
static bool domain_ascii_ok(unsigned char c)
{
    return c != ' ' && c != '@' && c != '/' && !is_ascii_control(c);
}

/* Resourceprep and SASLprep prohibit ASCII controls (C.2.1) and keep everything else. */
static bool controls_ascii_ok(unsigned char c)
{
    return !is_ascii_control(c);
}

static const struct profile node_profile = { stringprep_xmpp_nodeprep, node_ascii_ok, true };
static const struct profile name_profile = { stringprep_nameprep, domain_ascii_ok, true };
static const struct profile resource_profile = { stringprep_xmpp_resourceprep, controls_ascii_ok,
                                                 false };
static const struct profile sasl_profile = { stringprep_saslprep, controls_ascii_ok, false };

/* True when s[0..n) is shortest-form UTF-8 of scalar values, without NUL. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    for (size_t i = 0; i < n;) {
        size_t len = s[i] == 0 ? 0 : s[i] < 0x80 ? 1 : s[i] < 0xc2 ? 0 : s[i] < 0xe0 ? 2
                   : s[i] < 0xf0 ? 3 : s[i] < 0xf5 ? 4 : 0;
        if (len == 0 || len > n - i)
            return false;
        uint32_t c = len == 1 ? s[i] : s[i] & (0x7fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            c = c << 6 | (s[i + k] & 0x3f);
        }
        if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

int prep_status_of(int rc)
{
    switch (rc) {
    case STRINGPREP_OK: return PREP_OK;
    case STRINGPREP_CONTAINS_UNASSIGNED: return PREP_EUNASSIGNED;
    case STRINGPREP_CONTAINS_PROHIBITED:
    case STRINGPREP_BIDI_CONTAINS_PROHIBITED: return PREP_EPROHIBITED;
    case STRINGPREP_BIDI_BOTH_L_AND_RAL:
    case STRINGPREP_BIDI_LEADTRAIL_NOT_RAL: return PREP_EBIDI;
    case STRINGPREP_TOO_SMALL_BUFFER: return PREP_ETOOLONG;
    case STRINGPREP_MALLOC_ERROR: abort(); /* as xmalloc does */
    default: return PREP_EUTF8;
    }
}

/* The ASCII a profile's output may hold; the library leaves some to the caller (Nameprep). */
static int check_output(const struct profile *p, const char *s, size_t n)
{
    if (n == 0)
        return PREP_EEMPTY;
    if (n > PREP_MAX)
        return PREP_ETOOLONG;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x80 && !p->ascii_ok((unsigned char)s[i]))
            return PREP_EPROHIBITED;
    return PREP_OK;
}

/* The general case: libidn prepares a NUL-terminated copy in place. */
static int prepare_library(const struct profile *p, const char *s, size_t n, enum prep_mode mode,
                           char *out, size_t *len)
{
    if (!utf8_valid((const unsigned char *)s, n))
        return PREP_EUTF8;
    size_t size = (n > PREP_MAX ? n : PREP_MAX) + 1; /* output past PREP_MAX is refused anyway */
    char *buf = xmalloc(size);
    memcpy(buf, s, n);
    buf[n] = '\0';
    int st = prep_status_of(stringprep(buf, size, mode == PREP_STORE ? STRINGPREP_NO_UNASSIGNED : 0,
                                   p->lib));
    size_t m = st == PREP_OK ? strlen(buf) : 0;
    if (st == PREP_OK)
        st = check_output(p, buf, m);
    if (st == PREP_OK) {
        memcpy(out, buf, m + 1);
        *len = m;
    }
    explicit_bzero(buf, size); /* it may be a password */
    free(buf);
    return st;
}

/*
 * Every stanza's JIDs come through here, nearly always in ASCII: for it each profile is a
 * per-character check and at most a case fold (the unit test holds this against libidn for
 * all 128 code points). The first non-ASCII byte hands the whole string to the library.
 */
static int prepare(const struct profile *p, const char *s, size_t n, enum prep_mode mode,
                   char *out, size_t *len)
{
    if (n == 0)
        return PREP_EEMPTY;
    if (n > PREP_INPUT_MAX)
        return PREP_ETOOLONG;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80)
            return prepare_library(p, s, n, mode, out, len);
        if (!p->ascii_ok(c))
            return c == 0 ? PREP_EUTF8 : PREP_EPROHIBITED;
        if (i < PREP_MAX)
            out[i] = (char)(p->fold && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    if (n > PREP_MAX)
        return PREP_ETOOLONG;
    out[n] = '\0';
    *len = n;
    return PREP_OK;
}

int prep_localpart(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len)
{
    return prepare(&node_profile, s, n, mode, out, len);
}

int prep_domain(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len)
{
    return prepare(&name_profile, s, n, mode, out, len);
}

int prep_resource(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len)
{
    return prepare(&resource_profile, s, n, mode, out, len);
}

int prep_password(const char *s, enum prep_mode mode, char **out)
{
    char buf[PREP_MAX + 1];
    size_t len;
    int st = prepare(&sasl_profile, s, strlen(s), mode, buf, &len);
    *out = st == PREP_OK ? xstrndup(buf, len) : NULL;
    explicit_bzero(buf, sizeof buf);
    return st;
}

void prep_escape(const char *s, struct buf *out)
{
    size_t n = 0;
    uint32_t *cps = stringprep_utf8_to_ucs4(s, -1, &n);
    for (size_t i = 0; cps && i < n; i++) {
        if (cps[i] >= 0x20 && cps[i] < 0x7f && cps[i] != '\\' && cps[i] != '\'')
            buf_printf(out, "%c", (char)cps[i]);
        else
            buf_printf(out, cps[i] > 0xffff ? "\\U%08X" : "\\u%04X", (unsigned)cps[i]);
    }
    for (const unsigned char *p = (const unsigned char *)s; !cps && *p; p++)
        buf_printf(out, *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02X", *p);
    free(cps);
}

const char *prep_strerror(int status)
{
    switch (status) {
    case PREP_OK: return "ok";
    case PREP_EEMPTY: return "empty once prepared";
    case PREP_EUTF8: return "not valid UTF-8";
    case PREP_EPROHIBITED: return "holds a prohibited character (space, control, symbol)";
    case PREP_EUNASSIGNED: return "holds a code point unassigned in Unicode 3.2";
    case PREP_EBIDI: return "mixes left-to-right and right-to-left text";
    case PREP_ETOOLONG: return "longer than 1023 bytes once prepared";
    default: return "unknown preparation error";
    }
}
