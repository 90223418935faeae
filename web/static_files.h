/* SPDX-License-Identifier: MIT */
/* Files served as they are from a folder (the web chat page and its scripts): safe names
 * only, a content type by extension, bounded size. */
#ifndef PL_STATIC_FILES_H
#define PL_STATIC_FILES_H

#include <stddef.h>

#include "buf.h"

#define STATIC_FILE_MAX (16u * 1024 * 1024)

/* Reads the file at rel (a URL path below the folder, "" or ending in '/' meaning its
 * index.html) under root into out. Returns 200 with *type set, 404 when there is no such
 * regular file, 403 for a name that could leave the folder or reveal hidden files ("..",
 * a segment starting with '.', bytes outside [A-Za-z0-9._~/-]), 413 past STATIC_FILE_MAX, or
 * 500 when it cannot be read. */
int static_file_load(const char *root, const char *rel, struct buf *out, const char **type);

#endif
