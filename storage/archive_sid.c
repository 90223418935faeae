/* SPDX-License-Identifier: MIT */
/* Stanza-ids of archived messages (XEP-0359): an archive key and a random tag in one string,
 * the same for every backend. */
#include <stdio.h>
#include <string.h>

#include "storage.h"

#define KEY_DIGITS 14
#define TAG_CHARS 8 /* 6 bits each: ARCHIVE_TAG_BITS */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void archive_sid_format(long long key, unsigned long long tag, char out[ARCHIVE_SID_LEN + 1])
{
    snprintf(out, KEY_DIGITS + 1, "%0*llx", KEY_DIGITS, (unsigned long long)key);
    for (int i = TAG_CHARS - 1; i >= 0; i--, tag >>= 6)
        out[KEY_DIGITS + i] = b64url[tag & 63];
    out[ARCHIVE_SID_LEN] = '\0';
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
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
        const char *p = sid[i] ? strchr(b64url, sid[i]) : NULL;
        if (!p)
            return false;
        t = t << 6 | (unsigned long long)(p - b64url);
    }
    *key = (long long)k;
    *tag = t;
    return true;
}
