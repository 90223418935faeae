/* SPDX-License-Identifier: MIT */
/* Runs parley-bench's command-line parser on a list of arguments, its complaints kept. */
#ifndef PL_OPTS_RUN_H
#define PL_OPTS_RUN_H

#include <stdio.h>

#include "opts.h"

#define OPTS_RUN_MAX_ARGS 24

/* Where opts_parse writes its complaints: a memory stream (cmocka state). */
struct opts_run {
    char *text;
    size_t len;
    FILE *err;
};

/* cmocka setup and teardown of a struct opts_run in *state. */
int opts_run_setup(void **state);
/* Closes the error stream and forgets its text (opts_run does this before each run). */
void opts_run_close(struct opts_run *f);
int opts_run_teardown(void **state);
/* Runs opts_parse on "parley-bench" + args (NULL-terminated, at most OPTS_RUN_MAX_ARGS); returns its code,
 * with what it wrote to its error stream in f->text. */
int opts_run(struct opts_run *f, const char *const *args, struct bench_opts *o);

#endif
