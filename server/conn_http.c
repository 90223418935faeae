/* SPDX-License-Identifier: MIT */
/* A connection to the web front: HTTP/1.1 requests read one at a time (keep-alive), answered
 * from a table of paths; a WebSocket upgrade hands the connection to a new XMPP stream. */
#include "conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"
#include "host_meta.h"
#include "http_bind.h"
#include "http_req.h"
#include "http_resp.h"
#include "log.h"
#include "module.h"
#include "origin.h"
#include "server.h"
#include "static_files.h"
#include "web_modules.h"
#include "ws.h"
#include "ws_handshake.h"

#define HTTP_MAX_HEAD_BYTES 8192
#define HTTP_MAX_HEADERS 48
#define HTTP_MAX_PATH 512
#define CORS_METHODS "GET, POST, PUT, OPTIONS"

struct http_conn {
    struct http_req req;
    struct http_limits lim;
    void *held; /* a BOSH session holds the request: its handle (http_bind_forget) */
};

/* One request being answered. */
struct http_exchange {
    struct conn *c;
    const struct http_req *req;
    const char *path;
    bool keep_alive;
    bool head;           /* HEAD: the answer's head only */
    bool origin_ok;      /* no Origin, our own, or a listed one */
    const char *origin;  /* the Origin header, NULL when absent */
    char base[300];      /* scheme://host the client reached us at */
    char cors[1024];     /* CORS and other header lines for this answer ("" when none) */
};

struct http_route {
    const char *path;
    const char *method;
    int (*serve)(struct http_exchange *x);
};

void conn_http_start(struct conn *c)
{
    struct server *srv = c->tp.srv;
    c->http = xcalloc(1, sizeof(*c->http));
    c->http->lim = (struct http_limits){ .max_head_bytes = HTTP_MAX_HEAD_BYTES,
                                         .max_headers = HTTP_MAX_HEADERS,
                                         .max_body_bytes = (size_t)srv->cfg.http_max_body_bytes,
                                         .max_put_bytes = web_modules_max_put(srv) };
    http_req_init(&c->http->req, &c->http->lim);
    conn_idle_timer(c, srv->cfg.http_idle_timeout);
}

void conn_http_free(struct conn *c)
{
    if (!c->http)
        return;
    if (c->http->held)
        http_bind_forget(c->http->held);
    http_req_fini(&c->http->req);
    free(c->http);
    c->http = NULL;
}

/* Queues a whole answer; PL_ECLOSED when the connection closes after it. */
static int answer(struct http_exchange *x, int status, const char *type, const void *body,
                  size_t n)
{
    struct buf *out = server_buf_take(x->c->tp.srv);
    if (x->head)
        http_resp_head(out, status, type, n, x->keep_alive, x->cors);
    else
        http_resp_whole(out, status, type, body, n, x->keep_alive, x->cors);
    conn_send_bytes(x->c, out->data, out->len, false);
    server_buf_give(x->c->tp.srv, out);
    return x->keep_alive ? PL_OK : PL_ECLOSED;
}

static int answer_error(struct http_exchange *x, int status, const char *message,
                        const char *headers)
{
    struct buf *out = server_buf_take(x->c->tp.srv);
    char extra[sizeof(x->cors) + 128];
    snprintf(extra, sizeof(extra), "%s%s", x->cors, headers ? headers : "");
    http_resp_error(out, status, message, x->keep_alive, extra);
    conn_send_bytes(x->c, out->data, out->len, false);
    server_buf_give(x->c->tp.srv, out);
    log_debug(x->c->tp.tag, "HTTP %d for %s: %s", status, x->path ? x->path : "?", message);
    return x->keep_alive ? PL_OK : PL_ECLOSED;
}

static int serve_host_meta(struct http_exchange *x)
{
    struct buf *doc = server_buf_take(x->c->tp.srv);
    bool json = strcmp(x->path, "/.well-known/host-meta.json") == 0;
    if (json)
        host_meta_json(x->base, doc);
    else
        host_meta_xrd(x->base, doc);
    int rc = answer(x, 200, json ? "application/json" : "application/xrd+xml; charset=utf-8",
                    doc->data, doc->len);
    server_buf_give(x->c->tp.srv, doc);
    return rc;
}

