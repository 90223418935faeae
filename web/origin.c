/* SPDX-License-Identifier: MIT */
/* Origin allow-list and Host checks for the web front. */
#include "origin.h"

#include <string.h>
#include <strings.h>

bool origin_listed(const char *list, const char *origin)
{
    size_t n = strlen(origin);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (len == 1 && *p == '*')
            return true;
        if (len && len == n && strncasecmp(p, origin, n) == 0)
            return true;
        p += len;
    }
    return false;
}

bool origin_host_ok(const char *host)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789.-:[]";
    size_t n = strlen(host);
    return n > 0 && n <= 255 && strspn(host, allowed) == n;
}

bool origin_serialized(const char *origin)
{
    const char *host = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                             : NULL;
    return host && origin_host_ok(host);
}
