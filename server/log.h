/* SPDX-License-Identifier: MIT */
/* One log line per event on stderr (or log_file): time, level, tag, message. */
#ifndef PL_LOG_H
#define PL_LOG_H

#include "options.h"

/* The threshold is process-wide, like stderr itself; set once at start-up. */
void log_set_level(enum log_level level);
/* Points the log (and stderr) at path, opened for appending and created 0640 if missing; also
 * reopens it after logrotate moved it away. Returns PL_OK, or PL_EIO (logged) leaving the
 * log where it was. */
int log_open(const char *path);
void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(tag, ...) log_msg(LOG_DEBUG, tag, __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)

#endif
