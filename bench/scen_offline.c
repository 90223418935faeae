/* SPDX-License-Identifier: MIT */
/* Offline scenario: every account logs in (the second half's take whatever an earlier run
 * left kept for them) and the second half log out again; the first half send --messages each
 * to one account of the second half, now offline (the server keeps them); then the second
 * half log in one at a time, and the bot times each flush, from the login's start and from
 * the initial presence to the last kept message, with the server's CPU for the whole login. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "json_out.h"
#include "replies.h"
#include "run.h"

#define STORE_PAUSE_US 1000000u /* after the last ping answer, before the first flush */

static double ms(uint64_t us) { return (double)us / 1000.0; }

void offline_init(struct run *r)
{
    struct offline_run *off = &r->off;
    off->senders = r->eng.n / 2;
    off->next = off->senders;
    hist_init(&off->flush_us);
    hist_init(&off->after_presence_us);
}

/* --messages chat messages from sender i to account n/2 + i, then a ping: its answer says
 * that the server has handled (and kept) every one of them. */
static void send_batch(struct run *r, struct client *from, const struct client *to)
{
    struct buf jid;
    buf_init(&jid);
    xml_escape(to->user, strlen(to->user), &jid);
    buf_puts(&jid, "@");
    xml_escape(r->o->domain, strlen(r->o->domain), &jid);
    for (long k = 0; k < r->o->messages; k++)
        client_stanza_printf(from,
                             "<message%s to='%s' type='chat' id='off%ld'><body>"
                             OFFLINE_BODY_PREFIX "%ld</body></message>",
                             client_xmlns(from), jid.data, k, k);
    client_stanza_printf(from, "<iq%s type='get' id='stored' to='%s'><ping "
                               "xmlns='urn:xmpp:ping'/></iq>", client_xmlns(from), r->o->domain);
    buf_fini(&jid);
}

/* The recipients end their sessions; true once every one of them is closed. */
static bool recipients_gone(struct run *r)
{
    struct engine *e = &r->eng;
    bool gone = true;
    for (size_t i = r->off.senders; i < e->n; i++) {
        struct client *c = &e->clients[i];
        if (c->state != CL_IDLE)
            client_end(c); /* once: it does nothing while the end is under way */
        gone = gone && c->state == CL_IDLE;
    }
    return gone;
}

static void store_start(struct run *r)
{
    struct engine *e = &r->eng;
    for (size_t i = 0; i < r->off.senders; i++)
        if (e->clients[i].state == CL_ONLINE)
            send_batch(r, &e->clients[i], &e->clients[r->off.senders + i]);
}

void offline_iq_result(struct run *r, struct client *c, const struct stanza *st)
{
    (void)c;
    if (r->phase == PH_STORE && st->id && strcmp(st->id, "stored") == 0)
        r->off.stored++;
}

static void flush_start(struct run *r, uint64_t now_us)
{
    struct offline_run *off = &r->off;
    if (off->next >= r->eng.n) {
        procstat_sample(r->o->server_pid, now_us, &r->ps_last);
        run_enter(r, PH_DONE, now_us);
        return;
    }
    off->cur = &r->eng.clients[off->next++];
    off->got = off->expect = off->out_of_order = 0;
    off->online_us = off->last_us = 0;
    procstat_sample(r->o->server_pid, now_us, &off->ps0);
    off->start_us = now_us;
    client_start(off->cur);
}

/* The recipient now logging in has everything, or gave up: its figures, then the next. */
static void flush_end(struct run *r, uint64_t now_us, bool complete)
{
    struct offline_run *off = &r->off;
    struct proc_sample ps;
    procstat_sample(r->o->server_pid, now_us, &ps);
    if (complete) {
        off->flushes++;
        hist_record(&off->flush_us, off->last_us - off->start_us);
        hist_record(&off->after_presence_us, off->last_us - off->online_us);
        if (ps.ok && off->ps0.ok)
            off->cpu_s += ps.cpu_s - off->ps0.cpu_s;
    } else {
        off->incomplete++;
    }
    client_end(off->cur);
    off->cur = NULL;
    flush_start(r, now_us);
}

