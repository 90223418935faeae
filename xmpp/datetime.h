/* SPDX-License-Identifier: MIT */
/* XEP-0082 DateTime stamps (delay, archive, history): UTC with microseconds. */
#ifndef PL_DATETIME_H
#define PL_DATETIME_H

#include <stddef.h>

/* Writes ts_us (microseconds since the epoch) as an XEP-0082 DateTime in UTC with
 * microseconds into out (>= 32 bytes). */
void datetime_format(long long ts_us, char *out, size_t len);
/* Parses an XEP-0082 DateTime into microseconds since the epoch; PL_OK or PL_EINVAL. */
int datetime_parse(const char *text, long long *ts_us);

#endif
