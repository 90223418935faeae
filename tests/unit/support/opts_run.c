/* SPDX-License-Identifier: MIT */
/* Runs parley-bench's command-line parser on a list of arguments, its complaints kept. */
#include "opts_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base.h"

int opts_run_setup(void **state)
{
    *state = xcalloc(1, sizeof(struct opts_run));
    return 0;
}

void opts_run_close(struct opts_run *f)
{
    if (f->err)
        fclose(f->err);
    free(f->text);
    f->err = NULL;
    f->text = NULL;
}

int opts_run_teardown(void **state)
{
    opts_run_close(*state);
    free(*state);
    return 0;
}

int opts_run(struct opts_run *f, const char *const *args, struct bench_opts *o)
{
    char *argv[OPTS_RUN_MAX_ARGS + 2] = { "parley-bench" };
    int argc = 1;
    for (; argc <= OPTS_RUN_MAX_ARGS && args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    opts_run_close(f);
    f->err = open_memstream(&f->text, &f->len);
    assert_non_null(f->err);
    int rc = opts_parse(argc, argv, o, f->err);
    fflush(f->err);
    return rc;
}