void offline_online(struct run *r, struct client *c, uint64_t now_us)
{
    if (c == r->off.cur)
        r->off.online_us = now_us;
}

void offline_message(struct run *r, struct client *c, const struct stanza *st, uint64_t now_us)
{
    struct offline_run *off = &r->off;
    const struct xel *body = xel_child(st->root, "body", NULL);
    uint64_t seq;
    if (c != off->cur || !body || !reply_offline_seq(xel_text(body), &seq))
        return;
    off->out_of_order += seq != off->expect;
    off->expect = seq + 1;
    off->got++;
    off->received++;
    off->last_us = now_us;
    if (off->got >= (uint64_t)r->o->messages)
        flush_end(r, now_us, true);
}

void offline_tick(struct run *r, uint64_t now_us)
{
    struct offline_run *off = &r->off;
    uint64_t timeout = (uint64_t)(r->o->timeout * 1e6);
    if (r->phase == PH_FLUSH) {
        if (off->cur && now_us - off->start_us > timeout)
            flush_end(r, now_us, false);
        else if (!off->cur && now_us - r->phase_us >= STORE_PAUSE_US)
            flush_start(r, now_us);
        return;
    }
    if (!off->sent) {
        if (recipients_gone(r) || now_us - r->phase_us > timeout) {
            store_start(r);
            off->sent = true;
        }
        return;
    }
    if (off->stored < r->eng.online && now_us - r->phase_us < timeout)
        return;
    off->store_errors = r->eng.errors; /* refused while storing: those will not come */
    if (off->store_errors > 0) {
        /* a server without offline storage (or a quota below --messages): nothing to time */
        procstat_sample(r->o->server_pid, now_us, &r->ps_last);
        run_enter(r, PH_DONE, now_us);
        return;
    }
    r->phase = PH_FLUSH;
    r->phase_us = now_us;
}

void offline_summary(const struct run *r, FILE *out)
{
    const struct offline_run *off = &r->off;
    fprintf(out, "offline: %zu logins with %ld kept messages each: %zu complete, %zu not; "
                 "%" PRIu64 " errors while storing, %" PRIu64 " out of order\n",
            r->eng.n - off->senders, r->o->messages, off->flushes, off->incomplete,
            off->store_errors, off->out_of_order);
    fprintf(out, "flush: login start to the last message p50 %.1f ms max %.1f ms; initial "
                 "presence to the last p50 %.1f ms; server CPU %.1f ms per login and flush\n",
            ms(hist_percentile(&off->flush_us, 50)), ms(off->flush_us.max),
            ms(hist_percentile(&off->after_presence_us, 50)),
            off->flushes ? off->cpu_s * 1000.0 / (double)off->flushes : -1);
}

void offline_json(struct json_out *j, const struct run *r)
{
    const struct offline_run *off = &r->off;
    json_key(j, "offline");
    json_begin_object(j);
    json_kv_uint(j, "messages_per_login", (uint64_t)r->o->messages);
    json_kv_uint(j, "logins", r->eng.n - off->senders);
    json_kv_uint(j, "flushes", off->flushes);
    json_kv_uint(j, "incomplete", off->incomplete);
    json_kv_uint(j, "store_errors", off->store_errors);
    json_kv_uint(j, "received", off->received);
    json_kv_uint(j, "out_of_order", off->out_of_order);
    json_kv_number(j, "flush_p50_ms", ms(hist_percentile(&off->flush_us, 50)));
    json_kv_number(j, "flush_max_ms", ms(off->flush_us.max));
    json_kv_number(j, "after_presence_p50_ms", ms(hist_percentile(&off->after_presence_us, 50)));
    json_kv_number(j, "after_presence_max_ms", ms(off->after_presence_us.max));
    json_kv_number(j, "server_cpu_ms_per_flush",
                   off->flushes ? off->cpu_s * 1000.0 / (double)off->flushes : -1);
    json_end_object(j);
}
