/* SPDX-License-Identifier: MIT */
/* parleyd: loads the config, then serves in the foreground until SIGTERM or SIGINT. */
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "server.h"
#include "version.h"

static int usage(FILE *out, int code)
{
    fprintf(out, "usage: parleyd -c FILE [--check-config]\n"
                 "       parleyd --version\n");
    return code;
}

/* The hint is for a first start: once an account exists it is noise. */
static void print_banner(struct server *srv, const char *conf)
{
    bool any = true;
    printf("parleyd %s serving %s", PARLEY_VERSION, srv->cfg.domain);
    if (srv->cfg.c2s_port)
        printf(", STARTTLS on %s:%ld", srv->cfg.bind_address, srv->cfg.c2s_port);
    if (srv->cfg.c2s_tls_port)
        printf(", direct TLS on %s:%ld", srv->cfg.bind_address, srv->cfg.c2s_tls_port);
    printf("\n");
    if (accounts_exist(&srv->store, &any) == PL_OK && !any)
        printf("no accounts yet; add one: bin/parleyctl -c %s adduser alice@%s PASSWORD\n",
               conf, srv->cfg.domain);
    fflush(stdout);
}

/* --check-config: the file parsed; now what start-up would meet on this machine. */
static int report_check(const struct server *srv, const char *conf)
{
    unsigned problems = server_check(srv);
    if (problems) {
        fprintf(stderr, "%s: %u problem%s found\n", conf, problems, problems > 1 ? "s" : "");
        return PL_EINVAL;
    }
    printf("%s: configuration ok\n", conf);
    return PL_OK;
}

/* Returns -1 to go on, or the exit code when the arguments already decided. */
static int parse_args(int argc, char **argv, const char **conf, bool *check_only)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            *conf = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0)
            *check_only = true;
        else if (strcmp(argv[i], "--version") == 0)
            return printf("parleyd %s\n", PARLEY_VERSION) < 0;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return usage(stdout, 0);
        else
            return usage(stderr, 2);
    }
    return *conf ? -1 : usage(stderr, 2);
}

int main(int argc, char **argv)
{
    const char *conf = NULL;
    bool check_only = false;
    int rc = parse_args(argc, argv, &conf, &check_only);
    if (rc >= 0)
        return rc;
    static struct server srv;
    struct buf err;
    buf_init(&err);
    rc = server_load_config(&srv, conf, &err);
    if (rc != PL_OK)
        fprintf(stderr, "parleyd: %s\n", err.data ? err.data : conf);
    buf_fini(&err);
    if (rc == PL_OK && check_only)
        rc = report_check(&srv, conf);
    if (rc != PL_OK || check_only) {
        server_fini(&srv);
        return rc != PL_OK ? 2 : 0;
    }
    rc = server_start(&srv);
    if (rc == PL_OK) {
        print_banner(&srv, conf);
        server_run(&srv);
    }
    server_fini(&srv);
    return rc == PL_OK ? 0 : 1;
}
