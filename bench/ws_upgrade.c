/* SPDX-License-Identifier: MIT */
/* The WebSocket opening handshake, client side: a GET with a fresh key, then the server's
 * answer read by libhttp-parser in response mode, each header we care about checked as its
 * value completes, the verdict given when the head ends. */
#include "ws_upgrade.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>

#include "base.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 §1.3 */
#define WS_KEY_RAW 16

static struct ws_upgrade *upgrade_of(http_parser *p)
{
    return p->data;
}

/* Sec-WebSocket-Accept for key: base64 of the SHA-1 of the key and the GUID (§4.2.2). */
static bool accept_for(const char *key, char out[WS_UPGRADE_ACCEPT_LEN + 1])
{
    char proof[WS_UPGRADE_KEY_LEN + sizeof(WS_GUID)];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    memcpy(proof, key, WS_UPGRADE_KEY_LEN);
    memcpy(proof + WS_UPGRADE_KEY_LEN, WS_GUID, sizeof(WS_GUID));
    if (EVP_Digest(proof, sizeof(proof) - 1, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
        return false;
    EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
    return true;
}

int ws_upgrade_init(struct ws_upgrade *u)
{
    unsigned char raw[WS_KEY_RAW];
    char key[WS_UPGRADE_KEY_LEN + 1];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return PL_EIO;
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
    return ws_upgrade_init_key(u, key);
}

int ws_upgrade_init_key(struct ws_upgrade *u, const char *key)
{
    memset(u, 0, sizeof(*u));
    if (strlen(key) != WS_UPGRADE_KEY_LEN)
        return PL_EINVAL;
    memcpy(u->key, key, WS_UPGRADE_KEY_LEN);
    if (!accept_for(u->key, u->accept))
        return PL_EIO;
    http_parser_init(&u->parser, HTTP_RESPONSE);
    u->parser.data = u;
    u->state = WS_UPGRADE_MORE;
    return PL_OK;
}

void ws_upgrade_request(const struct ws_upgrade *u, const char *host, const char *path,
                        struct buf *out)
{
    /* No Origin: only browsers send one, and servers refuse origins they do not list. */
    buf_printf(out, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: xmpp\r\n\r\n", path, host, u->key);
}

static int refuse(struct ws_upgrade *u, const char *why)
{
    if (u->state == WS_UPGRADE_MORE) {
        u->state = WS_UPGRADE_FAILED;
        u->why = why;
    }
    return -1; /* stops the parser */
}

/* Does the comma-separated list hold token (case-insensitive, blanks around items)? */
static bool list_has(const char *v, const char *token)
{
    size_t want = strlen(token);
    while (*v) {
        v += strspn(v, " \t,");
        size_t len = strcspn(v, ",");
        size_t end = len;
        while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end == want && strncasecmp(v, token, want) == 0)
            return true;
        v += len;
    }
    return false;
}

static bool is_name(const struct ws_upgrade *u, const char *name)
{
    return strlen(name) == u->name_len && strncasecmp(u->name, name, u->name_len) == 0;
}

/* A value, its trailing blanks dropped (http_parser keeps them), equal to want? */
static bool value_is(const struct ws_upgrade *u, const char *want, bool any_case)
{
    size_t n = u->value_len;
    while (n && (u->value[n - 1] == ' ' || u->value[n - 1] == '\t'))
        n--;
    if (u->value_cut || n != strlen(want))
        return false;
    return any_case ? strncasecmp(u->value, want, n) == 0 : memcmp(u->value, want, n) == 0;
}

/* Called when a header's value is whole: the checks of RFC 6455 §4.1 (answer) and 7395 §3.1. */
static int check_header(struct ws_upgrade *u)
{
    u->value[u->value_len] = '\0';
    if (is_name(u, "Upgrade") && value_is(u, "websocket", true))
        u->seen |= WS_SEEN_UPGRADE;
    else if (is_name(u, "Connection") && !u->value_cut && list_has(u->value, "upgrade"))
        u->seen |= WS_SEEN_CONNECTION;
    else if (is_name(u, "Sec-WebSocket-Accept") && !value_is(u, u->accept, false))
        return refuse(u, "Sec-WebSocket-Accept does not answer our key");
    else if (is_name(u, "Sec-WebSocket-Accept"))
        u->seen |= WS_SEEN_ACCEPT;
    else if (is_name(u, "Sec-WebSocket-Protocol") && !value_is(u, "xmpp", false))
        return refuse(u, "a subprotocol other than xmpp");
    else if (is_name(u, "Sec-WebSocket-Protocol"))
        u->seen |= WS_SEEN_PROTOCOL;
    else if (is_name(u, "Sec-WebSocket-Extensions"))
        return refuse(u, "an extension we did not ask for");
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct ws_upgrade *u = upgrade_of(p);
    if (u->in_value) {
        int rc = check_header(u);
        if (rc)
            return rc;
        u->in_value = u->value_cut = false;
        u->name_len = u->value_len = 0;
    }
    /* A name longer than the buffer is none of ours: its cut start cannot match either. */
    size_t room = sizeof(u->name) - u->name_len;
    memcpy(u->name + u->name_len, at, n < room ? n : room);
    u->name_len += n < room ? n : room;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct ws_upgrade *u = upgrade_of(p);
    u->in_value = true;
    size_t room = WS_UPGRADE_VALUE_MAX - u->value_len;
    if (n > room)
        u->value_cut = true;
    memcpy(u->value + u->value_len, at, n < room ? n : room);
    u->value_len += n < room ? n : room;
    return 0;
}

static const char *missing(unsigned seen)
{
    if (!(seen & WS_SEEN_UPGRADE))
        return "no Upgrade: websocket";
    if (!(seen & WS_SEEN_CONNECTION))
        return "no Connection: upgrade";
    if (!(seen & WS_SEEN_ACCEPT))
        return "no Sec-WebSocket-Accept";
    return "no Sec-WebSocket-Protocol: xmpp (RFC 7395 §3.1)";
}

static int on_headers_complete(http_parser *p)
{
    struct ws_upgrade *u = upgrade_of(p);
    if (u->in_value && check_header(u))
        return -1;
    if (p->status_code != 101)
        return refuse(u, "the server answered the upgrade with another status than 101");
    if (u->seen != WS_SEEN_ALL)
        return refuse(u, missing(u->seen));
    u->state = WS_UPGRADE_DONE;
    return 2; /* no body, and what follows is not HTTP */
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
};

enum ws_upgrade_state ws_upgrade_feed(struct ws_upgrade *u, const char *data, size_t n,
                                      size_t *used)
{
    *used = 0;
    if (u->state != WS_UPGRADE_MORE || n == 0)
        return u->state;
    *used = http_parser_execute(&u->parser, &settings, data, n);
    if (u->state == WS_UPGRADE_MORE && HTTP_PARSER_ERRNO(&u->parser) != HPE_OK) {
        u->state = WS_UPGRADE_FAILED;
        u->why = "the server's answer to the upgrade is not HTTP/1.1";
    }
    return u->state;
}
