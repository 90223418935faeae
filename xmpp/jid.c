/* SPDX-License-Identifier: MIT */
/* Parses, validates and prepares JIDs (RFC 7622) into one allocation per JID. */
#include "jid.h"

#include <arpa/inet.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base.h"

enum part_kind { PART_LOCAL, PART_DOMAIN, PART_RESOURCE, PART_COUNT };

/* Raw input slices of the three parts; p is NULL for an absent local or resource. */
struct slices {
    const char *p[PART_COUNT];
    size_t n[PART_COUNT];
};

/*
 * Case-folding of non-ASCII needs Unicode tables; the process locale may be "C", so the folding
 * uses its own C.UTF-8 locale, opened once. Without it non-ASCII letters are kept as given.
 */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void open_utf8_locale(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t get_utf8_locale(void)
{
    pthread_once(&utf8_locale_once, open_utf8_locale);
    return utf8_locale;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 when it is not shortest-form UTF-8. */
static size_t decode_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t len = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3
               : s[0] < 0xf5 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t c = len == 1 ? s[0] : s[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Encodes a code point (already known valid) into out; returns its length. */
static size_t encode_utf8(uint32_t c, unsigned char *out)
{
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xc0 | c >> 6);
        out[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xe0 | c >> 12);
        out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | c >> 18);
    out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

/* C0 controls, DEL and C1 controls. */
static bool is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* strchr on an ASCII set; guarded so a wide code point is never truncated into a match. */
static bool in_ascii_set(uint32_t c, const char *set)
{
    return c != 0 && c < 0x80 && strchr(set, (int)c) != NULL;
}

static bool is_space(uint32_t c, locale_t loc)
{
    return c == ' ' || (loc && iswspace_l((wint_t)c, loc));
}

static bool check_cp(enum part_kind kind, uint32_t c, locale_t loc)
{
    if (is_control(c))
        return false;
    switch (kind) {
    case PART_LOCAL: return !is_space(c, loc) && !in_ascii_set(c, "\"&'/:<>@");
    case PART_DOMAIN: return !is_space(c, loc) && !in_ascii_set(c, "@/");
    default: return true;
    }
}

static uint32_t fold_cp(uint32_t c, locale_t loc)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    return loc ? (uint32_t)towlower_l((wint_t)c, loc) : c;
}

/*
 * Validates one part and writes its prepared form to dst (when not NULL, no NUL added).
 * Stores the prepared length in *outlen: RFC 7622 limits apply after preparation, and
 * folding may change the byte length. Returns false on invalid UTF-8 or a forbidden char.
 */
static bool prepare_part(enum part_kind kind, const char *s, size_t n, char *dst, size_t *outlen)
{
    locale_t loc = get_utf8_locale();
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = decode_utf8(p + i, n - i, &c);
        if (len == 0 || !check_cp(kind, c, loc))
            return false;
        i += len;
        if (kind != PART_RESOURCE)
            c = fold_cp(c, loc);
        unsigned char tmp[4];
        size_t w = encode_utf8(c, tmp);
        if (dst)
            memcpy(dst + o, tmp, w);
        o += w;
    }
    *outlen = o;
    return true;
}

/* An IP literal is "[IPv6]"; anything else is dot-separated non-empty labels without ':[]'. */
static bool check_domain_shape(const char *s, size_t n)
{
    if (n > 0 && s[0] == '[') {
        char addr[INET6_ADDRSTRLEN];
        struct in6_addr a;
        if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof addr)
            return false;
        memcpy(addr, s + 1, n - 2);
        addr[n - 2] = '\0';
        return inet_pton(AF_INET6, addr, &a) == 1;
    }
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':' || s[i] == '[' || s[i] == ']' || (i > 0 && s[i] == '.' && s[i - 1] == '.'))
            return false;
    }
    return true;
}

/* Checks every present part and fills its prepared length; strips a domain's trailing dot. */
static bool measure_parts(struct slices *in, size_t len[PART_COUNT])
{
    if (!in->p[PART_DOMAIN])
        return false;
    if (in->n[PART_DOMAIN] > 1 && in->p[PART_DOMAIN][in->n[PART_DOMAIN] - 1] == '.')
        in->n[PART_DOMAIN]--; /* "example.com." names the same host as "example.com" */
    if (!check_domain_shape(in->p[PART_DOMAIN], in->n[PART_DOMAIN]))
        return false;
    for (int k = 0; k < PART_COUNT; k++) {
        len[k] = 0;
        if (!in->p[k])
            continue;
        if (!prepare_part((enum part_kind)k, in->p[k], in->n[k], NULL, &len[k]))
            return false;
        if (len[k] == 0 || len[k] > JID_PART_MAX)
            return false;
    }
    return true;
}

