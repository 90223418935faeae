/* SPDX-License-Identifier: MIT */
/* One benchmark run: phases (login storm, hold, room joins, stepped load, drain) and results. */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <stdint.h>

#include "engine.h"
#include "json_out.h"
#include "hist.h"
#include "opts.h"
#include "procstat.h"
#include "rate.h"

#define LATE_US 100000u /* a message slower than this counts as late */

enum run_phase {
    PH_LOGIN, PH_HOLD, PH_JOIN, PH_STEPS, PH_CHURN, PH_DRAIN,
    PH_DROP,   /* resume: every connection dropped, then a pause */
    PH_RESUME, /* resume: the sessions resumed under --parallel */
    PH_STORE,  /* offline: the senders send --messages each to an offline account */
    PH_FLUSH,  /* offline: the recipients log in one at a time and get what was kept */
    PH_DONE,
};

/*
 * Figures of one rate step; messages count in the step that sent them. expected is what
 * should arrive: one per chat message, the room's occupants per groupchat message, nothing
 * for a presence update; received counts arrivals (MUC: deliveries).
 */
struct step_stat {
    double target;
    uint64_t sent, expected, received, late;
    uint64_t behind; /* sends the pacer skipped because the bot fell behind */
    struct hist lat_us;
    double server_cpu_pct;
};

/* One window of the churn series (--series): what the cycles of that window did. */
struct churn_window {
    double t_s; /* end of the window, seconds since the start */
    uint64_t logins, cycles, failures, messages;
    double login_p50_ms, login_p99_ms, login_max_ms, message_p99_ms;
    long rss_kib;          /* the server's, at the end of the window (-1: unknown) */
    double server_cpu_pct; /* over the window (-1: unknown) */
    unsigned online;
};

/* One per-second reading of the server's RSS. */
struct rss_point {
    double t_s;
    long rss_kib;
};

/* The churn series (churn_series.c): login and message latency per window, RSS per second. */
struct churn_series {
    struct hist *login_us, *message_us; /* of the window now running */
    uint64_t window_us, start_us;       /* length and start of the window now running */
    uint64_t cycles0, failures0;        /* counters when it started */
    struct proc_sample ps0;
    struct churn_window *w;
    size_t n_w, cap_w;
    struct rss_point *rss;
    size_t n_rss, cap_rss;
};

/*
 * Churn: every session cycles through connect, TLS, SASL, bind, initial presence, optionally
 * --messages to itself and --hold s online, and a clean close; idle clients wait in a ring,
 * oldest first, so an account rests between its cycles.
 */
struct churn {
    struct client **idle; /* ring of o->count slots */
    size_t head, n_idle;
    uint64_t cycles;      /* sessions that got online and ended cleanly */
    uint64_t prev_cycles; /* at the last progress line */
    uint64_t end_us;      /* when the last cycle ended, or the drain gave up */
    struct event *kick;   /* starts new cycles outside the callbacks of the one that ended */
    uint64_t *due_us;     /* per client: when its session may end (--hold, --messages) */
    uint32_t *got;        /* per client: its own messages back in this cycle */
    uint64_t scan_us;     /* when sessions past their hold were last looked for */
    uint64_t messages_sent, messages_received;
    struct churn_series series;
};

/* A seat in a room (muc): account i sits in room i / --occupants (scen_muc.c). */
struct seat {
    uint64_t join_sent_us; /* when its join went out */
    uint32_t room;
    uint32_t pos;  /* index in muc.joined while joined */
    uint8_t state; /* scen_muc.c's enum seat_state */
};

struct room {
    uint32_t joined; /* occupants now in the room: deliveries expected per message */
    uint32_t leader; /* the seat that creates (and if locked, configures) the room */
    uint8_t state;   /* scen_muc.c's enum room_state */
};

/*
 * MUC: each room's leader joins first and creates the room; once it is open (configured if
 * it came back locked) the other seats join, --parallel joins in flight at most.
 */
struct muc {
    char *domain; /* --muc-domain, XML-escaped once: written into every message */
    size_t n_seats, n_rooms;
    struct seat *seats; /* clients [0, n_seats) */
    struct room *rooms;
    uint32_t *queue; /* seats waiting to send their join; each is queued at most once */
    size_t q_head, q_tail;
    uint32_t *joined; /* seats in their room: the senders to pick from */
    size_t n_joined;
    uint64_t joins;         /* occupants that got in (and may have left since) */
    size_t seated;          /* occupants in their rooms when the join phase ended */
    unsigned in_flight;     /* joins sent and not yet answered */
    size_t unsettled;       /* rooms being created or configured */
    uint64_t join_failures; /* joins the room refused, and room configurations refused */
    uint64_t join_start_us, join_end_us;
    struct hist join_lat_us; /* each join: sent to the self-presence (110) */
    uint64_t fullest_join_us; /* the join into the fullest room: its latency */
    uint32_t fullest_before;  /* and how many were in that room before it */
};

