/* SPDX-License-Identifier: MIT */
/* Resume scenario: a login storm with stream management and resumption on, every connection
 * dropped at once, then every session resumed (new TCP and TLS, SASL, <resume/>): the server
 * CPU of a full login against that of a resumption. */
#include <inttypes.h>
#include <stdio.h>

#include "base.h"
#include "json_out.h"
#include "run.h"

#define ENABLED_WAIT_US 5000000u /* for the <enabled/> answers after the storm */
#define DROP_PAUSE_US 1000000u   /* lets the server see every connection go before resuming */

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void drop_all(struct run *r, uint64_t now_us)
{
    struct resume_run *rs = &r->resume;
    procstat_sample(r->o->server_pid, now_us, &rs->ps_login);
    r->storm_cpu_pct = procstat_cpu_pct(&r->ps_start, &rs->ps_login);
    for (size_t i = 0; i < r->eng.n; i++) {
        struct client *c = &r->eng.clients[i];
        client_drop(c);
        rs->dropped_n += c->resuming;
    }
    rs->dropped = true;
    rs->drop_us = now_us;
}

static void start_resumes(struct run *r, uint64_t now_us)
{
    struct resume_run *rs = &r->resume;
    procstat_sample(r->o->server_pid, now_us, &rs->ps_drop);
    rs->start_us = now_us;
    r->next_start = 0;
    r->phase = PH_RESUME;
    r->phase_us = now_us;
}

static void resumes_done(struct run *r, uint64_t now_us)
{
    struct resume_run *rs = &r->resume;
    rs->end_us = now_us;
    procstat_sample(r->o->server_pid, now_us, &rs->ps_end);
    r->main_cpu_pct = procstat_cpu_pct(&rs->ps_drop, &rs->ps_end);
    run_enter(r, PH_DONE, now_us);
}

void resume_tick(struct run *r, uint64_t now_us)
{
    struct engine *e = &r->eng;
    struct resume_run *rs = &r->resume;
    if (r->phase == PH_DROP && !rs->dropped) {
        if (e->sm_enabled >= e->logins || now_us - r->phase_us > ENABLED_WAIT_US)
            drop_all(r, now_us);
        return;
    }
    if (r->phase == PH_DROP) {
        if (now_us - rs->drop_us >= DROP_PAUSE_US)
            start_resumes(r, now_us);
        return;
    }
    engine_expire(e, now_us, (uint64_t)(r->o->timeout * 1e6));
    if (r->next_start >= r->start_end && e->in_flight == 0)
        resumes_done(r, now_us);
}

/* Server CPU seconds between two samples, -1 when either is missing. */
static double cpu_s(const struct proc_sample *a, const struct proc_sample *b)
{
    return a->ok && b->ok ? b->cpu_s - a->cpu_s : -1;
}

static double per_ms(double s, uint64_t n) { return s >= 0 && n ? s * 1000.0 / (double)n : -1; }

static double resumes_per_s(const struct resume_run *rs, uint64_t n)
{
    return rs->end_us > rs->start_us ? (double)n / ((double)(rs->end_us - rs->start_us) / 1e6)
                                     : 0;
}

void resume_summary(const struct run *r, FILE *out)
{
    const struct engine *e = &r->eng;
    const struct resume_run *rs = &r->resume;
    fprintf(out, "resume: %" PRIu64 " dropped with an id, %" PRIu64 " resumed, %.1f/s; latency "
                 "p50 %.2f ms p99 %.2f ms\n",
            rs->dropped_n, e->resumed, resumes_per_s(rs, e->resumed),
            ms(hist_percentile(&e->resume_us, 50)), ms(hist_percentile(&e->resume_us, 99)));
    fprintf(out, "server CPU per full login %.3f ms, per resumption %.3f ms (the drop: %.3f ms "
                 "per session)\n",
            per_ms(cpu_s(&r->ps_start, &rs->ps_login), e->logins),
            per_ms(cpu_s(&rs->ps_drop, &rs->ps_end), e->resumed),
            per_ms(cpu_s(&rs->ps_login, &rs->ps_drop), rs->dropped_n));
}

void resume_json(struct json_out *j, const struct run *r)
{
    const struct engine *e = &r->eng;
    const struct resume_run *rs = &r->resume;
    json_key(j, "resume");
    json_begin_object(j);
    json_kv_uint(j, "dropped", rs->dropped_n);
    json_kv_uint(j, "resumed", e->resumed);
    json_kv_number(j, "resumes_per_s", resumes_per_s(rs, e->resumed));
    json_kv_number(j, "resume_p50_ms", ms(hist_percentile(&e->resume_us, 50)));
    json_kv_number(j, "resume_p99_ms", ms(hist_percentile(&e->resume_us, 99)));
    json_kv_number(j, "login_cpu_ms_per_login",
                   per_ms(cpu_s(&r->ps_start, &rs->ps_login), e->logins));
    json_kv_number(j, "resume_cpu_ms_per_resume",
                   per_ms(cpu_s(&rs->ps_drop, &rs->ps_end), e->resumed));
    json_kv_number(j, "drop_cpu_ms_per_session",
                   per_ms(cpu_s(&rs->ps_login, &rs->ps_drop), rs->dropped_n));
    json_kv_number(j, "resume_server_cpu_pct", r->main_cpu_pct);
    json_end_object(j);
}