/* RFC 7395 §3.1: the upgrade, then the connection carries a new stream. */
static int serve_websocket(struct http_exchange *x)
{
    struct conn *c = x->c;
    struct ws_policy policy = { .origins = x->origin_ok ? "*" : "" };
    struct buf *out = server_buf_take(c->tp.srv);
    const char *why = NULL;
    int status = ws_handshake(x->req, &policy, out, &why);
    if (status == 101)
        conn_send_bytes(c, out->data, out->len, false);
    server_buf_give(c->tp.srv, out);
    if (status == 101) {
        conn_ws_start(c);
        return PL_OK;
    }
    struct buf headers;
    buf_init(&headers);
    ws_handshake_error_headers(status, &headers);
    int rc = answer_error(x, status, why ? why : "not a WebSocket upgrade", headers.data);
    buf_fini(&headers);
    return rc;
}

/* The web chat page (web_chat_dir): files as they are, cacheable for a while. */
static int serve_chat_page(struct http_exchange *x)
{
    if (strcmp(x->path, "/chat") == 0) {
        snprintf(x->cors + strlen(x->cors), sizeof(x->cors) - strlen(x->cors),
                 "Location: /chat/\r\n");
        return answer(x, 301, NULL, "", 0);
    }
    struct buf *file = server_buf_take(x->c->tp.srv);
    const char *type = NULL;
    int status = static_file_load(x->c->tp.srv->cfg.web_chat_dir, x->path + strlen("/chat/"),
                                  file, &type);
    int rc = status == 200 ? answer(x, 200, type, file->data, file->len)
                           : answer_error(x, status, "no such file", NULL);
    server_buf_give(x->c->tp.srv, file);
    return rc;
}

/* A path ending in '/' serves everything below it. */
/* XEP-0124: the body is the session's business; the answer may wait (conn_http_hold). */
static int serve_http_bind(struct http_exchange *x)
{
    const struct http_req *r = x->req;
    return http_bind_serve(x->c, r->body.data ? r->body.data : "", r->body.len, x->cors,
                           x->keep_alive);
}

static const struct http_route routes[] = {
    { "/.well-known/host-meta", "GET", serve_host_meta },
    { "/.well-known/host-meta.json", "GET", serve_host_meta },
    { "/xmpp-websocket", "GET", serve_websocket },
    { "/http-bind", "POST", serve_http_bind },
    { "/chat", "GET", serve_chat_page },
    { "/chat/", "GET", serve_chat_page },
};

static bool route_matches(const char *route, const char *path)
{
    size_t n = strlen(route);
    return route[n - 1] == '/' ? strncmp(route, path, n) == 0 : strcmp(route, path) == 0;
}

/* CORS (Fetch standard): a listed origin may read our answers and send what we serve. */
static int preflight(struct http_exchange *x)
{
    if (!x->origin || !x->origin_ok)
        return answer_error(x, 403, "this origin may not use the server", NULL);
    size_t n = strlen(x->cors);
    snprintf(x->cors + n, sizeof(x->cors) - n,
             "Access-Control-Allow-Methods: " CORS_METHODS "\r\n"
             "Access-Control-Allow-Headers: Content-Type\r\nAccess-Control-Max-Age: 86400\r\n");
    return answer(x, 204, NULL, "", 0);
}

static const char *request_header(const struct web_request *rq, const char *name)
{
    return http_req_header(rq->impl, name);
}

/* A module's path (struct module's web_routes). */
static int serve_module(struct http_exchange *x, const struct web_route *r, void *state,
                        const char *method)
{
    const struct http_req *req = x->req;
    struct web_request rq = { .method = method, .path = x->path, .base = x->base,
                              .body = req->body.data ? req->body.data : "",
                              .body_len = req->body.len, .peer = x->c->tp.peer,
                              .header = request_header, .impl = req };
    struct web_answer an = { .body = server_buf_take(x->c->tp.srv) };
    int status = web_modules_serve(r, state, &rq, &an);
    int rc;
    if (status >= 400) {
        rc = answer_error(x, status, an.message ? an.message : http_reason(status),
                          an.headers);
    } else {
        size_t n = strlen(x->cors);
        snprintf(x->cors + n, sizeof(x->cors) - n, "%s", an.headers);
        rc = answer(x, status, an.type, an.body->data, an.body->len);
    }
    server_buf_give(x->c->tp.srv, an.body);
    return rc;
}

