/* SPDX-License-Identifier: MIT */
/* Drives a run: the login storm under the parallelism cap, then hold, room joins and stepped
 * load (chat, muc, mixed); or churn. */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base.h"

#define CLOSE_GRACE_MS 300 /* lets the closing tags go out before the process ends */

static void fill(struct run *r);

/* Scenarios that pick senders from the online list. */
static bool uses_live(const struct run *r)
{
    return r->o->scenario == SCEN_CHAT || r->o->scenario == SCEN_MIXED;
}

static void on_online(void *ctx, struct client *c, uint64_t now_us)
{
    struct run *r = ctx;
    if (r->o->mam && c == r->mam.owner)
        ; /* the archive's owner queries; it neither sends nor gets chat */
    else if (uses_live(r))
        chat_online(r, c);
    else if (r->o->scenario == SCEN_OFFLINE)
        offline_online(r, c, now_us);
    else if (r->o->scenario == SCEN_CHURN)
        churn_online(r, c, now_us);
    fill(r);
}

static void on_message(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us)
{
    struct run *r = ctx;
    if (r->o->mam && mam_message(r, c, st))
        return;
    if (r->o->scenario == SCEN_CHURN)
        churn_message(r, c, st, now_us);
    else if (r->o->scenario == SCEN_OFFLINE)
        offline_message(r, c, st, now_us);
    else if (r->o->scenario == SCEN_CHAT)
        chat_message(r, st, now_us);
    else if (r->o->scenario == SCEN_MUC)
        muc_message(r, st, now_us);
    else if (r->o->scenario == SCEN_MIXED)
        mixed_message(r, st, now_us);
}

static void on_presence(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us)
{
    (void)now_us;
    muc_presence(ctx, c, st);
}

static void on_iq_result(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us)
{
    struct run *r = ctx;
    if (r->o->mam && mam_iq_result(r, c, st, now_us))
        return;
    if (r->o->scenario == SCEN_OFFLINE)
        offline_iq_result(r, c, st);
    else if (opts_uses_muc(r->o))
        muc_iq_result(r, c, st);
}

static void on_closed(void *ctx, struct client *c, bool failed)
{
    struct run *r = ctx;
    if (uses_live(r))
        chat_closed(r, c);
    else if (r->o->scenario == SCEN_CHURN)
        churn_closed(r, c, failed);
    if (opts_uses_muc(r->o))
        muc_closed(r, c);
    fill(r);
}

static const struct engine_hooks run_hooks = {
    .online = on_online, .message = on_message, .closed = on_closed, .iq_result = on_iq_result,
};
/* Only runs with rooms listen to presence and iq results: the others skip the calls. */
static const struct engine_hooks muc_hooks = {
    .online = on_online, .message = on_message, .closed = on_closed,
    .presence = on_presence, .iq_result = on_iq_result,
};

/*
 * Starts clients while fewer than --parallel logins are in flight. Called as each login ends
 * too, so the cap stays full instead of waiting for the next tick. A failed start closes its
 * client at once, which calls back here: the guard keeps that from recursing.
 */
static void fill(struct run *r)
{
    struct engine *e = &r->eng;
    if ((r->phase != PH_LOGIN && r->phase != PH_RESUME) || r->filling)
        return;
    r->filling = true;
    while (r->next_start < r->start_end && e->in_flight < (unsigned)r->o->parallel)
        client_start(&e->clients[r->next_start++]);
    r->filling = false;
}

static enum run_phase after_storm(const struct run *r)
{
    int scen = r->o->scenario;
    unsigned online = r->eng.online;
    if (scen == SCEN_LOGIN || (scen == SCEN_MAM && online > 0))
        return PH_HOLD;
    if (scen == SCEN_RESUME && online > 0)
        return PH_DROP;
    if (scen == SCEN_OFFLINE && online > 0)
        return PH_STORE;
    if (online > 0 && opts_uses_muc(r->o))
        return PH_JOIN;
    if ((scen == SCEN_CHAT && online >= 2) || (scen == SCEN_MIXED && online > 0))
        return PH_STEPS;
    return PH_DONE;
}

static void storm(struct run *r, uint64_t now_us)
{
    struct engine *e = &r->eng;
    fill(r);
    engine_expire(e, now_us, (uint64_t)(r->o->timeout * 1e6));
    bool over = now_us - r->t0_us > (uint64_t)(r->o->timeout * 1e6);
    if (over && r->next_start < r->start_end) {
        fprintf(stderr, "parley-bench: login storm timed out with %zu sessions not started\n",
                r->start_end - r->next_start);
        r->next_start = r->start_end;
    }
    if (r->next_start < r->start_end || e->in_flight > 0)
        return;
    r->login_end_us = now_us;
    procstat_sample(r->o->server_pid, now_us, &r->ps_phase);
    r->storm_cpu_pct = procstat_cpu_pct(&r->ps_start, &r->ps_phase);
    run_enter(r, after_storm(r), now_us);
}

