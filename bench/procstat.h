/* SPDX-License-Identifier: MIT */
/* Samples another process's CPU time and resident memory. */
#ifndef PB_PROCSTAT_H
#define PB_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* One reading: CPU seconds (user + system) and RSS, at a monotonic time. */
struct proc_sample {
    bool ok;
    double cpu_s;
    long rss_kib;
    uint64_t at_us;
};

/* Reads PID's CPU-time clock (or /proc/PID/stat) and /proc/PID/status; out->ok is false
 * when pid is 0 or gone. */
void procstat_sample(long pid, uint64_t now_us, struct proc_sample *out);
/* CPU use between two readings in percent of one core; -1 when either is missing. */
double procstat_cpu_pct(const struct proc_sample *from, const struct proc_sample *to);

#endif
