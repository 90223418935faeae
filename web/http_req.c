/* SPDX-License-Identifier: MIT */
/* An HTTP/1.1 request from libhttp-parser's callbacks: the URL and headers kept as NUL-ended
 * strings in one buffer (offsets, so that growing it moves nothing we hand out), the body in
 * another, and every part bounded. The parser pauses at the end of a request, so the bytes
 * that follow (a pipelined request, or WebSocket frames after an upgrade) stay the caller's. */
#include "http_req.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct http_req *req_of(http_parser *p)
{
    return p->data;
}

static int fail(struct http_req *r, int status)
{
    r->status = status;
    return -1; /* stops the parser (1 and 2 from on_headers_complete mean "no body") */
}

static int count_head(struct http_req *r, size_t n)
{
    r->head_bytes += n;
    return r->head_bytes > r->lim->max_head_bytes ? fail(r, 431) : 0;
}

/* Starts the next string of text (a header's name or value), ending the one before. */
static void start_piece(struct http_req *r, enum http_piece kind)
{
    buf_append(&r->text, "", 1);
    r->piece = kind;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct http_req *r = req_of(p);
    if (r->head_bytes + n > r->lim->max_head_bytes)
        return fail(r, 414);
    buf_append(&r->text, at, n);
    return count_head(r, n);
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct http_req *r = req_of(p);
    if (r->piece != PIECE_NAME) {
        if (r->n_headers == r->lim->max_headers)
            return fail(r, 431);
        start_piece(r, PIECE_NAME);
        r->names[r->n_headers++] = r->text.len;
    }
    buf_append(&r->text, at, n);
    return count_head(r, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct http_req *r = req_of(p);
    if (r->piece != PIECE_VALUE) {
        start_piece(r, PIECE_VALUE);
        r->values[r->n_headers - 1] = r->text.len;
    }
    buf_append(&r->text, at, n);
    return count_head(r, n);
}

static size_t body_limit(const struct http_req *r)
{
    bool put = r->parser.method == HTTP_PUT && r->lim->max_put_bytes;
    return put ? r->lim->max_put_bytes : r->lim->max_body_bytes;
}

static int on_headers_complete(http_parser *p)
{
    struct http_req *r = req_of(p);
    if (r->piece == PIECE_NAME) /* a name without a value: the parser lets it through */
        return fail(r, 400);
    start_piece(r, PIECE_DONE);
    if (p->http_major != 1)
        return fail(r, 505);
    if (p->content_length != (uint64_t)-1 && p->content_length > body_limit(r))
        return fail(r, 413);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct http_req *r = req_of(p);
    if (r->body.len + n > body_limit(r))
        return fail(r, 413);
    buf_append(&r->body, at, n);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_req *r = req_of(p);
    r->state = HTTP_REQ_DONE;
    http_parser_pause(p, 1); /* what follows is the next request's, or not HTTP at all */
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_req_init(struct http_req *r, const struct http_limits *lim)
{
    memset(r, 0, sizeof(*r));
    r->lim = lim;
    buf_init(&r->text);
    buf_init(&r->body);
    http_req_reset(r);
}

void http_req_fini(struct http_req *r)
{
    buf_fini(&r->text);
    buf_fini(&r->body);
}

void http_req_reset(struct http_req *r)
{
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
    buf_reset(&r->text);
    buf_reset(&r->body);
    r->url = 0;
    r->n_headers = 0;
    r->piece = PIECE_URL;
    r->head_bytes = 0;
    r->status = 0;
    r->state = HTTP_REQ_MORE;
}

enum http_req_state http_req_feed(struct http_req *r, const char *data, size_t n, size_t *used)
{
    *used = 0;
    if (r->state != HTTP_REQ_MORE)
        return r->state;
    size_t took = http_parser_execute(&r->parser, &settings, data, n);
    enum http_errno err = HTTP_PARSER_ERRNO(&r->parser);
    *used = took;
    if (r->state == HTTP_REQ_DONE) /* paused at its end, or stopped at an upgrade */
        return r->state;
    if (err != HPE_OK) {
        r->state = HTTP_REQ_ERROR;
        if (!r->status)
            r->status = err == HPE_HEADER_OVERFLOW    ? 431
                        : err == HPE_INVALID_VERSION ? 505
                                                     : 400;
    }
    return r->state;
}

const char *http_req_method(const struct http_req *r)
{
    return http_method_str((enum http_method)r->parser.method);
}

const char *http_req_path(const struct http_req *r, char *out, size_t len)
{
    const char *url = r->text.data ? r->text.data + r->url : "";
    if (url[0] != '/')
        return NULL;
    size_t n = strcspn(url, "?#");
    if (n >= len)
        return NULL;
    memcpy(out, url, n);
    out[n] = '\0';
    return out;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->text.data + r->names[i], name) == 0)
            return r->text.data + r->values[i];
    return NULL;
}

bool http_req_header_has(const struct http_req *r, const char *name, const char *token)
{
    size_t want = strlen(token);
    for (const char *v = http_req_header(r, name); v && *v;) {
        v += strspn(v, " \t,");
        size_t len = strcspn(v, ",");
        while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        if (len == want && strncasecmp(v, token, len) == 0)
            return true;
        v += strcspn(v, ",");
    }
    return false;
}

bool http_req_keep_alive(const struct http_req *r)
{
    return http_should_keep_alive(&r->parser) != 0;
}

bool http_req_upgrade(const struct http_req *r)
{
    return r->parser.upgrade != 0;
}
