/* SPDX-License-Identifier: MIT */
/* Chat scenario (1:1 messages between random online pairs), and the stepped load it shares. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "run.h"

#define BURST_SECONDS 0.05 /* a stalled loop catches up at most this much sending */

int stepped_init(struct run *r)
{
    size_t n = steps_parse(r->o->rates, &r->rates);
    if (n == 0) {
        fprintf(stderr, "parley-bench: bad --rates %s (e.g. 1000,5000,20000)\n", r->o->rates);
        return PL_EINVAL;
    }
    r->steps = (struct steps){ r->rates, n, (uint64_t)(r->o->step * 1e6), 0 };
    r->st = xcalloc(n, sizeof(*r->st));
    for (size_t i = 0; i < n; i++) {
        r->st[i].target = r->rates[i];
        hist_init(&r->st[i].lat_us);
    }
    r->live = xcalloc(r->eng.n, sizeof(*r->live));
    r->rng = (uint64_t)pb_now_us() | 1;
    r->send = chat_send;
    return PL_OK;
}

void stepped_fini(struct run *r)
{
    free(r->rates);
    free(r->st);
    free(r->live);
    r->rates = NULL;
    r->st = NULL;
    r->live = NULL;
}

void chat_online(struct run *r, struct client *c)
{
    c->live_pos = r->n_live;
    r->live[r->n_live++] = c;
}

void chat_closed(struct run *r, struct client *c)
{
    size_t i = c->live_pos;
    if (i >= r->n_live || r->live[i] != c)
        return; /* never got online */
    r->live[i] = r->live[--r->n_live]; /* swap-remove keeps picking O(1) */
    r->live[i]->live_pos = i;
}

uint64_t run_random(struct run *r)
{
    uint64_t x = r->rng; /* xorshift64*: fast and plenty for picking pairs */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 2685821657736338717ull;
}

/* The id carries the step and the send time: "STEP.USEC". */
bool chat_send(struct run *r, struct step_stat *s, uint64_t now_us)
{
    if (r->n_live < 2)
        return false;
    size_t a = (size_t)(run_random(r) % r->n_live);
    size_t b = (size_t)(run_random(r) % (r->n_live - 1));
    if (b >= a)
        b++; /* never to oneself */
    struct client *from = r->live[a], *to = r->live[b];
    client_stanza_printf(from,
                         "<message%s to='%s' type='chat' id='%zu.%" PRIu64 "'><body>"
                         "parley-bench %" PRIu64 "</body></message>",
                         client_xmlns(from), to->jid, r->cur_step, now_us, ++r->seq);
    s->sent++;
    s->expected++;
    r->sent++;
    r->expected++;
    return true;
}

void stepped_start(struct run *r, uint64_t now_us)
{
    r->steps.start_us = now_us;
    r->cur_step = 0;
    double first = r->rates[0];
    rate_init(&r->rate, first, (unsigned)(first * BURST_SECONDS) + 1, now_us);
}

static void finish_step(struct run *r, uint64_t now_us)
{
    struct proc_sample ps;
    procstat_sample(r->o->server_pid, now_us, &ps);
    r->st[r->cur_step].server_cpu_pct = procstat_cpu_pct(&r->ps_phase, &ps);
    r->st[r->cur_step].behind = r->rate.behind;
    r->ps_phase = ps;
}

static void next_step(struct run *r, size_t i, uint64_t now_us)
{
    finish_step(r, now_us);
    r->cur_step = i;
    if (i >= r->steps.n) {
        r->main_cpu_pct = procstat_cpu_pct(&r->ps_start, &r->ps_phase);
        run_enter(r, PH_DRAIN, now_us);
        return;
    }
    r->rate.behind = 0;
    r->rate.max_burst = (unsigned)(r->rates[i] * BURST_SECONDS) + 1;
    rate_set(&r->rate, r->rates[i], now_us);
}

void stepped_tick(struct run *r, uint64_t now_us)
{
    if (r->phase == PH_DRAIN) {
        if (r->received >= r->expected || now_us - r->phase_us >= (uint64_t)(r->o->drain * 1e6))
            run_enter(r, PH_DONE, now_us);
        return;
    }
    size_t i = steps_index(&r->steps, now_us);
    if (i != r->cur_step) {
        next_step(r, i, now_us);
        if (i >= r->steps.n)
            return;
    }
    unsigned due = rate_due(&r->rate, now_us);
    struct step_stat *s = &r->st[r->cur_step];
    for (unsigned k = 0; k < due; k++)
        if (!r->send(r, s, now_us))
            break; /* nobody to send from: the rest of this tick would fail too */
}

bool stepped_arrival(struct run *r, const struct stanza *st, uint64_t now_us, size_t *step,
                     uint64_t *lat_us)
{
    const char *id = st->id;
    char *end;
    if (!id)
        return false;
    unsigned long i = strtoul(id, &end, 10);
    if (*end != '.' || i >= r->steps.n)
        return false; /* not one of ours */
    uint64_t sent_us = strtoull(end + 1, &end, 10);
    if (*end || sent_us > now_us)
        return false;
    struct step_stat *s = &r->st[i];
    uint64_t lat = now_us - sent_us;
    hist_record(&s->lat_us, lat);
    s->received++;
    r->received++;
    if (lat > LATE_US)
        s->late++;
    *step = i;
    *lat_us = lat;
    return true;
}

void chat_message(struct run *r, const struct stanza *st, uint64_t now_us)
{
    size_t step;
    uint64_t lat;
    stepped_arrival(r, st, now_us, &step, &lat);
}
