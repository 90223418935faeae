/* SPDX-License-Identifier: MIT */
/* Captures stderr in a temp file so a test checks the error lines it expects, not prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"

void capture_begin(struct capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved = dup(STDERR_FILENO);
    dup2(fileno(c->tmp), STDERR_FILENO);
}

char *capture_end(struct capture *c)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    long n = ftell(c->tmp);
    char *s = xcalloc(1, (size_t)(n > 0 ? n : 0) + 1);
    rewind(c->tmp);
    if (n > 0 && fread(s, 1, (size_t)n, c->tmp) != (size_t)n)
        s[0] = '\0';
    fclose(c->tmp);
    c->tmp = NULL;
    return s;
}
