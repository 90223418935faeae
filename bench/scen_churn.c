/* SPDX-License-Identifier: MIT */
/* Churn scenario: connect, log in, optionally talk to oneself and stay a while, and cleanly
 * disconnect, over and over, --parallel at a time. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base.h"
#include "run.h"

#define SCAN_US 50000 /* how often sessions past their hold are looked for */
#define SOAK_ID "soak." /* our messages' ids: "soak.USEC", the send time */

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
    ch->due_us = xcalloc(r->eng.n, sizeof(*ch->due_us));
    ch->got = xcalloc(r->eng.n, sizeof(*ch->got));
    ch->kick = event_new(r->eng.base, -1, 0, kick_cb, r);
    r->rng = (uint64_t)pb_now_us() | 1;
    if (r->o->series > 0)
        churn_series_init(&ch->series, r->o->series, pb_now_us());
    r->phase = PH_CHURN;
    return ch->kick ? PL_OK : PL_EINVAL;
}

void churn_fini(struct run *r)
{
    struct churn *ch = &r->churn;
    if (ch->kick)
        event_free(ch->kick);
    free(ch->idle);
    free(ch->due_us);
    free(ch->got);
    churn_series_fini(&ch->series);
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

/* Logins in flight at most: --max-logins, else --parallel. */
static unsigned max_logins(const struct run *r)
{
    return (unsigned)(r->o->max_logins > 0 ? r->o->max_logins : r->o->parallel);
}

/*
 * Starts cycles while fewer than --parallel are in flight. Each idle client is tried at most
 * once per call: a start that fails at once goes back to the ring and must not spin here.
 */
static void fill(struct run *r)
{
    size_t tries = r->churn.n_idle;
    while (tries-- > 0 && active(r) < (unsigned long)r->o->parallel &&
           r->eng.in_flight < max_logins(r))
        client_start(pop_idle(r));
}

uint64_t churn_hold_us(double hold_s, uint64_t rnd)
{
    double f = 0.5 + (double)(rnd >> 12) / (double)(1ull << 52); /* [0.5, 1.5), exactly */
    return (uint64_t)(hold_s * f * 1e6);
}

/*
 * Ends a session once its hold is over (at once in the drain) and its own messages are back;
 * fails it when they are still missing --timeout s after the hold.
 */
static void settle(struct run *r, struct client *c, uint64_t now_us)
{
    struct churn *ch = &r->churn;
    size_t i = (size_t)(c - r->eng.clients);
    if (c->state != CL_ONLINE || c->ending)
        return;
    bool all = ch->got[i] >= (uint64_t)r->o->messages;
    if (all && (now_us >= ch->due_us[i] || r->phase != PH_CHURN))
        client_end(c); /* with no hold, goes out with <presence/>, in the same write */
    else if (!all && now_us > ch->due_us[i] + (uint64_t)(r->o->timeout * 1e6))
        client_close(c, true, "its own messages did not come back");
}

void churn_online(struct run *r, struct client *c, uint64_t now_us)
{
    struct churn *ch = &r->churn;
    size_t i = (size_t)(c - r->eng.clients);
    if (r->o->series > 0)
        churn_series_login(&ch->series, now_us - c->start_us);
    ch->got[i] = 0;
    ch->due_us[i] = now_us + (r->o->hold > 0 ? churn_hold_us(r->o->hold, run_random(r)) : 0);
    for (long k = 0; k < r->o->messages; k++)
        client_stanza_printf(c, "<message%s to='%s' type='chat' id='" SOAK_ID "%" PRIu64
                                "'><body>parley-bench churn</body></message>",
                             client_xmlns(c), c->jid, now_us);
    ch->messages_sent += (uint64_t)r->o->messages;
    settle(r, c, now_us);
}

void churn_message(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us)
{
    char *end;
    if (!st->id || strncmp(st->id, SOAK_ID, strlen(SOAK_ID)) != 0)
        return;
    uint64_t sent_us = strtoull(st->id + strlen(SOAK_ID), &end, 10);
    if (*end || sent_us > now_us)
        return;
    r->churn.got[c - r->eng.clients]++;
    r->churn.messages_received++;
    if (r->o->series > 0)
        churn_series_message(&r->churn.series, now_us - sent_us);
    settle(r, c, now_us);
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

/* Sessions that stay online (--hold, --messages) are ended here once they may go. */
static void scan(struct run *r, uint64_t now_us)
{
    if ((r->o->hold <= 0 && r->o->messages == 0) || now_us - r->churn.scan_us < SCAN_US)
        return;
    r->churn.scan_us = now_us;
    for (size_t i = 0; i < r->eng.n; i++)
        settle(r, &r->eng.clients[i], now_us);
}

void churn_tick(struct run *r, uint64_t now_us)
{
    engine_expire(&r->eng, now_us, (uint64_t)(r->o->timeout * 1e6));
    if (r->phase == PH_CHURN && now_us - r->phase_us >= (uint64_t)(r->o->duration * 1e6)) {
        run_enter(r, PH_DRAIN, now_us); /* no new cycles; those in flight may finish */
        r->churn.scan_us = 0;           /* sessions on hold end now */
    }
    scan(r, now_us);
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
