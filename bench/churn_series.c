/* SPDX-License-Identifier: MIT */
/* The churn series (--series): login and message latency per window, server RSS per second. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "run.h"

static double ms(uint64_t us) { return (double)us / 1000.0; }

void churn_series_init(struct churn_series *s, double window_s, uint64_t now_us)
{
    memset(s, 0, sizeof(*s));
    s->login_us = xmalloc(sizeof(*s->login_us));
    s->message_us = xmalloc(sizeof(*s->message_us));
    hist_init(s->login_us);
    hist_init(s->message_us);
    s->window_us = (uint64_t)(window_s * 1e6);
    s->start_us = now_us;
}

void churn_series_fini(struct churn_series *s)
{
    free(s->login_us);
    free(s->message_us);
    free(s->w);
    free(s->rss);
    memset(s, 0, sizeof(*s));
}

void churn_series_login(struct churn_series *s, uint64_t lat_us)
{
    hist_record(s->login_us, lat_us);
}

void churn_series_message(struct churn_series *s, uint64_t lat_us)
{
    hist_record(s->message_us, lat_us);
}

/* Closes the window now running into s->w and starts the next one. */
static void close_window(struct run *r, const struct proc_sample *ps, uint64_t now_us)
{
    struct churn_series *s = &r->churn.series;
    if (s->n_w == s->cap_w) {
        s->cap_w = s->cap_w ? 2 * s->cap_w : 16;
        s->w = xrealloc(s->w, s->cap_w * sizeof(*s->w));
    }
    s->w[s->n_w++] = (struct churn_window){
        .t_s = (double)(now_us - r->t0_us) / 1e6,
        .logins = s->login_us->total,
        .cycles = r->churn.cycles - s->cycles0,
        .failures = r->eng.failures - s->failures0,
        .messages = s->message_us->total,
        .login_p50_ms = ms(hist_percentile(s->login_us, 50)),
        .login_p99_ms = ms(hist_percentile(s->login_us, 99)),
        .login_max_ms = ms(s->login_us->max),
        .message_p99_ms = ms(hist_percentile(s->message_us, 99)),
        .rss_kib = ps->ok ? ps->rss_kib : -1,
        .server_cpu_pct = procstat_cpu_pct(&s->ps0, ps),
        .online = r->eng.online,
    };
    hist_init(s->login_us);
    hist_init(s->message_us);
    s->start_us = now_us;
    s->cycles0 = r->churn.cycles;
    s->failures0 = r->eng.failures;
    s->ps0 = *ps;
}

void churn_series_second(struct run *r, uint64_t now_us)
{
    struct churn_series *s = &r->churn.series;
    struct proc_sample ps;
    procstat_sample(r->o->server_pid, now_us, &ps);
    if (s->n_rss == 0 && s->n_w == 0 && !s->ps0.ok)
        s->ps0 = r->ps_start; /* the first window's CPU counts from the run's start */
    if (ps.ok) {
        if (s->n_rss == s->cap_rss) {
            s->cap_rss = s->cap_rss ? 2 * s->cap_rss : 1024;
            s->rss = xrealloc(s->rss, s->cap_rss * sizeof(*s->rss));
        }
        s->rss[s->n_rss++] = (struct rss_point){ (double)(now_us - r->t0_us) / 1e6, ps.rss_kib };
    }
    /* a little early rather than a second late: the timer drifts by microseconds */
    if (now_us - s->start_us + 500000 >= s->window_us)
        close_window(r, &ps, now_us);
}

static void json_window(struct json_out *j, const struct churn_window *w)
{
    json_begin_object(j);
    json_kv_number(j, "t_s", w->t_s);
    json_kv_uint(j, "logins", w->logins);
    json_kv_uint(j, "cycles", w->cycles);
    json_kv_uint(j, "failures", w->failures);
    json_kv_uint(j, "messages", w->messages);
    json_kv_number(j, "login_p50_ms", w->login_p50_ms);
    json_kv_number(j, "login_p99_ms", w->login_p99_ms);
    json_kv_number(j, "login_max_ms", w->login_max_ms);
    json_kv_number(j, "message_p99_ms", w->message_p99_ms);
    if (w->rss_kib >= 0)
        json_kv_uint(j, "rss_kib", (uint64_t)w->rss_kib);
    else
        json_kv_string(j, "rss_kib", NULL);
    json_kv_number(j, "server_cpu_pct", w->server_cpu_pct >= 0 ? w->server_cpu_pct : NAN);
    json_kv_uint(j, "online", w->online);
    json_end_object(j);
}

void churn_series_json(struct json_out *j, const struct run *r)
{
    const struct churn_series *s = &r->churn.series;
    json_kv_number(j, "series_s", r->o->series);
    json_key(j, "series");
    json_begin_array(j);
    for (size_t i = 0; i < s->n_w; i++)
        json_window(j, &s->w[i]);
    json_end_array(j);
    json_key(j, "rss"); /* [seconds since the start, KiB], one a second */
    json_begin_array(j);
    for (size_t i = 0; i < s->n_rss; i++) {
        json_begin_array(j);
        json_number(j, s->rss[i].t_s);
        json_uint(j, (uint64_t)s->rss[i].rss_kib);
        json_end_array(j);
    }
    json_end_array(j);
}