/* Writes "bare/resource\0" at w; the resource is kept as given. */
static void write_full(struct jid *j, char *w, size_t bare_len, const char *res, size_t res_len)
{
    memcpy(w, j->bare, bare_len);
    w[bare_len] = '/';
    memcpy(w + bare_len + 1, res, res_len);
    w[bare_len + 1 + res_len] = '\0';
    j->full = w;
    j->resource = w + bare_len + 1;
}

/*
 * Lays out "local\0" "local@domain\0" "local@domain/resource\0" in mem: domain points into the
 * tail of bare, resource into the tail of full, and full is bare when there is no resource.
 */
static struct jid *build_jid(struct slices *in)
{
    size_t len[PART_COUNT];
    if (!measure_parts(in, len))
        return NULL;
    bool has_local = in->p[PART_LOCAL] != NULL, has_res = in->p[PART_RESOURCE] != NULL;
    size_t local_sz = has_local ? len[PART_LOCAL] + 1 : 0;
    size_t bare_len = local_sz + len[PART_DOMAIN];
    size_t full_sz = has_res ? bare_len + 1 + len[PART_RESOURCE] + 1 : 0;
    struct jid *j = xmalloc(sizeof *j + local_sz + bare_len + 1 + full_sz);
    char *w = j->mem;

    j->local = NULL;
    if (has_local) {
        prepare_part(PART_LOCAL, in->p[PART_LOCAL], in->n[PART_LOCAL], w, &len[PART_LOCAL]);
        w[len[PART_LOCAL]] = '\0';
        j->local = w;
        w += local_sz;
        memcpy(w, j->local, len[PART_LOCAL]);
        w[len[PART_LOCAL]] = '@';
    }
    j->bare = w;
    j->domain = w + local_sz;
    prepare_part(PART_DOMAIN, in->p[PART_DOMAIN], in->n[PART_DOMAIN], w + local_sz,
                 &len[PART_DOMAIN]);
    w[bare_len] = '\0';
    j->full = j->bare;
    j->resource = NULL;
    if (has_res)
        write_full(j, w + bare_len + 1, bare_len, in->p[PART_RESOURCE], len[PART_RESOURCE]);
    return j;
}

struct jid *jid_parse(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    const char *slash = memchr(s, '/', n);
    size_t head = slash ? (size_t)(slash - s) : n;
    const char *at = memrchr(s, '@', head);
    struct slices in = { { NULL, NULL, NULL }, { 0, 0, 0 } };

    if (at) {
        in.p[PART_LOCAL] = s;
        in.n[PART_LOCAL] = (size_t)(at - s);
    }
    in.p[PART_DOMAIN] = at ? at + 1 : s;
    in.n[PART_DOMAIN] = (size_t)(s + head - in.p[PART_DOMAIN]);
    if (slash) {
        in.p[PART_RESOURCE] = slash + 1;
        in.n[PART_RESOURCE] = n - head - 1;
    }
    return build_jid(&in);
}

struct jid *jid_make(const char *local, const char *domain, const char *resource)
{
    struct slices in = {
        { local, domain, resource },
        { local ? strlen(local) : 0, domain ? strlen(domain) : 0, resource ? strlen(resource) : 0 },
    };
    return build_jid(&in);
}

static const char *relocate(const char *p, const struct jid *from, struct jid *to)
{
    return p ? to->mem + (p - from->mem) : NULL;
}

struct jid *jid_dup(const struct jid *j)
{
    const char *last = j->resource ? j->resource : j->domain;
    size_t size = (size_t)(last - j->mem) + strlen(last) + 1;
    struct jid *c = xmalloc(sizeof *c + size);
    memcpy(c->mem, j->mem, size);
    c->local = relocate(j->local, j, c);
    c->domain = relocate(j->domain, j, c);
    c->resource = relocate(j->resource, j, c);
    c->bare = relocate(j->bare, j, c);
    c->full = relocate(j->full, j, c);
    return c;
}

struct jid *jid_with_resource(const struct jid *j, const char *resource)
{
    /* Preparation is idempotent, so the prepared local and domain go through it unchanged. */
    return jid_make(j->local, j->domain, resource);
}

void jid_free(struct jid *j)
{
    free(j);
}

bool jid_eq_bare(const struct jid *a, const struct jid *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a->bare, b->bare) == 0;
}

bool jid_eq_full(const struct jid *a, const struct jid *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a->full, b->full) == 0;
}

static bool part_valid(enum part_kind kind, const char *s, size_t n)
{
    size_t len;
    return s && prepare_part(kind, s, n, NULL, &len) && len > 0 && len <= JID_PART_MAX;
}

bool jid_local_valid(const char *s, size_t n)
{
    return part_valid(PART_LOCAL, s, n);
}

bool jid_resource_valid(const char *s, size_t n)
{
    return part_valid(PART_RESOURCE, s, n);
}
