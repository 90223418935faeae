/* SPDX-License-Identifier: MIT */
/* Archive queries (XEP-0313 with XEP-0059 paging): the first account asks, one query in flight,
 * at most --mam-rate a second, the kinds of --mam in turn; each is timed from the send to the
 * iq result that ends it (after its result messages). Alone (mam scenario) or beside chat. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "json_out.h"
#include "replies.h"
#include "run.h"

#define MAM_PAGE 50

static double ms(uint64_t us) { return (double)us / 1000.0; }

void mam_init(struct run *r)
{
    r->mam.owner = &r->eng.clients[0];
    for (int k = 0; k < MAM_KINDS; k++)
        hist_init(&r->mam.lat_us[k]);
}

static void add_field(struct buf *b, const char *var, const char *value)
{
    buf_puts(b, "<field var='");
    xml_escape(var, strlen(var), b);
    buf_puts(b, "'><value>");
    xml_escape(value, strlen(value), b);
    buf_puts(b, "</value></field>");
}

/* with: the last page with a JID (empty <before/>); date: the first page in a time range;
 * text: the last page of a full-text search. */
static void build_query(const struct client *c, int kind, uint64_t seq, struct buf *b)
{
    const struct bench_opts *o = c->eng->o;
    buf_printf(b, "<iq%s type='set' id='mam%" PRIu64 "'><query xmlns='" NS_MAM "' queryid='mam%"
               PRIu64 "'><x xmlns='" NS_XDATA "' type='submit'><field var='FORM_TYPE' "
               "type='hidden'><value>" NS_MAM "</value></field>", client_xmlns(c), seq, seq);
    if (kind == MAM_WITH)
        add_field(b, "with", o->mam_with);
    if (kind == MAM_DATE) {
        add_field(b, "start", o->mam_start);
        add_field(b, "end", o->mam_end);
    }
    if (kind == MAM_TEXT)
        add_field(b, NS_FULLTEXT_FIELD, o->mam_text);
    buf_printf(b, "</x><set xmlns='" NS_RSM "'><max>%d</max>%s</set></query></iq>", MAM_PAGE,
               kind == MAM_DATE ? "" : "<before/>");
}

static int next_kind(struct run *r)
{
    for (int i = 0; i < MAM_KINDS; i++) {
        int k = (r->mam.next_kind + i) % MAM_KINDS;
        if (r->o->mam_kinds[k]) {
            r->mam.next_kind = k + 1;
            return k;
        }
    }
    return MAM_WITH;
}

void mam_tick(struct run *r, uint64_t now_us)
{
    struct mam_run *m = &r->mam;
    if (!r->o->mam || !m->owner || m->owner->state != CL_ONLINE || m->in_flight ||
        now_us < m->next_us)
        return;
    m->kind = next_kind(r);
    struct buf b;
    buf_init(&b);
    build_query(m->owner, m->kind, ++m->seq, &b);
    client_stanza_send(m->owner, b.data, b.len);
    buf_fini(&b);
    m->in_flight = true;
    m->sent_us = now_us;
    m->next_us = now_us + (uint64_t)(1e6 / r->o->mam_rate);
}

bool mam_message(struct run *r, struct client *c, const struct stanza *st)
{
    if (c != r->mam.owner || !reply_mam_queryid(st))
        return false;
    if (r->mam.in_flight)
        r->mam.items[r->mam.kind]++;
    return true;
}

static bool is_ours(const struct mam_run *m, const char *id)
{
    char want[32];
    snprintf(want, sizeof(want), "mam%" PRIu64, m->seq);
    return id && strcmp(id, want) == 0;
}

bool mam_iq_result(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us)
{
    struct mam_run *m = &r->mam;
    if (c != m->owner || !m->in_flight || !is_ours(m, st->id))
        return false;
    struct mam_fin fin;
    m->in_flight = false;
    m->queries[m->kind]++;
    if (st->type == IQ_ERROR || !reply_mam_fin(st, &fin)) {
        const struct xel *err = xel_child(st->root, "error", NULL);
        const struct xel *cond = err ? xel_first_elem(err) : NULL;
        snprintf(m->last_error, sizeof(m->last_error), "%s query: %s", opts_mam_names[m->kind],
                 cond ? cond->name : "no <fin/>");
        m->errors[m->kind]++;
        return true;
    }
    m->complete[m->kind] += fin.complete;
    hist_record(&m->lat_us[m->kind], now_us - m->sent_us);
    return true;
}

void mam_summary(const struct run *r, FILE *out)
{
    const struct mam_run *m = &r->mam;
    for (int k = 0; k < MAM_KINDS; k++) {
        if (!r->o->mam_kinds[k])
            continue;
        uint64_t ok = m->queries[k] - m->errors[k];
        fprintf(out, "archive %s: %" PRIu64 " queries, %" PRIu64 " errors, %.1f results each; "
                     "p50 %.2f ms p99 %.2f ms max %.2f ms\n",
                opts_mam_names[k], m->queries[k], m->errors[k],
                ok ? (double)m->items[k] / (double)ok : 0, ms(hist_percentile(&m->lat_us[k], 50)),
                ms(hist_percentile(&m->lat_us[k], 99)), ms(m->lat_us[k].max));
    }
    if (m->last_error[0])
        fprintf(out, "archive: last error: %s\n", m->last_error);
}

void mam_json(struct json_out *j, const struct run *r)
{
    const struct mam_run *m = &r->mam;
    json_key(j, "mam");
    json_begin_object(j);
    for (int k = 0; k < MAM_KINDS; k++) {
        if (!r->o->mam_kinds[k])
            continue;
        uint64_t ok = m->queries[k] - m->errors[k];
        json_key(j, opts_mam_names[k]);
        json_begin_object(j);
        json_kv_uint(j, "queries", m->queries[k]);
        json_kv_uint(j, "errors", m->errors[k]);
        json_kv_number(j, "results_per_query", ok ? (double)m->items[k] / (double)ok : 0);
        json_kv_number(j, "p50_ms", ms(hist_percentile(&m->lat_us[k], 50)));
        json_kv_number(j, "p99_ms", ms(hist_percentile(&m->lat_us[k], 99)));
        json_kv_number(j, "max_ms", ms(m->lat_us[k].max));
        json_end_object(j);
    }
    json_kv_string(j, "last_error", m->last_error[0] ? m->last_error : NULL);
    json_end_object(j);
}
