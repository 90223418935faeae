/* SPDX-License-Identifier: MIT */
/* Which browser origins may use the web front: the server's own, and a configured list. */
#ifndef PL_ORIGIN_H
#define PL_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Is origin (the Origin header, e.g. "https://chat.example.org") in list (space-separated
 * origins; "*" allows any)? Compared whole and case-insensitively (RFC 6454 serializes the
 * scheme and host in lower case, but a configured list may not be). */
bool origin_listed(const char *list, const char *origin);
/* Can host (a Host header) name us in a URL: a DNS name, IPv4 or [IPv6] address with an
 * optional port, nothing that could break out of a URL, header or document? */
bool origin_host_ok(const char *host);
/* Is origin an http(s) origin whose host passes origin_host_ok (safe to echo back)? */
bool origin_serialized(const char *origin);

#endif
