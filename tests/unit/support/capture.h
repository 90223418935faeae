/* SPDX-License-Identifier: MIT */
/* Captures stderr in a temp file so a test checks the error lines it expects, not prints them. */
#ifndef PL_TEST_CAPTURE_H
#define PL_TEST_CAPTURE_H

#include <stdio.h>

/* One stderr capture; zero-initialized, it is not capturing. */
struct capture {
    FILE *tmp; /* NULL when not capturing */
    int saved;
};

/* Sends stderr to a fresh temp file until capture_end(); fails the running test when no temp
 * file can be made. */
void capture_begin(struct capture *c);

/* Restores stderr and returns what was written since capture_begin() (owned by the caller,
 * release with free()). c->tmp is NULL again afterwards. */
char *capture_end(struct capture *c);

#endif
