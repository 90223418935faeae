/* SPDX-License-Identifier: MIT */
/* The service at the upload domain (XEP-0363): disco#info with the size limit, and slot
 * requests from local accounts, answered with the URL to PUT the file to and GET it from,
 * or refused with the reason (§4: too large, over quota, a bad request). */
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "upload.h"
#include "xdata.h"

struct slot_request {
    const char *name;
    const char *type; /* NULL: none named */
    long long size;
};

/* Answers st with cond and text; past the size limit with XEP-0363's <file-too-large/>. */
static int refuse(struct route_ctx *rc, const struct stanza *st, enum stanza_cond cond,
                  const char *text, long max_size)
{
    struct stanza *r = stanza_error_reply(st, cond, text);
    struct xel *err = xel_child(r->root, "error", NULL);
    if (max_size > 0 && err) {
        char n[24];
        snprintf(n, sizeof(n), "%ld", max_size);
        struct xel *big = xel_add_child(r, err, "file-too-large", NS_UPLOAD);
        xel_add_text_child(r, big, "max-file-size", n);
    }
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* NULL when req is a well-formed request, else why not. */
static const char *parse_request(const struct xel *req, struct slot_request *out)
{
    out->name = xel_attr(req, "filename");
    out->type = xel_attr(req, "content-type");
    if (out->type && !out->type[0])
        out->type = NULL;
    if (!out->name || !upload_name_ok(out->name))
        return "filename must be 1 to 255 bytes, without '/' or control characters";
    if (!upload_size_parse(xel_attr(req, "size"), 1LL << 62, &out->size))
        return "size must be the file's length in bytes";
    if (out->type && !upload_type_ok(out->type))
        return "content-type must be a media type";
    return NULL;
}

/* NULL when o may open a slot for size more bytes, else why not. */
static const char *over_limits(const struct upload *up, const struct upload_owner *o,
                               long long size)
{
    if (o->n_slots >= (unsigned long)up->opts.max_open_slots)
        return "too many uploads under way: finish one first";
    if (o->stored + o->reserved + upload_charge(size) > up->opts.quota_bytes)
        return "upload quota reached: old files must expire first";
    return NULL;
}

static void slot_url(const char *base, const struct upload_slot *s, const char *name,
                     struct buf *url)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    buf_printf(url, "%.*s" UPLOAD_PREFIX "%s/%s", (int)n, base, s->token, name);
}

static int answer_slot(struct route_ctx *rc, const struct stanza *st,
                       const struct upload_slot *s, const char *name)
{
    struct buf url;
    buf_init(&url);
    slot_url(module_web_base(rc->srv), s, name, &url);
    struct stanza *r = stanza_iq_result(st);
    struct xel *slot = xel_add_child(r, r->root, "slot", NS_UPLOAD);
    xel_set_attr(r, xel_add_child(r, slot, "put", NS_UPLOAD), "url", url.data);
    xel_set_attr(r, xel_add_child(r, slot, "get", NS_UPLOAD), "url", url.data);
    router_reply(rc, r);
    stanza_unref(r);
    buf_fini(&url);
    return ROUTE_DONE;
}

static int request_slot(struct route_ctx *rc, struct stanza *st, const struct xel *req)
{
    struct upload *up = rc->state;
    const struct jid *from = module_session_jid(rc->sess);
    if (strcmp(from->domain, module_domain(rc->srv)) != 0 ||
        !module_account_stored(rc->srv, from->bare))
        return ROUTE_ERROR(COND_FORBIDDEN);
    struct slot_request sr;
    const char *bad = parse_request(req, &sr);
    if (bad)
        return refuse(rc, st, COND_BAD_REQUEST, bad, 0);
    if (sr.size > up->opts.max_file_bytes)
        return refuse(rc, st, COND_NOT_ACCEPTABLE, "the file is too large",
                      up->opts.max_file_bytes);
    struct buf name;
    buf_init(&name);
    upload_percent_encode(sr.name, &name);
    upload_slots_prune(up);
    struct upload_owner *o = upload_owner_get(up, from->bare, true);
    const char *full = over_limits(up, o, sr.size);
    struct upload_slot *s = NULL;
    int res;
    if (name.len > UPLOAD_URL_NAME_MAX)
        res = refuse(rc, st, COND_BAD_REQUEST, "filename is too long for a URL", 0);
    else if (full)
        res = refuse(rc, st, COND_RESOURCE_CONSTRAINT, full, 0);
    else if (!(s = upload_slot_open(up, o, sr.name, sr.type, sr.size)))
        res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    else
        res = answer_slot(rc, st, s, name.data);
    if (!s)
        upload_owner_release(up, o);
    else
        module_log(LOG_DEBUG, "upload", "slot %.8s... for %s: %lld bytes", s->token, from->bare,
                   sr.size);
    buf_fini(&name);
    return res;
}

static void feature(struct stanza *r, struct xel *q, const char *var)
{
    xel_set_attr(r, xel_add_child(r, q, "feature", NS_DISCO_INFO), "var", var);
}

/* §5: the identity, the feature and the size limit as a form. */
static int service_disco(struct route_ctx *rc, struct stanza *st, const struct xel *q)
{
    const struct upload *up = rc->state;
    if (xel_attr(q, "node"))
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct stanza *r = stanza_iq_result(st);
    struct xel *out = xel_add_child(r, r->root, "query", q->ns);
    if (strcmp(q->ns, NS_DISCO_INFO) == 0) {
        struct xel *id = xel_add_child(r, out, "identity", NS_DISCO_INFO);
        xel_set_attr(r, id, "category", "store");
        xel_set_attr(r, id, "type", "file");
        xel_set_attr(r, id, "name", "HTTP File Upload");
        feature(r, out, NS_DISCO_INFO);
        feature(r, out, NS_DISCO_ITEMS);
        feature(r, out, NS_UPLOAD);
        char max[24];
        snprintf(max, sizeof(max), "%ld", up->opts.max_file_bytes);
        struct xel *x = xdata_form(r, out, "result", NS_UPLOAD);
        xdata_value(r, xdata_field(r, x, "max-file-size", NULL, NULL), max);
    }
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

int upload_service_route(struct route_ctx *rc, struct stanza *st)
{
    int res = module_service_requests_only(rc, st);
    if (res != ROUTE_PASS)
        return res;
    upload_sweep_maybe(rc->state);
    const struct xel *q = xel_first_elem(st->root);
    const char *ns = q && q->ns ? q->ns : "";
    if (st->type == IQ_GET && strcmp(ns, NS_UPLOAD) == 0 && strcmp(q->name, "request") == 0)
        return request_slot(rc, st, q);
    if (st->type == IQ_GET && strcmp(q ? q->name : "", "query") == 0 &&
        (strcmp(ns, NS_DISCO_INFO) == 0 || strcmp(ns, NS_DISCO_ITEMS) == 0))
        return service_disco(rc, st, q);
    return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
}
