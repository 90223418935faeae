/* SPDX-License-Identifier: MIT */
/* BOSH session creation: a creation request's <body/> attributes checked and negotiated. */
#include <string.h>

#include "base.h"
#include "bosh_int.h"
#include "jid.h"
#include "ns.h"

#define DEFAULT_CONTENT "text/xml; charset=utf-8"
/* What a BCP 47 language tag is made of. */
#define LANG_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

static const char *const condition_names[] = {
    [BOSH_COND_NONE] = NULL,
    [BOSH_BAD_REQUEST] = "bad-request",
    [BOSH_HOST_GONE] = "host-gone",
    [BOSH_HOST_UNKNOWN] = "host-unknown",
    [BOSH_IMPROPER_ADDRESSING] = "improper-addressing",
    [BOSH_INTERNAL_SERVER_ERROR] = "internal-server-error",
    [BOSH_ITEM_NOT_FOUND] = "item-not-found",
    [BOSH_OTHER_REQUEST] = "other-request",
    [BOSH_POLICY_VIOLATION] = "policy-violation",
    [BOSH_REMOTE_CONNECTION_FAILED] = "remote-connection-failed",
    [BOSH_REMOTE_STREAM_ERROR] = "remote-stream-error",
    [BOSH_SEE_OTHER_URI] = "see-other-uri",
    [BOSH_SYSTEM_SHUTDOWN] = "system-shutdown",
    [BOSH_UNDEFINED_CONDITION] = "undefined-condition",
};

const char *bosh_condition_name(enum bosh_condition c)
{
    return (unsigned)c < ARRAY_LEN(condition_names) ? condition_names[c] : NULL;
}

bool bosh_is_body(const struct xel *el)
{
    return el && el->name && strcmp(el->name, "body") == 0 && el->ns &&
           strcmp(el->ns, NS_HTTPBIND) == 0;
}

const char *bosh_attr(const struct xel *el, const char *ns, const char *name)
{
    /* xel_attr sees only unqualified attributes: xmpp:version and xml:lang carry a namespace. */
    for (const struct xattr *a = el->attrs; a; a = a->next) {
        bool same_ns = ns ? a->ns && strcmp(a->ns, ns) == 0 : !a->ns;
        if (same_ns && strcmp(a->name, name) == 0)
            return a->value;
    }
    return NULL;
}

/* Plain decimal digits only (no sign, no spaces): up to max_digits of them. */
static bool parse_digits(const char *s, size_t max_digits, uint64_t *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max_digits)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool bosh_parse_rid(const char *s, uint64_t *rid)
{
    uint64_t v;
    if (!parse_digits(s, 16, &v) || v == 0 || v > BOSH_RID_MAX)
        return false;
    *rid = v;
    return true;
}

bool bosh_parse_uint(const char *s, unsigned *out)
{
    uint64_t v;
    if (!parse_digits(s, 9, &v))
        return false;
    *out = (unsigned)v;
    return true;
}

/* "major.minor", each a separate integer (XEP-0124 §7.1). */
static bool parse_version(const char *s, unsigned *major, unsigned *minor)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    char head[10];
    if (!dot || (size_t)(dot - s) >= sizeof(head))
        return false;
    memcpy(head, s, (size_t)(dot - s));
    head[dot - s] = '\0';
    return bosh_parse_uint(head, major) && bosh_parse_uint(dot + 1, minor);
}

/* XEP-0124 §17.2: no 'to' is improper-addressing, a domain not ours host-unknown. */
static enum bosh_condition check_to(const struct bosh_limits *lim, const char *to)
{
    if (!to || !*to)
        return BOSH_IMPROPER_ADDRESSING;
    struct jid *j = jid_parse(to);
    bool ours = j && !j->local && !j->resource && strcmp(j->domain, lim->domain) == 0;
    jid_free(j);
    return ours ? BOSH_COND_NONE : BOSH_HOST_UNKNOWN;
}

