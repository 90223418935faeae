/* SPDX-License-Identifier: MIT */
/* Streaming XML parser: expat in namespace mode, restricted XML, limits, idle release. */
#include "parser.h"

#include <expat.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base.h"
#include "ns.h"

#define NS_SEP '\x01'

struct parser {
    XML_Parser xp; /* NULL while released */
    struct parser_limits lim;
    struct parser_events ev;
    void *ctx;
    enum parser_error err;
    bool stopped;
    bool replaying;   /* feeding the saved stream header to a recreated parser */
    unsigned depth;   /* 0 before the header, 1 inside the stream, 2+ inside a stanza */
    struct stanza *cur;
    struct xel **stack; /* open elements of cur, max_depth of them */
    struct buf text;    /* character data not yet attached to an element */
    struct buf header;  /* the stream's start tag with its namespace declarations */
    uint64_t fed;       /* bytes given to xp so far */
    uint64_t mark;      /* where the last complete top-level event ended */
    uint64_t stanza_start;
    uint64_t stop_pos;
    char *default_ns; /* declared on the stream header */
    unsigned long salt; /* expat's hash salt: drawn once per stream owner, not per revival */
    bool salted;        /* false: the draw failed and expat seeds itself (from getrandom) */
};

static void fail(struct parser *p, enum parser_error err)
{
    if (p->err == PARSE_OK) {
        p->err = err;
        XML_StopParser(p->xp, XML_FALSE);
    }
}

static uint64_t event_end(struct parser *p)
{
    return (uint64_t)XML_GetCurrentByteIndex(p->xp) + (uint64_t)XML_GetCurrentByteCount(p->xp);
}

/* An expanded name as expat reports it with triplets: "uri SEP local SEP prefix", with the
 * parts that are absent left out. Points into expat's string. */
struct qname {
    const char *ns; /* NULL when unqualified */
    size_t ns_len;
    const char *local;
    size_t local_len;
    const char *prefix; /* NULL for the default namespace */
    size_t prefix_len;
};

static struct qname split_name(const char *name)
{
    struct qname q = { 0 };
    const char *sep = strchr(name, NS_SEP);
    if (!sep) {
        q.local = name;
        q.local_len = strlen(name);
        return q;
    }
    q.ns = name;
    q.ns_len = (size_t)(sep - name);
    q.local = sep + 1;
    const char *sep2 = strchr(q.local, NS_SEP);
    q.local_len = sep2 ? (size_t)(sep2 - q.local) : strlen(q.local);
    if (sep2) {
        q.prefix = sep2 + 1;
        q.prefix_len = strlen(q.prefix);
    }
    return q;
}

static void add_attrs(struct stanza *st, struct xel *el, const char **atts)
{
    struct xattr **tail = &el->attrs;
    for (; atts[0]; atts += 2) {
        struct qname q = split_name(atts[0]);
        struct xattr *a = stanza_alloc(st, sizeof(*a));
        a->name = stanza_strndup(st, q.local, q.local_len);
        a->ns = q.ns ? stanza_strndup(st, q.ns, q.ns_len) : NULL;
        a->value = stanza_strdup(st, atts[1]);
        a->next = NULL;
        *tail = a;
        tail = &a->next;
    }
}

static void flush_text(struct parser *p)
{
    if (p->text.len == 0 || p->depth < 2)
        return;
    xel_add_text(p->cur, p->stack[p->depth - 2], p->text.data, p->text.len);
    buf_reset(&p->text);
}

static void on_ns_decl(void *ud, const char *prefix, const char *uri)
{
    struct parser *p = ud;
    if (p->depth != 0 || p->replaying)
        return;
    /* Remember the stream's declarations so a recreated parser sees the same context. */
    buf_puts(&p->header, prefix ? " xmlns:" : " xmlns");
    if (prefix)
        buf_puts(&p->header, prefix);
    buf_puts(&p->header, "='");
    xml_escape(uri ? uri : "", uri ? strlen(uri) : 0, &p->header);
    buf_puts(&p->header, "'");
    if (!prefix) {
        free(p->default_ns);
        p->default_ns = xstrdup(uri ? uri : "");
    }
}

