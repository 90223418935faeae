/* SPDX-License-Identifier: MIT */
/* One HTTP/1.1 request read incrementally from a connection (sans-IO, over Debian's
 * libhttp-parser), within limits on every part: what the web front (WebSocket, BOSH,
 * host-meta, uploads) is handed once a request is whole. */
#ifndef PL_HTTP_REQ_H
#define PL_HTTP_REQ_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HTTP_REQ_MAX_HEADERS 64 /* the hard ceiling of http_limits.max_headers */

struct http_limits {
    size_t max_head_bytes; /* request line and headers together */
    size_t max_headers;    /* at most HTTP_REQ_MAX_HEADERS */
    size_t max_body_bytes;
    size_t max_put_bytes; /* a PUT's body (a file upload); 0: max_body_bytes */
};

enum http_req_state {
    HTTP_REQ_MORE,  /* all bytes taken, the request is not whole yet */
    HTTP_REQ_DONE,  /* a whole request; bytes after it were left (the next request's, or
                     * an upgraded protocol's) */
    HTTP_REQ_ERROR, /* answer status (400, 413, 414, 431, 505) and close */
};

enum http_piece { PIECE_URL, PIECE_NAME, PIECE_VALUE, PIECE_DONE };

struct http_req {
    http_parser parser;
    const struct http_limits *lim;
    struct buf text;           /* the URL and the headers' names and values, each ended by NUL */
    size_t url;                /* offsets into text */
    size_t names[HTTP_REQ_MAX_HEADERS], values[HTTP_REQ_MAX_HEADERS];
    size_t n_headers;
    enum http_piece piece;     /* what text's last string is */
    size_t head_bytes;
    struct buf body;
    int status;                /* HTTP_REQ_ERROR: the status to answer */
    enum http_req_state state;
};

void http_req_init(struct http_req *r, const struct http_limits *lim);
void http_req_fini(struct http_req *r);
/* Ready for the connection's next request (keep-alive). */
void http_req_reset(struct http_req *r);
/* Feeds n bytes; *used says how many were taken (all, unless the request ended before). */
enum http_req_state http_req_feed(struct http_req *r, const char *data, size_t n, size_t *used);

/* Of a whole request (HTTP_REQ_DONE), borrowed until the next reset: */
const char *http_req_method(const struct http_req *r);
/* The path, without query or fragment (NULL when the target has none, e.g. "*"). The
 * caller's buffer of len bytes holds it. */
const char *http_req_path(const struct http_req *r, char *out, size_t len);
/* The first value of header name (case-insensitive), NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);
/* Does header name list token (comma-separated, case-insensitive), e.g. Connection: upgrade? */
bool http_req_header_has(const struct http_req *r, const char *name, const char *token);
bool http_req_keep_alive(const struct http_req *r);
bool http_req_upgrade(const struct http_req *r);

#endif