/* An absent value takes dflt; a larger one is lowered to max (XEP-0124 §7.2: never more than
 * the client asked, never more than we allow). */
static bool negotiate_uint(const char *s, unsigned dflt, unsigned max, unsigned *out)
{
    unsigned v = dflt;
    if (s && !bosh_parse_uint(s, &v))
        return false;
    *out = v < max ? v : max;
    return true;
}

static enum bosh_condition negotiate_timing(const struct bosh_limits *lim, const struct xel *b,
                                            struct bosh_params *p)
{
    if (!negotiate_uint(xel_attr(b, "wait"), lim->max_wait, lim->max_wait, &p->wait) ||
        !negotiate_uint(xel_attr(b, "hold"), 1, lim->max_hold, &p->hold))
        return BOSH_BAD_REQUEST;
    p->requests = p->hold + 1; /* §7.2's recommendation: one more than hold */
    p->inactivity = lim->inactivity;
    p->polling = lim->polling;
    p->maxpause = lim->maxpause;
    return BOSH_COND_NONE;
}

/* The BOSH version answered is the lower of the two (§7.2); without a readable one from the
 * client, ours. xmpp:version (XEP-0206 §3) says which XMPP the stream speaks: without it, a
 * pre-1.0 stream with no features, so no restart logic either (RFC 6120 §4.7.5). */
static enum bosh_condition negotiate_versions(const struct xel *b, struct bosh_params *p)
{
    unsigned major, minor;
    p->ver_major = BOSH_OUR_VER_MAJOR;
    p->ver_minor = BOSH_OUR_VER_MINOR;
    if (parse_version(xel_attr(b, "ver"), &major, &minor) &&
        (major < p->ver_major || (major == p->ver_major && minor < p->ver_minor))) {
        p->ver_major = major;
        p->ver_minor = minor;
    }
    const char *xmpp = bosh_attr(b, NS_XBOSH, "version");
    if (xmpp && !parse_version(xmpp, &major, &minor))
        return BOSH_BAD_REQUEST;
    p->xmpp_1 = xmpp && major >= 1; /* a later major is answered with ours, 1.0 */
    return BOSH_COND_NONE;
}

static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

/* 'content' becomes an HTTP header of every response: a line break in it would forge
 * headers. xml:lang is only informative, so a strange one is dropped rather than refused. */
static enum bosh_condition copy_texts(const struct xel *b, struct bosh_params *p)
{
    const char *content = xel_attr(b, "content");
    if (!content)
        content = DEFAULT_CONTENT;
    if (!*content || strlen(content) > BOSH_CONTENT_MAX || !printable_ascii(content))
        return BOSH_BAD_REQUEST;
    strcpy(p->content, content);
    const char *lang = bosh_attr(b, NS_XML, "lang");
    if (lang && strlen(lang) <= BOSH_LANG_MAX && strspn(lang, LANG_CHARS) == strlen(lang))
        strcpy(p->lang, lang);
    return BOSH_COND_NONE;
}

enum bosh_condition bosh_negotiate(const struct bosh_limits *lim, const struct xel *body,
                                   struct bosh_params *out)
{
    memset(out, 0, sizeof(*out));
    if (!bosh_is_body(body) || xel_attr(body, "sid") ||
        !bosh_parse_rid(xel_attr(body, "rid"), &out->rid))
        return BOSH_BAD_REQUEST;
    enum bosh_condition c = check_to(lim, xel_attr(body, "to"));
    if (c == BOSH_COND_NONE)
        c = negotiate_timing(lim, body, out);
    if (c == BOSH_COND_NONE)
        c = negotiate_versions(body, out);
    if (c == BOSH_COND_NONE)
        c = copy_texts(body, out);
    const char *ack = xel_attr(body, "ack");
    out->acks = ack && strcmp(ack, "1") == 0;
    return c;
}
