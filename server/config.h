/* SPDX-License-Identifier: MIT */
/* Table-driven parser for `key = value` config files with [section] blocks. */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum cfg_type {
    CFG_STRING, /* char *, owned by the struct after config_load */
    CFG_PATH,   /* char *, resolved against the config file's folder when relative */
    CFG_INT,    /* long, within [min, max] */
    CFG_BOOL,   /* bool: true/false, yes/no, on/off, 1/0 */
    CFG_ENUM,   /* int: index into choices */
};

/* One option: where it lives in its section's struct, its default and its bounds. */
struct cfg_opt {
    const char *name;
    enum cfg_type type;
    size_t offset;
    const char *def; /* default as text, parsed like a value from the file; NULL = none */
    long min, max;
    const char *const *choices; /* CFG_ENUM: NULL-terminated */
};

/* A section ("" for top-level keys) and the struct its options fill. */
struct cfg_section {
    const char *name;
    const struct cfg_opt *opts;
    size_t n_opts;
    void *base;
};

/*
 * Applies defaults, then reads path. Unknown keys, unknown sections and bad values fail with
 * "file:line: message" appended to err. Returns PL_OK, PL_EINVAL or PL_EIO (unreadable).
 */
int config_load(const char *path, const struct cfg_section *sections, size_t n, struct buf *err);
/* Frees the strings config_load stored into the sections' structs. */
void config_free(const struct cfg_section *sections, size_t n);

#endif
