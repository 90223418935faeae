/* SPDX-License-Identifier: MIT */
/* Tests of the bot's server CPU and memory readings (bench/procstat.c): finer than a clock
 * tick, and nothing from a process that is gone. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "procstat.h"

/* The CPU the child burns before it tells the parent: under one clock tick (10 ms), which
 * whole-tick readings would show as 0 or 10 ms. */
#define BURN_NS 3000000L

static long cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* A child that burns BURN_NS of CPU, writes a byte to fd and waits to be killed. */
static pid_t burner(int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        volatile unsigned long spin = 0;
        while (cpu_ns() < BURN_NS)
            spin++;
        if (write(fd, "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    return pid;
}

static void test_cpu_finer_than_a_tick(void **state)
{
    (void)state;
    int p[2];
    char c;
    struct proc_sample s, gone, none;
    assert_int_equal(pipe(p), 0);
    pid_t pid = burner(p[1]);
    assert_true(pid > 0);
    assert_int_equal(read(p[0], &c, 1), 1);
    procstat_sample(pid, 1000, &s);
    assert_true(s.ok);
    assert_true(s.rss_kib > 0);
    /* What it burned, and at most the little that fork and the write cost on top. */
    assert_true(s.cpu_s >= BURN_NS / 1e9 && s.cpu_s < 0.009);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    procstat_sample(pid, 2000, &gone);
    assert_false(gone.ok);
    procstat_sample(0, 2000, &none);
    assert_false(none.ok);
    assert_true(procstat_cpu_pct(&s, &gone) < 0);
    close(p[0]);
    close(p[1]);
}

static void test_cpu_pct(void **state)
{
    (void)state;
    struct proc_sample a = { .ok = true, .cpu_s = 1.0, .at_us = 1000000 };
    struct proc_sample b = { .ok = true, .cpu_s = 1.25, .at_us = 2000000 };
    assert_true(procstat_cpu_pct(&a, &b) > 24.999 && procstat_cpu_pct(&a, &b) < 25.001);
    assert_true(procstat_cpu_pct(&b, &a) < 0); /* out of order */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_finer_than_a_tick),
        cmocka_unit_test(test_cpu_pct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