static void open_stream(struct parser *p, const struct qname *q, const char **atts)
{
    p->depth = 1;
    p->mark = event_end(p);
    if (p->replaying)
        return;
    /* Saved as the peer wrote it, so that its closing tag still matches after a revival. */
    char *decls = xstrndup(p->header.data ? p->header.data : "", p->header.len);
    buf_reset(&p->header);
    buf_puts(&p->header, "<");
    if (q->prefix) {
        buf_append(&p->header, q->prefix, q->prefix_len);
        buf_puts(&p->header, ":");
    }
    buf_append(&p->header, q->local, q->local_len);
    buf_puts(&p->header, decls);
    buf_puts(&p->header, ">");
    buf_fit(&p->header); /* kept for the stream's life, for revivals */
    free(decls);
    struct stanza *h = stanza_new_empty();
    h->root = xel_add_child_n(h, NULL, q->local, q->local_len, q->ns ? q->ns : "", q->ns_len);
    add_attrs(h, h->root, atts);
    p->ev.open(p->ctx, h->root, p->default_ns ? p->default_ns : "");
    stanza_unref(h);
}

static bool within_limits(struct parser *p, const char **atts)
{
    unsigned n = 0;
    while (atts[2 * n])
        n++;
    if (n > p->lim.max_attrs || (p->depth > 0 && p->depth - 1 >= p->lim.max_depth)) {
        fail(p, PARSE_POLICY_VIOLATION);
        return false;
    }
    return true;
}

static void on_start(void *ud, const char *name, const char **atts)
{
    struct parser *p = ud;
    struct qname q = split_name(name);
    if (p->err != PARSE_OK || !within_limits(p, atts))
        return;
    if (p->depth == 0) {
        open_stream(p, &q, atts);
        return;
    }
    if (event_end(p) - p->mark > p->lim.max_stanza_bytes) {
        fail(p, PARSE_POLICY_VIOLATION); /* stop building a tree that is already too big */
        return;
    }
    flush_text(p);
    unsigned level = p->depth - 1;
    struct xel *el;
    if (level == 0) {
        p->cur = stanza_new_empty();
        el = p->cur->root = xel_add_child_n(p->cur, NULL, q.local, q.local_len, q.ns, q.ns_len);
        p->stanza_start = (uint64_t)XML_GetCurrentByteIndex(p->xp);
    } else {
        el = xel_add_child_n(p->cur, p->stack[level - 1], q.local, q.local_len, q.ns, q.ns_len);
    }
    add_attrs(p->cur, el, atts);
    p->stack[level] = el;
    p->depth++;
}

static void on_end(void *ud, const char *name)
{
    struct parser *p = ud;
    (void)name;
    if (p->err != PARSE_OK)
        return; /* expat still reports the end of an empty element we refused */
    flush_text(p);
    p->depth--;
    if (p->depth > 1)
        return;
    /* Only top-level events move the mark: a stanza counts from its start tag. */
    p->mark = event_end(p);
    if (p->depth == 0) {
        p->ev.close(p->ctx);
        return;
    }
    if (p->mark - p->stanza_start > p->lim.max_stanza_bytes) {
        fail(p, PARSE_POLICY_VIOLATION);
        return;
    }
    struct stanza *st = p->cur;
    p->cur = NULL;
    stanza_summarize(st);
    p->ev.stanza(p->ctx, st);
}

