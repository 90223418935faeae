/* SPDX-License-Identifier: MIT */
/* Static files for the web front. Names are checked, never resolved: a path made of safe
 * segments cannot leave the folder, so no realpath race is needed. */
#include "static_files.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".map", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".woff2", "font/woff2" },
    { ".woff", "font/woff" },
    { ".ttf", "font/ttf" },
    { ".wasm", "application/wasm" },
    { ".mp3", "audio/mpeg" },
    { ".ogg", "audio/ogg" },
    { ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static bool safe_name(const char *rel)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789._~/-";
    if (strspn(rel, allowed) != strlen(rel))
        return false;
    for (const char *seg = rel; *seg; seg += strcspn(seg, "/"), seg += *seg == '/') {
        if (*seg == '.' || *seg == '/')
            return false; /* hidden files, "..", and empty segments */
    }
    return true;
}

static int read_whole(int fd, size_t size, struct buf *out)
{
    size_t start = out->len, got = 0;
    while (got < size) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buf_append(out, chunk, (size_t)n);
        got += (size_t)n;
    }
    if (got == size)
        return 200;
    out->len = start;
    return 500;
}

int static_file_load(const char *root, const char *rel, struct buf *out, const char **type)
{
    if (!safe_name(rel))
        return 403;
    char path[4096];
    bool index = !*rel || rel[strlen(rel) - 1] == '/';
    int len = snprintf(path, sizeof(path), "%s/%s%s", root, rel, index ? "index.html" : "");
    if (len < 0 || (size_t)len >= sizeof(path))
        return 404;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return 404;
    }
    bool too_big = st.st_size > (off_t)STATIC_FILE_MAX;
    int status = too_big ? 413 : read_whole(fd, (size_t)st.st_size, out);
    close(fd);
    *type = type_of(path);
    return status;
}
