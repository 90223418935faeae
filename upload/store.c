/* SPDX-License-Identifier: MIT */
/* Uploaded files on disk: <dir>/<token>/meta, then <dir>/<token>/data, each written to a
 * temporary file, synced and renamed into place, so that after a crash a file is whole with
 * its metadata or its data is absent (and the start-up sweep removes the rest). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "upload.h"

#define META_FILE "meta"
#define DATA_FILE "data"
#define META_MAX 4096 /* a metadata file is a few lines */

int upload_store_open(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return PL_EIO;
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) ? PL_OK : PL_EIO;
}

static int open_dir(const char *dir, const char *token)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, token);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -1;
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* name.tmp written and synced, then renamed to name, and the rename synced. */
static bool write_synced(int dfd, const char *name, const void *data, size_t n)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    bool ok = write_all(fd, data, n) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && renameat(dfd, tmp, dfd, name) == 0 && fsync(dfd) == 0;
    if (!ok)
        unlinkat(dfd, tmp, 0);
    return ok;
}

int upload_store_put(const char *dir, const char *token, const struct upload_meta *m,
                     const void *data, size_t n)
{
    int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return PL_EIO;
    bool ok = (mkdirat(top, token, 0700) == 0 || errno == EEXIST) && fsync(top) == 0;
    int dfd = ok ? openat(top, token, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    struct buf text;
    buf_init(&text);
    upload_meta_format(m, &text);
    /* the metadata first: data without it would be a file nobody owns */
    ok = dfd >= 0 && write_synced(dfd, META_FILE, text.data, text.len) &&
         write_synced(dfd, DATA_FILE, data, n);
    buf_fini(&text);
    if (dfd >= 0)
        close(dfd);
    close(top);
    if (!ok)
        upload_store_remove(dir, token);
    return ok ? PL_OK : PL_EIO;
}

/* Reads the whole of dfd's file name, at most max bytes, into out. */
static int read_file(int dfd, const char *name, size_t max, struct buf *out)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? PL_ENOTFOUND : PL_EIO;
    struct stat sb;
    bool fits = fstat(fd, &sb) == 0 && (size_t)sb.st_size <= max;
    int rc = fits ? PL_OK : PL_EIO;
    char chunk[16384];
    for (size_t left = (size_t)sb.st_size; rc == PL_OK && left;) {
        ssize_t r = read(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = PL_EIO;
            break;
        }
        buf_append(out, chunk, (size_t)r);
        left -= (size_t)r;
    }
    close(fd);
    return rc;
}

int upload_store_meta(const char *dir, const char *token, struct upload_meta *m)
{
    int dfd = open_dir(dir, token);
    if (dfd < 0)
        return errno == ENOENT ? PL_ENOTFOUND : PL_EIO;
    struct buf text;
    buf_init(&text);
    int rc = faccessat(dfd, DATA_FILE, F_OK, 0) == 0 ? PL_OK : PL_ENOTFOUND;
    if (rc == PL_OK)
        rc = read_file(dfd, META_FILE, META_MAX, &text);
    if (rc == PL_OK)
        rc = upload_meta_parse(text.data ? text.data : "", text.len, m);
    buf_fini(&text);
    close(dfd);
    return rc;
}

int upload_store_data(const char *dir, const char *token, long long size, int *fd)
{
    int dfd = open_dir(dir, token);
    if (dfd < 0)
        return errno == ENOENT ? PL_ENOTFOUND : PL_EIO;
    *fd = openat(dfd, DATA_FILE, O_RDONLY | O_CLOEXEC);
    int rc = *fd < 0 ? (errno == ENOENT ? PL_ENOTFOUND : PL_EIO) : PL_OK;
    close(dfd);
    struct stat sb;
    if (rc == PL_OK && (fstat(*fd, &sb) != 0 || sb.st_size != size)) {
        close(*fd);
        *fd = -1;
        rc = PL_EIO;
    }
    return rc;
}

bool upload_store_exists(const char *dir, const char *token)
{
    int dfd = open_dir(dir, token);
    if (dfd < 0)
        return false;
    bool there = faccessat(dfd, DATA_FILE, F_OK, 0) == 0;
    close(dfd);
    return there;
}

int upload_store_remove(const char *dir, const char *token)
{
    int dfd = open_dir(dir, token);
    if (dfd < 0)
        return errno == ENOENT ? PL_OK : PL_EIO;
    /* the data first: without it, what is left is never served */
    static const char *const files[] = { DATA_FILE, META_FILE, DATA_FILE ".tmp",
                                         META_FILE ".tmp" };
    for (size_t i = 0; i < ARRAY_LEN(files); i++)
        unlinkat(dfd, files[i], 0);
    close(dfd);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, token);
    return rmdir(path) == 0 || errno == ENOENT ? PL_OK : PL_EIO;
}
