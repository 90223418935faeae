/* SPDX-License-Identifier: MIT */
/* Aborting allocators and error names. */
#include "base.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pl_strerror(int err)
{
    switch (err) {
    case PL_OK: return "ok";
    case PL_EINVAL: return "invalid input";
    case PL_ENOTFOUND: return "not found";
    case PL_EEXIST: return "already exists";
    case PL_EIO: return "i/o error";
    case PL_ELIMIT: return "limit exceeded";
    case PL_EAUTH: return "authentication failed";
    case PL_EDENIED: return "denied";
    case PL_ECLOSED: return "closed";
    }
    return "unknown error";
}

static void *check(void *p)
{
    if (!p) {
        fputs("parley: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check(strdup(s)); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s, n)); }

bool random_hex(char *out, size_t n)
{
    unsigned char raw[64];
    bool ok = n <= sizeof(raw) && RAND_bytes(raw, (int)n) == 1;
    if (!ok)
        memset(raw, 0, sizeof(raw));
    for (size_t i = 0; i < n && i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    out[2 * (n < sizeof(raw) ? n : sizeof(raw))] = '\0';
    return ok;
}