static void on_text(void *ud, const char *s, int len)
{
    struct parser *p = ud;
    if (p->err != PARSE_OK)
        return;
    if (p->depth <= 1) {
        p->mark = event_end(p); /* whitespace keepalives between stanzas */
        return;
    }
    if (p->text.len + (size_t)len > p->lim.max_stanza_bytes) {
        fail(p, PARSE_POLICY_VIOLATION);
        return;
    }
    buf_append(&p->text, s, (size_t)len);
}

/* RFC 6120 §11.1: no DTDs, entity declarations, comments or processing instructions. */
static void on_doctype(void *ud, const char *name, const char *sysid, const char *pubid,
                       int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, PARSE_RESTRICTED_XML);
}

static void on_entity(void *ud, const char *name, int is_param, const char *value, int len,
                      const char *base, const char *sysid, const char *pubid, const char *notation)
{
    (void)name, (void)is_param, (void)value, (void)len, (void)base, (void)sysid, (void)pubid;
    (void)notation;
    fail(ud, PARSE_RESTRICTED_XML);
}

static void on_comment(void *ud, const char *data)
{
    (void)data;
    fail(ud, PARSE_RESTRICTED_XML);
}

static void on_pi(void *ud, const char *target, const char *data)
{
    (void)target, (void)data;
    fail(ud, PARSE_RESTRICTED_XML);
}

static void on_xml_decl(void *ud, const char *version, const char *encoding, int standalone)
{
    (void)version, (void)standalone;
    if (encoding && strcasecmp(encoding, "UTF-8") != 0)
        fail(ud, PARSE_UNSUPPORTED_ENCODING);
}

static void set_restrictions(XML_Parser xp)
{
    XML_SetStartDoctypeDeclHandler(xp, on_doctype);
    XML_SetEntityDeclHandler(xp, on_entity);
    XML_SetCommentHandler(xp, on_comment);
    XML_SetProcessingInstructionHandler(xp, on_pi);
    XML_SetXmlDeclHandler(xp, on_xml_decl);
    XML_SetParamEntityParsing(xp, XML_PARAM_ENTITY_PARSING_NEVER);
}

static void create_xp(struct parser *p)
{
    /* The encoding is forced: XMPP streams are UTF-8 whatever a declaration says. */
    p->xp = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!p->stack) /* released with the parser: an idle stream needs neither */
        p->stack = xcalloc(p->lim.max_depth + 1, sizeof(*p->stack));
    if (!p->xp)
        xmalloc((size_t)-1); /* aborts like every failed allocation */
    if (p->salted)
        XML_SetHashSalt(p->xp, p->salt);
    XML_SetReturnNSTriplet(p->xp, 1);
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_text);
    XML_SetStartNamespaceDeclHandler(p->xp, on_ns_decl);
    set_restrictions(p->xp);
    p->fed = 0;
    p->mark = 0;
}

struct parser *parser_new(const struct parser_limits *lim, const struct parser_events *ev,
                          void *ctx)
{
    struct parser *p = xcalloc(1, sizeof(*p));
    p->lim = *lim;
    p->ev = *ev;
    p->ctx = ctx;
    buf_init(&p->text);
    buf_init(&p->header);
    /* A known salt would let a peer plan hash collisions; without one expat draws its own. */
    p->salted = RAND_bytes((unsigned char *)&p->salt, sizeof(p->salt)) == 1;
    create_xp(p);
    return p;
}

static void drop_state(struct parser *p)
{
    if (p->xp)
        XML_ParserFree(p->xp);
    p->xp = NULL;
    stanza_unref(p->cur);
    p->cur = NULL;
    buf_fini(&p->text);
    free(p->stack);
    p->stack = NULL;
}

void parser_free(struct parser *p)
{
    if (!p)
        return;
    drop_state(p);
    buf_fini(&p->header);
    free(p->default_ns);
    free(p);
}

void parser_reset(struct parser *p)
{
    drop_state(p);
    buf_reset(&p->header);
    free(p->default_ns);
    p->default_ns = NULL;
    p->depth = 0;
    p->err = PARSE_OK;
    p->stopped = false;
    create_xp(p);
}

