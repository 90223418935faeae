/* SPDX-License-Identifier: MIT */
/* Growable byte buffer used for serialized output and scratch text. */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stddef.h>

/* A byte buffer owned by whoever holds the struct; data is NUL-terminated when len > 0. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
/* Empties the buffer, keeping its storage for reuse. */
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Gives back the capacity beyond the contents: for buffers that are kept, not grown. */
void buf_fit(struct buf *b);
/* Releases storage above keep bytes when the buffer is empty, so idle owners stay small. */
void buf_shrink(struct buf *b, size_t keep);

#endif
