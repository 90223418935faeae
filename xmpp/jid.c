/* SPDX-License-Identifier: MIT */
/* Parses, validates and prepares JIDs (RFC 7622) into one allocation per JID. */
#include "jid.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "prep.h"

enum part_kind { PART_LOCAL, PART_DOMAIN, PART_RESOURCE, PART_COUNT };

/* Raw input slices of the three parts; p is NULL for an absent local or resource. */
struct slices {
    const char *p[PART_COUNT];
    size_t n[PART_COUNT];
};

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

/* Each part's preparer: Nodeprep, Nameprep, Resourceprep. */
static int (*const part_preps[PART_COUNT])(const char *, size_t, enum prep_mode, char *,
                                           size_t *) = { prep_localpart, prep_domain,
                                                         prep_resource };

/* Prepared parts, each NUL-terminated; the length stays 0 for an absent local or resource. */
struct prepared {
    char part[PART_COUNT][PREP_MAX + 1];
    size_t len[PART_COUNT];
};

/* Prepares every present part (RFC 7622 limits apply to the result) and checks the domain. */
static bool prepare_parts(struct slices *in, struct prepared *out)
{
    if (!in->p[PART_DOMAIN])
        return false;
    if (in->n[PART_DOMAIN] > 1 && in->p[PART_DOMAIN][in->n[PART_DOMAIN] - 1] == '.')
        in->n[PART_DOMAIN]--; /* "example.com." names the same host; stripped before all else */
    for (int k = 0; k < PART_COUNT; k++) {
        out->len[k] = 0;
        if (in->p[k] && part_preps[k](in->p[k], in->n[k], PREP_QUERY, out->part[k],
                                      &out->len[k]) != PREP_OK)
            return false;
    }
    return check_domain_shape(out->part[PART_DOMAIN], out->len[PART_DOMAIN]);
}

/* Writes "bare/resource\0" at w. */
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
    struct prepared pp;
    if (!prepare_parts(in, &pp))
        return NULL;
    bool has_local = in->p[PART_LOCAL] != NULL, has_res = in->p[PART_RESOURCE] != NULL;
    size_t local_sz = has_local ? pp.len[PART_LOCAL] + 1 : 0;
    size_t bare_len = local_sz + pp.len[PART_DOMAIN];
    size_t full_sz = has_res ? bare_len + 1 + pp.len[PART_RESOURCE] + 1 : 0;
    struct jid *j = xmalloc(sizeof *j + local_sz + bare_len + 1 + full_sz);
    char *w = j->mem;

    j->local = NULL;
    if (has_local) {
        memcpy(w, pp.part[PART_LOCAL], local_sz); /* with its NUL */
        j->local = w;
        w += local_sz;
        memcpy(w, j->local, pp.len[PART_LOCAL]);
        w[pp.len[PART_LOCAL]] = '@';
    }
    j->bare = w;
    j->domain = w + local_sz;
    memcpy(w + local_sz, pp.part[PART_DOMAIN], pp.len[PART_DOMAIN] + 1);
    j->full = j->bare;
    j->resource = NULL;
    if (has_res)
        write_full(j, w + bare_len + 1, bare_len, pp.part[PART_RESOURCE], pp.len[PART_RESOURCE]);
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
    char out[PREP_MAX + 1];
    size_t len;
    return s && part_preps[kind](s, n, PREP_QUERY, out, &len) == PREP_OK;
}

bool jid_local_valid(const char *s, size_t n)
{
    return part_valid(PART_LOCAL, s, n);
}

bool jid_resource_valid(const char *s, size_t n)
{
    return part_valid(PART_RESOURCE, s, n);
}

bool jid_listed(const char *list, const char *bare)
{
    size_t n = strlen(bare);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (len == n && strncmp(p, bare, n) == 0)
            return true;
        p += len;
    }
    return false;
}