void parser_set_max_stanza(struct parser *p, size_t max_stanza_bytes)
{
    p->lim.max_stanza_bytes = max_stanza_bytes;
}

void parser_set_events(struct parser *p, const struct parser_events *ev) { p->ev = *ev; }

bool parser_between_elements(const struct parser *p)
{
    /* A released parser had nothing buffered; mark == fed means every byte given to expat
     * has been reported as a top-level event or as whitespace between them. */
    return !p->xp || (p->depth == 1 && p->mark == p->fed);
}

void parser_stop(struct parser *p)
{
    if (!p->xp || p->stopped)
        return;
    p->stopped = true;
    p->stop_pos = event_end(p);
    XML_StopParser(p->xp, XML_FALSE);
}

bool parser_release_idle(struct parser *p)
{
    if (!p->xp || p->depth != 1 || p->mark != p->fed || p->err || p->stopped)
        return false;
    drop_state(p);
    return true;
}

/* Recreates a released parser inside the stream by replaying the saved start tag. */
static void revive(struct parser *p)
{
    create_xp(p);
    p->depth = 0;
    p->replaying = true;
    XML_Parse(p->xp, p->header.data, (int)p->header.len, 0);
    p->replaying = false;
    p->fed = p->header.len;
    p->mark = p->fed;
}

/* The allowed range of the second byte after a lead byte (RFC 3629 §4). */
static bool second_ok(unsigned lead, unsigned b)
{
    if (lead == 0xe0)
        return b >= 0xa0 && b <= 0xbf;
    if (lead == 0xed)
        return b >= 0x80 && b <= 0x9f;
    if (lead == 0xf0)
        return b >= 0x90 && b <= 0xbf;
    if (lead == 0xf4)
        return b >= 0x80 && b <= 0x8f;
    return (b & 0xc0) == 0x80;
}

/* Only on the error path: tells bad UTF-8 apart from other malformed input. A sequence cut
 * off by the end of the data counts as valid: the rest may be on its way. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len == 0 || (len > 1 && i + 1 < n && !second_ok(c, s[i + 1])))
            return false;
        for (size_t k = 2; k < len && i + k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* Looks at expat's own buffer too: an invalid sequence may have started in an earlier chunk. */
static enum parser_error classify(struct parser *p, const char *data, size_t len)
{
    if (p->err != PARSE_OK)
        return p->err;
    int offset = 0, size = 0;
    const char *ctx = XML_GetInputContext(p->xp, &offset, &size);
    bool bad = !utf8_valid((const unsigned char *)data, len);
    if (ctx && offset >= 0 && offset <= size)
        bad = bad || !utf8_valid((const unsigned char *)ctx + offset, (size_t)(size - offset));
    return bad ? PARSE_UNSUPPORTED_ENCODING : PARSE_NOT_WELL_FORMED;
}

int parser_feed(struct parser *p, const char *data, size_t len, size_t *used,
                enum parser_error *err)
{
    *used = 0;
    *err = p->err;
    if (p->err != PARSE_OK || p->stopped)
        return p->err ? PL_EINVAL : PL_ECLOSED;
    if (!p->xp)
        revive(p);
    uint64_t base = p->fed;
    p->fed += len;
    enum XML_Status status = XML_Parse(p->xp, data, (int)len, 0);
    if (p->stopped && p->err == PARSE_OK) {
        *used = (size_t)(p->stop_pos - base);
        return PL_ECLOSED;
    }
    if (status != XML_STATUS_OK || p->err != PARSE_OK) {
        p->err = classify(p, data, len);
        *err = p->err;
        return PL_EINVAL;
    }
    if (p->fed - p->mark > p->lim.max_stanza_bytes) {
        p->err = *err = PARSE_POLICY_VIOLATION;
        return PL_EINVAL;
    }
    *used = len;
    return PL_OK;
}
