/* SPDX-License-Identifier: MIT */
/* Run output: a progress line per second, the human summary, and the JSON results file. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "json_out.h"
#include "run.h"
#include "sasl_client.h"

static const char *const tls_labels[] = { "STARTTLS", "direct TLS", "no TLS" };

/* The steps phase goes by the scenario's name (chat, muc, mixed): see phase_name. */
static const char *const phase_names[] = { "login", "hold",  "join",  "steps",  "churn", "drain",
                                           "drop",  "resume", "store", "flush", "done" };
_Static_assert(ARRAY_LEN(phase_names) == PH_DONE + 1, "one name per phase");
static const char *const kind_labels[MIX_KINDS] = { "chat", "presence", "muc" };

static const char *phase_name(const struct run *r)
{
    return r->phase == PH_STEPS ? r->o->scenario_name : phase_names[r->phase];
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

static double logins_per_s(const struct run *r)
{
    uint64_t end = r->login_end_us ? r->login_end_us : r->ps_last.at_us;
    return end > r->t0_us ? (double)r->eng.logins / ((double)(end - r->t0_us) / 1e6) : 0;
}

/* The engine counts refused room joins with its failures (for the last error); not here. */
static uint64_t login_failures(const struct run *r)
{
    return r->eng.failures - r->muc.join_failures;
}

static long rss_growth_per_session(const struct run *r)
{
    if (!r->ps_start.ok || !r->ps_last.ok || r->online_end == 0)
        return -1;
    return (r->ps_last.rss_kib - r->ps_start.rss_kib) / (long)r->online_end;
}

void report_progress(struct run *r, uint64_t now_us)
{
    if (r->o->quiet)
        return;
    struct proc_sample ps;
    procstat_sample(r->o->server_pid, now_us, &ps);
    double cpu = procstat_cpu_pct(&r->ps_prev, &ps);
    r->ps_prev = ps;
    const struct engine *e = &r->eng;
    double target = 0, p99 = ms(hist_percentile(&e->login_us, 99));
    if (r->phase == PH_STEPS && r->cur_step < r->steps.n) {
        target = r->rates[r->cur_step];
        p99 = ms(hist_percentile(&r->st[r->cur_step].lat_us, 99));
    }
    fprintf(stderr,
            "[%6.1fs] %-5s target %.0f/s sent %" PRIu64 "/s recv %" PRIu64 "/s online %u "
            "logging-in %u p99 %.2f ms errors %" PRIu64 " failures %" PRIu64,
            (double)(now_us - r->t0_us) / 1e6, phase_name(r), target,
            r->sent - r->prev_sent, r->received - r->prev_received, e->online, e->in_flight,
            p99, e->errors, e->failures);
    if (r->o->scenario == SCEN_CHURN)
        fprintf(stderr, " cycles %" PRIu64 "/s", r->churn.cycles - r->churn.prev_cycles);
    if (opts_uses_muc(r->o))
        fprintf(stderr, " in rooms %zu", muc_joined(r));
    r->churn.prev_cycles = r->churn.cycles;
    if (ps.ok)
        fprintf(stderr, " server cpu %.0f%% rss %ld KiB", cpu, ps.rss_kib);
    fputc('\n', stderr);
    r->prev_sent = r->sent;
    r->prev_received = r->received;
}

static uint64_t missing(uint64_t expected, uint64_t received)
{
    return expected > received ? expected - received : 0;
}

static uint64_t lost_of(const struct step_stat *s)
{
    return missing(s->expected, s->received);
}

/* Deliveries per second of a step: what arrived, over the step's length. */
static double per_s(const struct run *r, uint64_t n)
{
    return r->o->step > 0 ? (double)n / r->o->step : 0;
}

static void print_latency(FILE *out, const struct hist *h)
{
    fprintf(out, " %8.2f %8.2f %8.2f %8.2f %8.2f", ms(hist_percentile(h, 50)),
            ms(hist_percentile(h, 90)), ms(hist_percentile(h, 99)),
            ms(hist_percentile(h, 99.9)), ms(h->max));
}

/* One line under a mixed step: each kind's share. */
static void print_kinds(FILE *out, const struct kind_stat *k)
{
    const struct kind_stat *c = &k[MIX_CHAT], *m = &k[MIX_MUC];
    fprintf(out, "     chat: sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
                 ", p99 %.2f ms | presence: sent %" PRIu64 " | muc: sent %" PRIu64
                 ", deliveries %" PRIu64 " of %" PRIu64 ", lost %" PRIu64 ", p99 %.2f ms\n",
            c->sent, c->received, missing(c->expected, c->received),
            ms(hist_percentile(&c->lat_us, 99)), k[MIX_PRESENCE].sent, m->sent, m->received,
            m->expected, missing(m->expected, m->received), ms(hist_percentile(&m->lat_us, 99)));
}

/* Chat as it always was; muc and mixed add what should have arrived and the arrival rate. */
static void summary_header(const struct run *r, FILE *out)
{
    bool muc = r->o->scenario == SCEN_MUC;
    fprintf(out, "%-4s %10s %10s", "step", "target/s", "sent");
    if (r->o->scenario != SCEN_CHAT)
        fprintf(out, " %10s %10s %10s", "expected", muc ? "delivered" : "received",
                muc ? "deliv/s" : "recv/s");
    else
        fprintf(out, " %10s", "received");
    fprintf(out, " %8s %8s %8s %8s %8s %8s %8s %6s\n", "lost", "late", "p50 ms", "p90 ms",
            "p99 ms", "p99.9", "max ms", "srv%");
}

static void summary_steps(const struct run *r, FILE *out)
{
    summary_header(r, out);
    for (size_t i = 0; i < r->steps.n; i++) {
        const struct step_stat *s = &r->st[i];
        fprintf(out, "%-4zu %10.0f %10" PRIu64, i + 1, s->target, s->sent);
        if (r->o->scenario != SCEN_CHAT)
            fprintf(out, " %10" PRIu64 " %10" PRIu64 " %10.0f", s->expected, s->received,
                    per_s(r, s->received));
        else
            fprintf(out, " %10" PRIu64, s->received);
        fprintf(out, " %8" PRIu64 " %8" PRIu64, lost_of(s), s->late);
        print_latency(out, &s->lat_us);
        fprintf(out, " %6.0f\n", s->server_cpu_pct);
        if (r->o->scenario == SCEN_MIXED)
            print_kinds(out, r->mix.st[i]);
        if (s->behind)
            fprintf(out, "     (the bot fell behind: %" PRIu64 " sends skipped)\n", s->behind);
    }
    if (r->o->scenario == SCEN_MUC)
        fprintf(out, "(sent: groupchat messages; expected, delivered and lost: deliveries, one "
                     "per occupant of the room, the sender's echo included)\n");
}

static void summary_rooms(const struct run *r, FILE *out)
{
    const struct muc *m = &r->muc;
    double secs = m->join_end_us > m->join_start_us
                      ? (double)(m->join_end_us - m->join_start_us) / 1e6
                      : 0;
    fprintf(out, "rooms: %zu x %ld occupants on %s; %zu of %zu seats joined in %.2f s, "
                 "%" PRIu64 " refused\n",
            m->n_rooms, r->o->occupants, r->o->muc_domain, m->seated, m->n_seats, secs,
            m->join_failures);
    fprintf(out, "joins: p50 %.2f ms, p99 %.2f ms; the join into a room of %" PRIu32
                 " took %.2f ms\n",
            (double)hist_percentile(&m->join_lat_us, 50) / 1e3,
            (double)hist_percentile(&m->join_lat_us, 99) / 1e3, m->fullest_before,
            (double)m->fullest_join_us / 1e3);
}

/* Sessions churn keeps in flight: --parallel, but at most one per account. */
static long churn_parallel(const struct run *r)
{
    return r->o->parallel < r->o->count ? r->o->parallel : r->o->count;
}

static void summary_churn(const struct run *r, FILE *out)
{
    const struct churn *ch = &r->churn;
    double secs = ch->end_us > r->t0_us ? (double)(ch->end_us - r->t0_us) / 1e6 : 0;
    fprintf(out, "churn: %" PRIu64 " cycles in %.1f s, %.1f cycles/s, up to %ld in flight; "
                 "%" PRIu64 " failures\n",
            ch->cycles, secs, churn_cycles_per_s(r), churn_parallel(r), r->eng.failures);
    if (r->o->messages > 0)
        fprintf(out, "messages to themselves: %" PRIu64 " sent, %" PRIu64 " came back\n",
                ch->messages_sent, ch->messages_received);
    if (r->ps_last.ok)
        fprintf(out, "server: RSS %ld KiB at the end (%ld KiB at the start), CPU %.1f%% while "
                     "churning\n",
                r->ps_last.rss_kib, r->ps_start.rss_kib, r->main_cpu_pct);
}

void report_summary(const struct run *r, FILE *out)
{
    const struct engine *e = &r->eng;
    const struct bench_opts *o = r->o;
    bool ws = o->transport == BTRANSPORT_WS;
    fprintf(out, "parley-bench %s: %zu accounts, %s:%ld%s%s, %s, %s\n", o->scenario_name, e->n,
            o->host, o->port, ws ? " WebSocket " : "", ws ? o->ws_path : "", tls_labels[o->tls],
            sasl_client_mech_name(o->sasl));
    if (o->scenario == SCEN_REGISTER)
        fprintf(out, "registered: %" PRIu64 " of %zu\n", e->registered, e->n);
    else
        fprintf(out, "logins: %" PRIu64 " ok, %" PRIu64 " failed, %.1f/s; latency p50 %.2f ms "
                     "p99 %.2f ms max %.2f ms\n",
                e->logins, login_failures(r), logins_per_s(r),
                ms(hist_percentile(&e->login_us, 50)), ms(hist_percentile(&e->login_us, 99)),
                ms(e->login_us.max));
    fprintf(out, "online at the end: %u; message errors: %" PRIu64 "\n", r->online_end,
            e->errors);
    if (o->sm)
        fprintf(out, "stream management: %" PRIu64 " sessions enabled, %" PRIu64 " acks, %" PRIu64
                     " stanzas never acked\n", e->sm_enabled, e->sm_acks, e->sm_unacked);
    if (e->failures)
        fprintf(out, "last failure: %s\n", e->last_error);
    if (opts_uses_muc(o))
        summary_rooms(r, out);
    if (o->scenario == SCEN_CHAT || o->scenario == SCEN_MUC || o->scenario == SCEN_MIXED)
        summary_steps(r, out);
    if (o->scenario == SCEN_RESUME)
        resume_summary(r, out);
    if (o->scenario == SCEN_OFFLINE)
        offline_summary(r, out);
    if (o->mam)
        mam_summary(r, out);
    if (o->scenario == SCEN_CHURN)
        summary_churn(r, out);
    else if (r->ps_last.ok)
        fprintf(out, "server: RSS %ld KiB (%ld KiB per session added), CPU %.1f%% in the "
                     "login storm, %.1f%% while %s\n",
                r->ps_last.rss_kib, rss_growth_per_session(r), r->storm_cpu_pct,
                r->main_cpu_pct, o->scenario == SCEN_LOGIN ? "holding" : "sending");
}

static void json_latency(struct json_out *j, const struct hist *h, bool all)
{
    json_kv_number(j, "p50_ms", ms(hist_percentile(h, 50)));
    if (all)
        json_kv_number(j, "p90_ms", ms(hist_percentile(h, 90)));
    json_kv_number(j, "p99_ms", ms(hist_percentile(h, 99)));
    if (all)
        json_kv_number(j, "p999_ms", ms(hist_percentile(h, 99.9)));
    json_kv_number(j, "max_ms", ms(h->max));
}

/* A mixed step's kinds: what was sent of each, and for chat and muc what arrived and when. */
static void json_kinds(struct json_out *j, const struct kind_stat *k)
{
    json_key(j, "kinds");
    json_begin_object(j);
    for (int i = 0; i < MIX_KINDS; i++) {
        json_key(j, kind_labels[i]);
        json_begin_object(j);
        json_kv_uint(j, "sent", k[i].sent);
        if (i == MIX_MUC)
            json_kv_uint(j, "deliveries_expected", k[i].expected);
        if (i != MIX_PRESENCE) {
            json_kv_uint(j, i == MIX_MUC ? "deliveries" : "received", k[i].received);
            json_kv_uint(j, "lost", missing(k[i].expected, k[i].received));
            json_kv_uint(j, "late", k[i].late);
            json_latency(j, &k[i].lat_us, false);
        }
        json_end_object(j);
    }
    json_end_object(j);
}

/* The keys chat writes, then those of muc or mixed: the suite reads every run the same way. */
static void json_step(struct json_out *j, const struct run *r, size_t i)
{
    const struct step_stat *s = &r->st[i];
    json_begin_object(j);
    json_kv_number(j, "target_rate", s->target);
    json_kv_uint(j, "sent", s->sent);
    json_kv_uint(j, "received", s->received);
    json_kv_uint(j, "lost", lost_of(s));
    json_kv_uint(j, "late", s->late);
    json_kv_uint(j, "behind", s->behind);
    json_latency(j, &s->lat_us, true);
    json_kv_number(j, "server_cpu_pct", s->server_cpu_pct);
    if (r->o->scenario == SCEN_MUC) {
        json_kv_uint(j, "deliveries_expected", s->expected);
        json_kv_uint(j, "deliveries", s->received);
        json_kv_number(j, "deliveries_per_s", per_s(r, s->received));
    }
    if (r->o->scenario == SCEN_MIXED) {
        json_kv_uint(j, "expected", s->expected);
        json_kinds(j, r->mix.st[i]);
    }
    json_end_object(j);
}

static void json_rooms(struct json_out *j, const struct run *r)
{
    const struct muc *m = &r->muc;
    json_kv_string(j, "muc_domain", r->o->muc_domain);
    json_kv_uint(j, "rooms", m->n_rooms);
    json_kv_uint(j, "occupants", (uint64_t)r->o->occupants);
    json_kv_uint(j, "joined", m->seated);
    json_kv_uint(j, "join_failures", m->join_failures);
    json_kv_number(j, "join_s", m->join_end_us > m->join_start_us
                                    ? (double)(m->join_end_us - m->join_start_us) / 1e6
                                    : 0);
    json_kv_number(j, "join_p50_ms", (double)hist_percentile(&m->join_lat_us, 50) / 1e3);
    json_kv_number(j, "join_p99_ms", (double)hist_percentile(&m->join_lat_us, 99) / 1e3);
    json_kv_uint(j, "fullest_join_before", m->fullest_before);
    json_kv_number(j, "fullest_join_ms", (double)m->fullest_join_us / 1e3);
}

static void json_mix(struct json_out *j, const struct run *r)
{
    json_key(j, "mix");
    json_begin_object(j);
    for (int k = 0; k < MIX_KINDS; k++)
        json_kv_number(j, kind_labels[k], r->o->mix_weights[k]);
    json_end_object(j);
}

static void json_logins(struct json_out *j, const struct run *r)
{
    const struct engine *e = &r->eng;
    json_kv_uint(j, "logins", e->logins);
    json_kv_uint(j, "login_failures", login_failures(r));
    json_kv_number(j, "logins_per_s", logins_per_s(r));
    json_kv_number(j, "login_p50_ms", ms(hist_percentile(&e->login_us, 50)));
    json_kv_number(j, "login_p99_ms", ms(hist_percentile(&e->login_us, 99)));
    json_kv_number(j, "login_max_ms", ms(e->login_us.max));
    json_kv_uint(j, "online", r->online_end);
    json_kv_uint(j, "registered", e->registered);
    json_kv_uint(j, "errors", e->errors);
    if (r->o->sm) {
        json_kv_uint(j, "sm_enabled", e->sm_enabled);
        json_kv_uint(j, "sm_acks", e->sm_acks);
        json_kv_uint(j, "sm_unacked", e->sm_unacked);
    }
    json_kv_string(j, "last_error", e->failures ? e->last_error : NULL);
}

static void json_server(struct json_out *j, const struct run *r)
{
    if (!r->ps_last.ok) {
        json_kv_string(j, "server_rss_kib", NULL); /* no --server-pid: null, not zero */
        json_kv_string(j, "server_cpu_pct", NULL);
        return;
    }
    json_kv_uint(j, "server_rss_kib", (uint64_t)r->ps_last.rss_kib);
    json_kv_uint(j, "server_rss_start_kib", (uint64_t)r->ps_start.rss_kib);
    json_kv_number(j, "server_kib_per_session", (double)rss_growth_per_session(r));
    json_kv_number(j, "server_cpu_pct", r->main_cpu_pct);
    json_kv_number(j, "login_server_cpu_pct", r->storm_cpu_pct);
}

static void json_churn(struct json_out *j, const struct run *r)
{
    json_kv_uint(j, "cycles", r->churn.cycles);
    json_kv_number(j, "cycles_per_s", churn_cycles_per_s(r));
    json_kv_uint(j, "failures", r->eng.failures);
    json_kv_uint(j, "parallel", (uint64_t)churn_parallel(r));
    json_kv_number(j, "duration_s", r->o->duration);
    json_kv_number(j, "hold_s", r->o->hold);
    json_kv_uint(j, "messages_per_cycle", (uint64_t)r->o->messages);
    json_kv_uint(j, "messages_sent", r->churn.messages_sent);
    json_kv_uint(j, "messages_received", r->churn.messages_received);
    json_kv_uint(j, "max_logins", (uint64_t)(r->o->max_logins ? r->o->max_logins
                                                               : churn_parallel(r)));
    if (r->o->series > 0)
        churn_series_json(j, r);
}

/* How the bot reached the server: TLS, transport (WebSocket: its path), SASL. */
static void json_connection(struct json_out *j, const struct bench_opts *o)
{
    bool ws = o->transport == BTRANSPORT_WS;
    json_kv_string(j, "tls", tls_labels[o->tls]);
    json_kv_string(j, "transport", ws ? "websocket" : "tcp");
    json_kv_string(j, "ws_path", ws ? o->ws_path : NULL);
    json_kv_string(j, "sasl", sasl_client_mech_name(o->sasl));
}

int report_json(const struct run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return PL_EIO;
    }
    struct json_out j;
    json_init(&j, f);
    json_begin_object(&j);
    json_kv_string(&j, "scenario", r->o->scenario_name);
    json_kv_uint(&j, "count", r->eng.n);
    json_connection(&j, r->o);
    json_logins(&j, r);
    if (r->o->scenario == SCEN_CHURN)
        json_churn(&j, r);
    if (r->o->scenario == SCEN_MIXED)
        json_mix(&j, r);
    if (opts_uses_muc(r->o))
        json_rooms(&j, r);
    if (r->o->scenario == SCEN_RESUME)
        resume_json(&j, r);
    if (r->o->scenario == SCEN_OFFLINE)
        offline_json(&j, r);
    if (r->o->mam)
        mam_json(&j, r);
    json_server(&j, r);
    json_key(&j, "steps");
    json_begin_array(&j);
    for (size_t i = 0; i < r->steps.n; i++)
        json_step(&j, r, i);
    json_end_array(&j);
    json_end_object(&j);
    fputc('\n', f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        perror(path);
        return PL_EIO;
    }
    return PL_OK;
}
