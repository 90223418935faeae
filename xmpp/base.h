/* SPDX-License-Identifier: MIT */
/* Project-wide error codes, aborting allocators and small helpers shared by every layer. */
#ifndef PL_BASE_H
#define PL_BASE_H

#include <stdbool.h>
#include <stddef.h>

/* One error enum for the whole project: PL_OK is zero, failures are negative. */
enum pl_err {
    PL_OK = 0,
    PL_EINVAL = -1,    /* malformed input */
    PL_ENOTFOUND = -2, /* no such object */
    PL_EEXIST = -3,    /* object already exists */
    PL_EIO = -4,       /* storage or system failure */
    PL_ELIMIT = -5,    /* a configured limit was exceeded */
    PL_EAUTH = -6,     /* authentication failed */
    PL_EDENIED = -7,   /* not allowed by policy */
    PL_ECLOSED = -8,   /* the stream or connection is closing */
};

/* Returns a static human-readable name for an enum pl_err value. */
const char *pl_strerror(int err);

/* Allocators that abort the process on failure (memory is bounded by input limits). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Fills out with n random bytes as 2n lowercase hex digits and a NUL (out holds 2n + 1).
 * Returns false, with all zeros written, when no randomness could be drawn. */
bool random_hex(char *out, size_t n);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
