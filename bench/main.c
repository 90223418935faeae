/* SPDX-License-Identifier: MIT */
/* parley-bench: XMPP load bot; parses the command line and runs one bounded scenario. */
#include <signal.h>
#include <stdio.h>

#include "base.h"
#include "net.h"
#include "opts.h"
#include "run.h"

int main(int argc, char **argv)
{
    struct bench_opts o;
    int rc = opts_parse(argc, argv, &o, stderr);
    if (rc >= 0)
        return rc;
    /* A server that drops us mid-write must not kill the bot; the write error is enough. */
    signal(SIGPIPE, SIG_IGN);
    if (o.scenario == SCEN_REGISTER && o.register_cmd)
        return register_with_command(&o);
    long nofile = net_raise_nofile();
    /* Churn holds at most one session per account, --parallel of them. */
    long sessions = o.scenario == SCEN_CHURN && o.parallel < o.count ? o.parallel : o.count;
    if (nofile > 0 && sessions + 64 > nofile)
        fprintf(stderr, "parley-bench: warning: %ld sessions need more than the %ld file "
                        "descriptors allowed\n", sessions, nofile);
    static struct run r; /* large: histograms inside */
    rc = run_init(&r, &o) == PL_OK ? run_main(&r) : 2;
    run_fini(&r);
    return rc;
}
