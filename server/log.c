/* SPDX-License-Identifier: MIT */
/* Logging to stderr with a runtime level. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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
