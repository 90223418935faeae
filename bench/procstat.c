/* SPDX-License-Identifier: MIT */
/* Reads a process's CPU time and VmRSS for the server-side figures. */
#include "procstat.h"

#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* CPU seconds from /proc/PID/stat: whole clock ticks (10 ms), too coarse for a short step at
 * a low rate, where one tick is several per cent of what a server spends. */
static bool read_cpu_ticks(long pid, double *cpu_s)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    /* The command name may hold spaces and parentheses: fields count from the last ')'. */
    char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long utime, stime;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                     &stime) != 2)
        return false;
    *cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return true;
}

/* The process's CPU-time clock: every thread's time, to the nanosecond; the ticks when the
 * clock cannot be read (another user's process). */
static bool read_cpu(long pid, double *cpu_s)
{
    clockid_t clock;
    struct timespec t;
    if (clock_getcpuclockid((pid_t)pid, &clock) == 0 && clock_gettime(clock, &t) == 0) {
        *cpu_s = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
        return true;
    }
    return read_cpu_ticks(pid, cpu_s);
}

static bool read_rss(long pid, long *rss_kib)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = false;
    while (!ok && fgets(line, sizeof(line), f))
        ok = sscanf(line, "VmRSS: %ld kB", rss_kib) == 1;
    fclose(f);
    return ok;
}

void procstat_sample(long pid, uint64_t now_us, struct proc_sample *out)
{
    memset(out, 0, sizeof(*out));
    out->at_us = now_us;
    out->ok = pid > 0 && read_cpu(pid, &out->cpu_s) && read_rss(pid, &out->rss_kib);
}

double procstat_cpu_pct(const struct proc_sample *from, const struct proc_sample *to)
{
    if (!from->ok || !to->ok || to->at_us <= from->at_us)
        return -1;
    return 100.0 * (to->cpu_s - from->cpu_s) / ((double)(to->at_us - from->at_us) / 1e6);
}
