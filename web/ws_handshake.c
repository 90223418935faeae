/* SPDX-License-Identifier: MIT */
/* The WebSocket opening handshake for XMPP: a table of the request's rules, each with the
 * status its failure answers, then the 101 with the key's SHA-1 proof (OpenSSL). */
#include "ws_handshake.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base.h"

#define WS_KEY_LEN 24 /* 16 bytes in base64: 22 characters and "==" */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 §1.3 */

/* A value's length without the blanks HTTP allows at its end: http_parser keeps them. */
static size_t value_len(const char *v)
{
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n;
}

static bool is_get(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    return strcmp(http_req_method(r), "GET") == 0;
}

static bool is_http11(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    return r->parser.http_major == 1 && r->parser.http_minor >= 1;
}

static bool has_host(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    return http_req_header(r, "Host") != NULL;
}

static bool upgrades_to_websocket(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    return http_req_header_has(r, "Upgrade", "websocket") &&
           http_req_header_has(r, "Connection", "upgrade");
}

static bool speaks_version_13(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    const char *v = http_req_header(r, "Sec-WebSocket-Version");
    return v && value_len(v) == 2 && strncmp(v, "13", 2) == 0;
}

/* EVP_DecodeBlock takes '=' anywhere, so the padding's place is checked first. */
static bool has_valid_key(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    const char *key = http_req_header(r, "Sec-WebSocket-Key");
    unsigned char raw[WS_KEY_LEN / 4 * 3];
    return key && value_len(key) == WS_KEY_LEN && strcspn(key, "=") == WS_KEY_LEN - 2 &&
           EVP_DecodeBlock(raw, (const unsigned char *)key, WS_KEY_LEN) == (int)sizeof(raw);
}

static bool offers_xmpp(const struct http_req *r, const struct ws_policy *p)
{
    (void)p;
    return http_req_header_has(r, "Sec-WebSocket-Protocol", "xmpp");
}

/* Only browsers send Origin, and only they need keeping from other sites' pages. */
static bool origin_allowed(const struct http_req *r, const struct ws_policy *p)
{
    const char *origin = http_req_header(r, "Origin");
    if (!origin)
        return true;
    size_t n = value_len(origin);
    for (const char *s = p->origins ? p->origins : ""; *s;) {
        s += strspn(s, " \t");
        size_t len = strcspn(s, " \t");
        if ((len == 1 && *s == '*') || (len && len == n && strncasecmp(s, origin, n) == 0))
            return true;
        s += len;
    }
    return false;
}

static const struct ws_rule {
    bool (*ok)(const struct http_req *r, const struct ws_policy *p);
    int status;
    const char *why;
} rules[] = {
    { is_get, 400, "a WebSocket opens with GET" },
    { is_http11, 400, "a WebSocket needs HTTP/1.1" },
    { has_host, 400, "no Host header" },
    { upgrades_to_websocket, 400, "not a WebSocket upgrade" },
    { speaks_version_13, 426, "only WebSocket version 13 is spoken" },
    { has_valid_key, 400, "bad Sec-WebSocket-Key" },
    { offers_xmpp, 400, "the xmpp subprotocol was not offered" },
    { origin_allowed, 403, "origin not allowed" },
};

/* Sec-WebSocket-Accept: base64 of the SHA-1 of the key and the GUID (RFC 6455 §4.2.2). */
static bool accept_value(const char *key, char out[29])
{
    char proof[WS_KEY_LEN + sizeof(WS_GUID)];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    memcpy(proof, key, WS_KEY_LEN);
    memcpy(proof + WS_KEY_LEN, WS_GUID, sizeof(WS_GUID));
    if (EVP_Digest(proof, sizeof(proof) - 1, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
        return false;
    EVP_EncodeBlock((unsigned char *)out, md, (int)md_len); /* 28 characters and a NUL */
    return true;
}

int ws_handshake(const struct http_req *r, const struct ws_policy *p, struct buf *out,
                 const char **why)
{
    for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
        if (!rules[i].ok(r, p)) {
            *why = rules[i].why;
            return rules[i].status;
        }
    }
    char accept[29];
    if (!accept_value(http_req_header(r, "Sec-WebSocket-Key"), accept)) {
        *why = "no SHA-1 in this OpenSSL";
        return 500;
    }
    buf_printf(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                    "Sec-WebSocket-Protocol: xmpp\r\n\r\n", accept);
    return 101;
}

void ws_handshake_error_headers(int status, struct buf *out)
{
    if (status == 426)
        buf_puts(out, "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n");
}
