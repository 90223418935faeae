/* SPDX-License-Identifier: MIT */
/* Register mode with --register-cmd: runs e.g. parleyctl once per account, a few at a time. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "engine.h"
#include "run.h"

extern char **environ;

#define MAX_ARGS 64
#define MAX_CONCURRENT 4 /* SQLite-backed tools serialize their writes anyway */

/* The command split on blanks (no shell, so passwords need no quoting); owned strings. */
struct command {
    char *words[MAX_ARGS + 1];
    size_t n;
};

static int split_command(const char *tmpl, struct command *cmd)
{
    char *copy = xstrdup(tmpl), *save = NULL;
    cmd->n = 0;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (cmd->n == MAX_ARGS) {
            free(copy);
            return PL_EINVAL;
        }
        cmd->words[cmd->n++] = w;
    }
    cmd->words[cmd->n] = NULL;
    if (cmd->n == 0)
        free(copy);
    return cmd->n ? PL_OK : PL_EINVAL;
}

/* argv for one account: each "%s" word takes the JID, then the password. Owned strings. */
static char **make_argv(const struct command *cmd, const char *jid, const char *password)
{
    char **argv = xcalloc(cmd->n + 1, sizeof(*argv));
    const char *subst[] = { jid, password };
    size_t next = 0;
    for (size_t i = 0; i < cmd->n; i++) {
        bool take = strcmp(cmd->words[i], "%s") == 0 && next < ARRAY_LEN(subst);
        argv[i] = xstrdup(take ? subst[next++] : cmd->words[i]);
    }
    return argv;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static pid_t spawn_one(const struct command *cmd, const struct bench_opts *o, long num)
{
    char user[256], jid[512];
    opts_user_name(o, num, user, sizeof(user));
    snprintf(jid, sizeof(jid), "%s@%s", user, o->domain);
    char **argv = make_argv(cmd, jid, o->password);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fprintf(stderr, "parley-bench: cannot run %s: %s\n", argv[0], strerror(rc));
    free_argv(argv);
    return rc == 0 ? pid : -1;
}

struct reg_state {
    pid_t running[MAX_CONCURRENT];
    size_t n_running;
    long ok, failed;
};

/* Waits for one child; false when none is left. */
static bool reap_one(struct reg_state *s)
{
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0)
        return false;
    for (size_t i = 0; i < s->n_running; i++)
        if (s->running[i] == pid)
            s->running[i] = s->running[--s->n_running];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        s->ok++;
    else
        s->failed++;
    return true;
}

static void kill_running(struct reg_state *s)
{
    for (size_t i = 0; i < s->n_running; i++)
        kill(s->running[i], SIGTERM);
    while (s->n_running && reap_one(s))
        ;
}

int register_with_command(const struct bench_opts *o)
{
    struct command cmd;
    if (split_command(o->register_cmd, &cmd) != PL_OK) {
        fprintf(stderr, "parley-bench: bad --register-cmd\n");
        return 2;
    }
    struct reg_state s = { 0 };
    size_t cap = o->parallel < MAX_CONCURRENT ? (size_t)o->parallel : MAX_CONCURRENT;
    uint64_t t0 = pb_now_us(), limit = (uint64_t)(o->timeout * 1e6);
    long num = o->first;
    for (; num < o->first + o->count && pb_now_us() - t0 < limit; num++) {
        while (s.n_running >= cap && reap_one(&s))
            ;
        pid_t pid = spawn_one(&cmd, o, num);
        if (pid < 0)
            s.failed++;
        else
            s.running[s.n_running++] = pid;
    }
    if (num < o->first + o->count)
        fprintf(stderr, "parley-bench: --timeout reached, %ld accounts not tried\n",
                o->first + o->count - num);
    while (s.n_running && pb_now_us() - t0 < limit && reap_one(&s))
        ;
    kill_running(&s);
    double secs = (double)(pb_now_us() - t0) / 1e6;
    printf("parley-bench register: %ld of %ld accounts created with %s in %.2f s, %ld failed\n",
           s.ok, o->count, cmd.words[0], secs, s.failed);
    free(cmd.words[0]); /* the strtok_r copy */
    return s.ok == o->count ? 0 : 1;
}
