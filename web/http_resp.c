/* SPDX-License-Identifier: MIT */
/* Response heads and JSON error bodies for the web front. */
#include "http_resp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *http_reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static void put_date(struct buf *out)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    buf_puts(out, date);
}

void http_resp_head(struct buf *out, int status, const char *type, size_t length,
                    bool keep_alive, const char *extra)
{
    buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    put_date(out);
    if (status != 101 && status != 204)
        buf_printf(out, "Content-Length: %zu\r\n", length);
    if (type)
        buf_printf(out, "Content-Type: %s\r\n", type);
    buf_puts(out, "X-Content-Type-Options: nosniff\r\n");
    if (status != 101)
        buf_puts(out, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (extra)
        buf_puts(out, extra);
    buf_puts(out, "\r\n");
}

void http_resp_whole(struct buf *out, int status, const char *type, const void *body,
                     size_t n, bool keep_alive, const char *extra)
{
    http_resp_head(out, status, type, n, keep_alive, extra);
    buf_append(out, body, n);
}

void http_resp_error(struct buf *out, int status, const char *message, bool keep_alive,
                     const char *extra)
{
    json_t *j = json_pack("{s:{s:i,s:s}}", "error", "code", status, "message", message);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    const char *text = body ? body : "{}";
    http_resp_whole(out, status, "application/json", text, strlen(text), keep_alive, extra);
    free(body);
    json_decref(j);
}