/* Figures of one kind of traffic in one step of the mixed scenario. */
struct kind_stat {
    uint64_t sent, expected, received, late;
    struct hist lat_us;
};

/* Mixed: every step's actions are shared out among the kinds by weight. */
struct mixed {
    struct kind_stat (*st)[MIX_KINDS]; /* per step, per kind */
    double credit[MIX_KINDS];          /* smooth weighted round robin, see pick_kind */
    double total_weight;
    uint8_t *away; /* per client: whether its last presence update said away */
};

/* Resume (scen_resume.c): the CPU of a full login against that of a resumption. */
struct resume_run {
    bool dropped;
    uint64_t drop_us, start_us, end_us;
    struct proc_sample ps_login, ps_drop, ps_end; /* after the storm, the drop, the resumes */
    uint64_t dropped_n;                           /* connections dropped with a resumption id */
};

/* Offline (scen_offline.c): clients [0, n/2) send, [n/2, n) receive after logging in. */
struct offline_run {
    size_t senders;
    bool sent;     /* the messages are out */
    size_t stored;         /* senders whose messages the server has handled (ping answered) */
    uint64_t store_errors; /* message errors while storing: refused, not kept */
    size_t next;           /* the next recipient to log in */
    struct client *cur;    /* the recipient logging in now */
    uint64_t start_us, online_us, last_us, got, expect, out_of_order;
    struct proc_sample ps0;
    struct hist flush_us, after_presence_us; /* login start / presence to the last message */
    double cpu_s;                            /* server CPU of every login and flush */
    size_t flushes, incomplete;
    uint64_t received;
};

/* Archive queries (scen_mam.c): the first account queries, one in flight, round robin. */
struct mam_run {
    struct client *owner;
    bool in_flight;
    int kind, next_kind;
    uint64_t sent_us, next_us, seq;
    struct hist lat_us[MAM_KINDS];
    uint64_t queries[MAM_KINDS], errors[MAM_KINDS], items[MAM_KINDS], complete[MAM_KINDS];
    char last_error[96];
};

/* Everything a run owns; run_init/run_fini. */
struct run {
    const struct bench_opts *o;
    struct engine eng;
    enum run_phase phase;
    uint64_t t0_us, phase_us;
    struct event *tick, *second;
    size_t next_start; /* next client the storm starts */
    size_t start_end;  /* the storm starts clients [0, start_end) */
    bool filling;      /* inside fill(): starting clients */
    uint64_t login_end_us;
    unsigned online_end; /* sessions online when the run ended, before the closing */
    struct proc_sample ps_start, ps_phase, ps_last, ps_prev;
    double storm_cpu_pct, main_cpu_pct;
    /* stepped load: chat, muc, mixed */
    double *rates;
    struct steps steps;
    struct rate rate;
    struct step_stat *st;
    size_t cur_step;
    struct client **live; /* online clients, for random pairs */
    size_t n_live;
    uint64_t rng;
    uint64_t seq;
    uint64_t sent, expected, received; /* totals */
    uint64_t prev_sent, prev_received; /* at the last progress line */
    /* Sends one action of the stepped load; false when nobody can send it now. */
    bool (*send)(struct run *r, struct step_stat *s, uint64_t now_us);
    struct churn churn;
    struct muc muc;
    struct mixed mix;
    struct resume_run resume;
    struct offline_run off;
    struct mam_run mam;
};

/* Returns PL_OK or PL_EINVAL (message on stderr). */
int run_init(struct run *r, const struct bench_opts *o);
void run_fini(struct run *r);
/* Runs to the end; returns the exit code. */
int run_main(struct run *r);
/* Moves to the next phase; called by the phase code. */
void run_enter(struct run *r, enum run_phase ph, uint64_t now_us);

/* Stepped load (scen_chat.c): --rates, --step and the pacer, shared by chat, muc and mixed. */
int stepped_init(struct run *r);
void stepped_fini(struct run *r);
void stepped_start(struct run *r, uint64_t now_us);
/* Sends what the pacer says is due through r->send; moves on through the steps and the drain. */
void stepped_tick(struct run *r, uint64_t now_us);
/*
 * Times a message that carries one of our ids ("STEP.USEC") into its step: latency, received,
 * late. Returns false for anything else; else true with the step and the latency.
 */
bool stepped_arrival(struct run *r, const struct stanza *st, uint64_t now_us, size_t *step,
                     uint64_t *lat_us);
