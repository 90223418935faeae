/* SPDX-License-Identifier: MIT */
/* The server's one monotonic clock, for timers, throttles and log limits. */
#ifndef PL_CLOCK_H
#define PL_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: never jumps with the wall clock. Code that keeps time
 * (throttle, loglimit, auth_guard) takes this value as a parameter, so tests pass a fake. */
uint64_t clock_now_ms(void);

/* The same clock in microseconds. */
uint64_t clock_now_us(void);

#endif
