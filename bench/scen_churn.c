/* SPDX-License-Identifier: MIT */
/* Churn scenario: connect, log in and cleanly disconnect, over and over, --parallel at a time. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base.h"
#include "run.h"

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    churn_tick(arg, pb_now_us());
}

int churn_init(struct run *r)
{
    struct churn *ch = &r->churn;
    ch->idle = xcalloc(r->eng.n, sizeof(*ch->idle));
    for (size_t i = 0; i < r->eng.n; i++)
        ch->idle[i] = &r->eng.clients[i];
    ch->n_idle = r->eng.n;
    ch->kick = event_new(r->eng.base, -1, 0, kick_cb, r);
    r->phase = PH_CHURN;
    return ch->kick ? PL_OK : PL_EINVAL;
}

void churn_fini(struct run *r)
{
    struct churn *ch = &r->churn;
    if (ch->kick)
        event_free(ch->kick);
    free(ch->idle);
    memset(ch, 0, sizeof(*ch));
}

static void push_idle(struct run *r, struct client *c)
{
    struct churn *ch = &r->churn;
    ch->idle[(ch->head + ch->n_idle++) % r->eng.n] = c;
}

static struct client *pop_idle(struct run *r)
{
    struct churn *ch = &r->churn;
    struct client *c = ch->idle[ch->head];
    ch->head = (ch->head + 1) % r->eng.n;
    ch->n_idle--;
    return c;
}

/* Sessions in flight: every client that is neither idle nor closed. */
static unsigned active(const struct run *r)
{
    return r->eng.in_flight + r->eng.online;
}

/*
 * Starts cycles while fewer than --parallel are in flight. Each idle client is tried at most
 * once per call: a start that fails at once goes back to the ring and must not spin here.
 */
static void fill(struct run *r)
{
    size_t tries = r->churn.n_idle;
    while (tries-- > 0 && active(r) < (unsigned long)r->o->parallel)
        client_start(pop_idle(r));
}

void churn_online(struct run *r, struct client *c)
{
    (void)r;
    client_end(c); /* goes out with <presence/>, in the same write */
}

void churn_closed(struct run *r, struct client *c, bool failed)
{
    push_idle(r, c);
    if (!failed && c->ending && r->phase != PH_DONE)
        r->churn.cycles++;
    /* Not from here: we are inside the callbacks of the connection that just closed. */
    if (r->phase == PH_CHURN || r->phase == PH_DRAIN)
        event_active(r->churn.kick, EV_TIMEOUT, 1);
}

static void finish(struct run *r, uint64_t now_us)
{
    r->churn.end_us = now_us;
    procstat_sample(r->o->server_pid, now_us, &r->ps_last);
    r->main_cpu_pct = procstat_cpu_pct(&r->ps_start, &r->ps_last);
    run_enter(r, PH_DONE, now_us);
}

void churn_tick(struct run *r, uint64_t now_us)
{
    engine_expire(&r->eng, now_us, (uint64_t)(r->o->timeout * 1e6));
    if (r->phase == PH_CHURN && now_us - r->phase_us >= (uint64_t)(r->o->duration * 1e6))
        run_enter(r, PH_DRAIN, now_us); /* no new cycles; those in flight may finish */
    if (r->phase == PH_CHURN)
        fill(r);
    else if (r->phase == PH_DRAIN &&
             (active(r) == 0 || now_us - r->phase_us >= (uint64_t)(r->o->drain * 1e6)))
        finish(r, now_us);
}

double churn_cycles_per_s(const struct run *r)
{
    uint64_t end = r->churn.end_us ? r->churn.end_us : r->ps_last.at_us;
    if (!r->churn.cycles || end <= r->t0_us)
        return 0;
    return (double)r->churn.cycles / ((double)(end - r->t0_us) / 1e6);
}
