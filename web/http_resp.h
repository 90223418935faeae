/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 responses of the web front, written whole into a buffer: the status line, the
 * headers every answer carries, and JSON error bodies (jansson). */
#ifndef PL_HTTP_RESP_H
#define PL_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The reason phrase of status ("Unknown" for one we never send). */
const char *http_reason(int status);
/* Appends a response head: the status line, Date, Content-Length (omitted for 101 and 204),
 * Content-Type when type is not NULL, nosniff, Connection (keep-alive or close), then the
 * extra header lines (each ended by \r\n; NULL: none) and the blank line. */
void http_resp_head(struct buf *out, int status, const char *type, size_t length,
                    bool keep_alive, const char *extra);
/* A whole response: head, then body. */
void http_resp_whole(struct buf *out, int status, const char *type, const void *body,
                     size_t n, bool keep_alive, const char *extra);
/* An error answer: {"error": {"code": status, "message": message}} as application/json. */
void http_resp_error(struct buf *out, int status, const char *message, bool keep_alive,
                     const char *extra);

#endif