/* A random number for picking senders (xorshift64*). */
uint64_t run_random(struct run *r);

/* Chat (scen_chat.c): online sessions in a list, 1:1 messages between random pairs. */
void chat_online(struct run *r, struct client *c);
void chat_closed(struct run *r, struct client *c);
bool chat_send(struct run *r, struct step_stat *s, uint64_t now_us);
void chat_message(struct run *r, const struct stanza *st, uint64_t now_us);

/* MUC (scen_muc.c). muc_init also sets r->send for the muc scenario. */
int muc_init(struct run *r);
void muc_fini(struct run *r);
/* Starts the joins (PH_JOIN); muc_join_tick moves on to the steps once all are settled. */
void muc_join_start(struct run *r, uint64_t now_us);
void muc_join_tick(struct run *r, uint64_t now_us);
void muc_presence(struct run *r, struct client *c, const struct stanza *st);
void muc_iq_result(struct run *r, struct client *c, const struct stanza *st);
void muc_closed(struct run *r, struct client *c);
/* One groupchat message from a random occupant to its room; returns the deliveries expected,
 * 0 when nobody is in a room. */
uint64_t muc_send(struct run *r, struct step_stat *s, uint64_t now_us);
void muc_message(struct run *r, const struct stanza *st, uint64_t now_us);
/* Occupants in their rooms now. */
size_t muc_joined(const struct run *r);

/* Mixed (scen_mixed.c): chat, presence and groupchat by --mix. Sets r->send. */
int mixed_init(struct run *r);
void mixed_fini(struct run *r);
void mixed_message(struct run *r, const struct stanza *st, uint64_t now_us);

/* Churn (scen_churn.c). churn_init also makes PH_CHURN the first phase. */
int churn_init(struct run *r);
void churn_fini(struct run *r);
/* A session just got online: its messages go out, and it ends when it may (settle). */
void churn_online(struct run *r, struct client *c, uint64_t now_us);
void churn_closed(struct run *r, struct client *c, bool failed);
/* Keeps --parallel cycles in flight until --duration, then drains and ends the run. */
void churn_tick(struct run *r, uint64_t now_us);
/* Completed cycles per second of the run, 0 before any. */
double churn_cycles_per_s(const struct run *r);
/* A message to a churning session: one of its own comes back. */
void churn_message(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us);
/* Microseconds a session stays online: hold_s scaled by a factor in [0.5, 1.5) from rnd. */
uint64_t churn_hold_us(double hold_s, uint64_t rnd);

/* The churn series (churn_series.c): --series s windows of latency, RSS every second. */
void churn_series_init(struct churn_series *s, double window_s, uint64_t now_us);
void churn_series_fini(struct churn_series *s);
void churn_series_login(struct churn_series *s, uint64_t lat_us);
void churn_series_message(struct churn_series *s, uint64_t lat_us);
/* Once a second: the RSS reading, and the window's close when its time is up. */
void churn_series_second(struct run *r, uint64_t now_us);
/* Writes the "series" and "rss" keys of --json. */
void churn_series_json(struct json_out *j, const struct run *r);

/* Resume (scen_resume.c): after the storm, drop every connection, then resume them all. */
void resume_tick(struct run *r, uint64_t now_us);
void resume_summary(const struct run *r, FILE *out);
void resume_json(struct json_out *j, const struct run *r);

/* Offline (scen_offline.c). */
void offline_init(struct run *r);
void offline_tick(struct run *r, uint64_t now_us);
void offline_online(struct run *r, struct client *c, uint64_t now_us);
void offline_message(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us);
void offline_iq_result(struct run *r, struct client *c, const struct stanza *st);
void offline_summary(const struct run *r, FILE *out);
void offline_json(struct json_out *j, const struct run *r);

/* Archive queries (scen_mam.c), in the mam scenario and alongside chat with --mam. */
void mam_init(struct run *r);
/* Sends the next query when the owner is online, none is in flight and one is due. */
void mam_tick(struct run *r, uint64_t now_us);
/* True when the stanza was a result of ours (and is counted). */
bool mam_message(struct run *r, struct client *c, const struct stanza *st);
bool mam_iq_result(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us);
void mam_summary(const struct run *r, FILE *out);
void mam_json(struct json_out *j, const struct run *r);

/* Output (report.c). */
void report_progress(struct run *r, uint64_t now_us);
void report_summary(const struct run *r, FILE *out);
/* Writes --json; returns PL_OK or PL_EIO. */
int report_json(const struct run *r, const char *path);

/* --register-cmd (register.c): runs the command once per account. Returns the exit code. */
int register_with_command(const struct bench_opts *o);

#endif
