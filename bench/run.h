/* SPDX-License-Identifier: MIT */
/* One benchmark run: phases (login storm, hold or chat steps, drain), counters and results. */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <stdint.h>

#include "engine.h"
#include "hist.h"
#include "opts.h"
#include "procstat.h"
#include "rate.h"

#define LATE_US 100000u /* a message slower than this counts as late */

enum run_phase { PH_LOGIN, PH_HOLD, PH_STEPS, PH_CHURN, PH_DRAIN, PH_DONE };

/* Figures of one rate step; messages count in the step that sent them. */
struct step_stat {
    double target;
    uint64_t sent, received, late;
    uint64_t behind; /* sends the pacer skipped because the bot fell behind */
    struct hist lat_us;
    double server_cpu_pct;
};

/*
 * Churn: every session cycles through connect, TLS, SASL, bind, initial presence and a clean
 * close; idle clients wait in a ring, oldest first, so an account rests between its cycles.
 */
struct churn {
    struct client **idle; /* ring of o->count slots */
    size_t head, n_idle;
    uint64_t cycles;      /* sessions that got online and ended cleanly */
    uint64_t prev_cycles; /* at the last progress line */
    uint64_t end_us;      /* when the last cycle ended, or the drain gave up */
    struct event *kick;   /* starts new cycles outside the callbacks of the one that ended */
};

/* Everything a run owns; run_init/run_fini. */
struct run {
    const struct bench_opts *o;
    struct engine eng;
    enum run_phase phase;
    uint64_t t0_us, phase_us;
    struct event *tick, *second;
    size_t next_start; /* next client the storm starts */
    bool filling;      /* inside fill(): starting clients */
    uint64_t login_end_us;
    unsigned online_end; /* sessions online when the run ended, before the closing */
    struct proc_sample ps_start, ps_phase, ps_last, ps_prev;
    double storm_cpu_pct, main_cpu_pct;
    /* chat */
    double *rates;
    struct steps steps;
    struct rate rate;
    struct step_stat *st;
    size_t cur_step;
    struct client **live; /* online clients, for random pairs */
    size_t n_live;
    uint64_t rng;
    uint64_t seq;
    uint64_t sent, received;           /* totals */
    uint64_t prev_sent, prev_received; /* at the last progress line */
    struct churn churn;
};

/* Returns PL_OK or PL_EINVAL (message on stderr). */
int run_init(struct run *r, const struct bench_opts *o);
void run_fini(struct run *r);
/* Runs to the end; returns the exit code. */
int run_main(struct run *r);
/* Moves to the next phase; called by the phase code. */
void run_enter(struct run *r, enum run_phase ph, uint64_t now_us);

/* Chat (scen_chat.c). */
int chat_init(struct run *r);
void chat_fini(struct run *r);
void chat_online(struct run *r, struct client *c);
void chat_closed(struct run *r, struct client *c);
void chat_message(struct run *r, const struct stanza *st, uint64_t now_us);
/* Sends what the pacer says is due; moves on through the steps. */
void chat_tick(struct run *r, uint64_t now_us);
void chat_start(struct run *r, uint64_t now_us);

/* Churn (scen_churn.c). churn_init also makes PH_CHURN the first phase. */
int churn_init(struct run *r);
void churn_fini(struct run *r);
/* Ends the session that just got online: the cycle's clean close. */
void churn_online(struct run *r, struct client *c);
void churn_closed(struct run *r, struct client *c, bool failed);
/* Keeps --parallel cycles in flight until --duration, then drains and ends the run. */
void churn_tick(struct run *r, uint64_t now_us);
/* Completed cycles per second of the run, 0 before any. */
double churn_cycles_per_s(const struct run *r);

/* Output (report.c). */
void report_progress(struct run *r, uint64_t now_us);
void report_summary(const struct run *r, FILE *out);
/* Writes --json; returns PL_OK or PL_EIO. */
int report_json(const struct run *r, const char *path);

/* --register-cmd (register.c): runs the command once per account. Returns the exit code. */
int register_with_command(const struct bench_opts *o);

#endif