static int route(struct http_exchange *x, const char *method)
{
    if (strcmp(method, "OPTIONS") == 0)
        return preflight(x);
    x->head = strcmp(method, "HEAD") == 0;
    void *state;
    const struct web_route *mr = web_modules_find(x->c->tp.srv, x->path, &state);
    if (mr)
        return serve_module(x, mr, state, method);
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
        if (!route_matches(routes[i].path, x->path))
            continue;
        known = true;
        bool get = x->head && strcmp(routes[i].path, "/xmpp-websocket") != 0;
        if (strcmp(routes[i].method, method) == 0 || (get && strcmp(routes[i].method, "GET") == 0))
            return routes[i].serve(x);
    }
    if (known)
        return answer_error(x, 405, "method not allowed here", "Allow: GET, OPTIONS\r\n");
    return answer_error(x, 404, "nothing here", NULL);
}

/* Where the client reached us, and whether its page's origin may use what we answer. */
static bool describe(struct http_exchange *x, const char *host)
{
    struct conn *c = x->c;
    if (!host || !origin_host_ok(host))
        return false;
    snprintf(x->base, sizeof(x->base), "%s://%s", c->direct_tls ? "https" : "http", host);
    x->origin = http_req_header(x->req, "Origin");
    x->origin_ok = !x->origin || strcasecmp(x->origin, x->base) == 0 ||
                   origin_listed(c->tp.srv->cfg.web_origins, x->origin);
    if (x->origin && x->origin_ok && origin_serialized(x->origin))
        snprintf(x->cors, sizeof(x->cors), "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
                 x->origin);
    return true;
}

static int serve(struct conn *c)
{
    const struct http_req *r = &c->http->req;
    char path[HTTP_MAX_PATH];
    struct http_exchange x = { .c = c, .req = r, .keep_alive = http_req_keep_alive(r) };
    x.path = http_req_path(r, path, sizeof(path));
    conn_charge(c, 1);
    if (!x.path)
        return answer_error(&x, 400, "the request target must be a path", NULL);
    if (!describe(&x, http_req_header(r, "Host")))
        return answer_error(&x, 400, "a valid Host header is required", NULL);
    return route(&x, http_req_method(r));
}

void conn_http_hold(struct conn *c, void *request)
{
    c->http->held = request;
    if (request)
        conn_pause(c);
}

bool conn_http_busy(const struct conn *c) { return c->http && c->http->held; }

void conn_http_respond(struct conn *c, int status, const char *type, const void *body,
                       size_t n, const char *extra, bool keep_alive)
{
    struct buf *out = server_buf_take(c->tp.srv);
    http_resp_whole(out, status, type, body, n, keep_alive, extra);
    conn_send_bytes(c, out->data, out->len, false);
    server_buf_give(c->tp.srv, out);
    c->http->held = NULL;
    if (!keep_alive) {
        conn_close(c, NULL, NULL);
        return;
    }
    conn_idle_timer(c, c->tp.srv->cfg.http_idle_timeout);
    conn_resume(c);
}

int conn_http_read(struct conn *c, const char *data, size_t n, size_t *used)
{
    struct http_req *r = &c->http->req;
    enum http_req_state state = http_req_feed(r, data, n, used);
    if (state == HTTP_REQ_MORE)
        return PL_OK;
    if (state == HTTP_REQ_ERROR) {
        struct http_exchange x = { .c = c, .path = "?" };
        answer_error(&x, r->status, http_reason(r->status), NULL);
        return PL_ECLOSED;
    }
    int rc = serve(c);
    if (c->ws) { /* the rest of the bytes are the WebSocket's */
        conn_http_free(c);
        return rc;
    }
    http_req_reset(r);
    long idle = c->tp.srv->cfg.http_idle_timeout;
    conn_idle_timer(c, conn_http_busy(c) ? idle + c->tp.srv->cfg.bosh_max_wait : idle);
    return rc;
}
