/* SPDX-License-Identifier: MIT */
/* Logging to stderr with a runtime level; stderr may be pointed at a log file. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

static enum log_level threshold = LOG_INFO;

void log_set_level(enum log_level level) { threshold = level; }

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    if (level < threshold)
        return;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(stderr, "%s %-5s [%s] ", when, names[level], tag ? tag : "-");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The file replaces stderr itself, so whatever else writes there (a sanitizer report, a
 * library's complaint) lands in the same file, and reopening after logrotate is one dup2. */
int log_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_error("log", "cannot open log_file %s: %s", path, strerror(errno));
        return PL_EIO;
    }
    fflush(stderr);
    int rc = dup2(fd, STDERR_FILENO) < 0 ? PL_EIO : PL_OK;
    if (rc != PL_OK)
        log_error("log", "cannot write to log_file %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}