void run_enter(struct run *r, enum run_phase ph, uint64_t now_us)
{
    r->phase = ph;
    r->phase_us = now_us;
    if (ph == PH_JOIN)
        muc_join_start(r, now_us);
    if (ph == PH_STEPS)
        stepped_start(r, now_us);
    if (ph == PH_HOLD || ph == PH_STEPS)
        procstat_sample(r->o->server_pid, now_us, &r->ps_phase);
    if (ph == PH_DONE) {
        r->online_end = r->eng.online;
        procstat_sample(r->o->server_pid, now_us, &r->ps_last);
        evtimer_del(r->tick);
        engine_close_all(&r->eng);
        struct timeval grace = { 0, CLOSE_GRACE_MS * 1000 };
        event_base_loopexit(r->eng.base, &grace);
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    (void)fd, (void)what;
    uint64_t now = pb_now_us();
    switch (r->phase) {
    case PH_LOGIN:
        storm(r, now);
        break;
    case PH_HOLD:
        mam_tick(r, now);
        if (now - r->phase_us >= (uint64_t)(r->o->duration * 1e6)) {
            procstat_sample(r->o->server_pid, now, &r->ps_last);
            r->main_cpu_pct = procstat_cpu_pct(&r->ps_phase, &r->ps_last);
            run_enter(r, PH_DONE, now);
        }
        break;
    case PH_JOIN:
        muc_join_tick(r, now);
        break;
    case PH_STEPS:
        stepped_tick(r, now);
        mam_tick(r, now);
        break;
    case PH_DROP:
    case PH_RESUME:
        fill(r);
        resume_tick(r, now);
        break;
    case PH_STORE:
    case PH_FLUSH:
        offline_tick(r, now);
        break;
    case PH_CHURN:
        churn_tick(r, now);
        break;
    case PH_DRAIN:
        if (r->o->scenario == SCEN_CHURN)
            churn_tick(r, now);
        else
            stepped_tick(r, now);
        break;
    case PH_DONE:
        break;
    }
}

static void second_cb(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    uint64_t now = pb_now_us();
    (void)fd, (void)what;
    if (r->o->scenario == SCEN_CHURN && r->o->series > 0 && r->phase != PH_DONE)
        churn_series_second(r, now);
    report_progress(r, now);
}

static bool stepped(int scenario)
{
    return scenario == SCEN_CHAT || scenario == SCEN_MUC || scenario == SCEN_MIXED;
}

/* Order matters: muc_init and mixed_init replace the chat sender that stepped_init sets. */
static int scenario_init(struct run *r)
{
    int scen = r->o->scenario;
    if (stepped(scen) && stepped_init(r) != PL_OK)
        return PL_EINVAL;
    if (opts_uses_muc(r->o) && muc_init(r) != PL_OK)
        return PL_EINVAL;
    if (scen == SCEN_MIXED && mixed_init(r) != PL_OK)
        return PL_EINVAL;
    if (scen == SCEN_CHURN && churn_init(r) != PL_OK)
        return PL_EINVAL;
    if (scen == SCEN_OFFLINE)
        offline_init(r);
    if (r->o->mam)
        mam_init(r);
    return PL_OK;
}

int run_init(struct run *r, const struct bench_opts *o)
{
    memset(r, 0, sizeof(*r));
    r->o = o;
    if (engine_init(&r->eng, o, opts_uses_muc(o) ? &muc_hooks : &run_hooks, r) != PL_OK)
        return PL_EINVAL;
    r->start_end = r->eng.n;
    if (scenario_init(r) != PL_OK)
        return PL_EINVAL;
    r->tick = event_new(r->eng.base, -1, EV_PERSIST, tick_cb, r);
    r->second = event_new(r->eng.base, -1, EV_PERSIST, second_cb, r);
    return r->tick && r->second ? PL_OK : PL_EINVAL;
}

void run_fini(struct run *r)
{
    if (r->tick)
        event_free(r->tick);
    if (r->second)
        event_free(r->second);
    mixed_fini(r);
    muc_fini(r);
    stepped_fini(r);
    churn_fini(r); /* its event goes before the loop does */
    engine_fini(&r->eng);
}

static int exit_code(const struct run *r)
{
    if (r->o->scenario == SCEN_REGISTER)
        return r->eng.registered == r->eng.n ? 0 : 1;
    if (r->o->scenario == SCEN_CHURN)
        return r->churn.cycles > 0 ? 0 : 1;
    if (opts_uses_muc(r->o) && r->muc.joins == 0)
        return 1; /* nobody got into a room */
    if (r->o->scenario == SCEN_RESUME)
        return r->eng.resumed > 0 ? 0 : 1;
    if (r->o->scenario == SCEN_OFFLINE)
        return r->off.flushes > 0 ? 0 : 1;
    return r->eng.logins > 0 ? 0 : 1;
}

int run_main(struct run *r)
{
    r->t0_us = r->phase_us = pb_now_us();
    r->ps_prev.at_us = r->t0_us;
    procstat_sample(r->o->server_pid, r->t0_us, &r->ps_start);
    r->ps_prev = r->ps_start;
    struct timeval tick = { 0, r->o->tick_ms * 1000 }, second = { 1, 0 };
    evtimer_add(r->tick, &tick);
    evtimer_add(r->second, &second);
    tick_cb(-1, 0, r); /* the storm starts now, not one tick later */
    event_base_dispatch(r->eng.base);
    if (r->phase != PH_DONE) {
        r->online_end = r->eng.online;
        procstat_sample(r->o->server_pid, pb_now_us(), &r->ps_last);
    }
    report_summary(r, stdout);
    if (r->o->json && report_json(r, r->o->json) != PL_OK)
        return 1;
    return exit_code(r);
}
