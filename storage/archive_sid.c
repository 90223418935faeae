/* SPDX-License-Identifier: MIT */
/* Stanza-ids of archived messages (XEP-0359): an archive key and a random tag in one string,
 * the same for every backend. */
#include <string.h>

#include "storage.h"

#define KEY_DIGITS 14
#define TAG_CHARS 8 /* 6 bits each: ARCHIVE_TAG_BITS */

/* Every archived message formats one and parses it back: digit by digit, no printf. */
static const char hex[] = "0123456789abcdef";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void archive_sid_format(long long key, unsigned long long tag, char out[ARCHIVE_SID_LEN + 1])
{
    unsigned long long k = (unsigned long long)key;
    for (int i = KEY_DIGITS - 1; i >= 0; i--, k >>= 4)
        out[i] = hex[k & 15];
    for (int i = TAG_CHARS - 1; i >= 0; i--, tag >>= 6)
        out[KEY_DIGITS + i] = b64url[tag & 63];
    out[ARCHIVE_SID_LEN] = '\0';
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int b64url_value(char c)
{
    return c >= 'A' && c <= 'Z'   ? c - 'A'
           : c >= 'a' && c <= 'z' ? c - 'a' + 26
           : c >= '0' && c <= '9' ? c - '0' + 52
           : c == '-'             ? 62
           : c == '_'             ? 63
                                  : -1;
}

bool archive_sid_parse(const char *sid, long long *key, unsigned long long *tag)
{
    unsigned long long k = 0, t = 0;
    if (strlen(sid) != ARCHIVE_SID_LEN)
        return false;
    for (int i = 0; i < KEY_DIGITS; i++) {
        int v = hex_value(sid[i]);
        if (v < 0)
            return false;
        k = k << 4 | (unsigned)v;
    }
    for (int i = KEY_DIGITS; i < ARCHIVE_SID_LEN; i++) {
        int v = b64url_value(sid[i]);
        if (v < 0)
            return false;
        t = t << 6 | (unsigned)v;
    }
    *key = (long long)k;
    *tag = t;
    return true;
}
