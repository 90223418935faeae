/* SPDX-License-Identifier: MIT */
/* Presence (RFC 6121 §4): broadcast to resources and subscribers serialized once, probes
 * answered from last presence, directed presence; subscriptions are in subscribe.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "jid.h"
#include "ns.h"
#include "roster_int.h"

/* Directed presence remembered per session; past this, the oldest entries are not tracked. */
#define DIRECTED_MAX 1000

static const char *bare_of(const struct session *s)
{
    return module_session_jid(s)->bare;
}

/* ---- serialize once, address each recipient ------------------------------------------- */

/*
 * Serializes st, which has no 'to', into o; out_write splices 'to' in after the name. sender is
 * the session it comes from, NULL when the server speaks for the account: privacy policy
 * (module_filter_out/_in) is asked for every recipient, as the router would.
 */
void pres_out_set(struct pres_out *o, const struct stanza *st, const struct session *sender)
{
    buf_reset(&o->bytes);
    stanza_write(st, &o->bytes);
    o->head = 1 + strlen(st->root->name);
    o->st = st;
    o->sender = sender;
    jid_free(o->from);
    o->from = st->from ? jid_parse(st->from) : NULL;
}

/* A job's own copy of src: the bytes as serialized once, and the stanza for privacy checks. */
static void out_copy(struct pres_out *o, const struct pres_out *src)
{
    buf_reset(&o->bytes);
    buf_append(&o->bytes, src->bytes.data, src->bytes.len);
    o->head = src->head;
    stanza_unref(o->own);
    o->own = stanza_compact(src->st);
    o->st = o->own;
    o->sender = NULL; /* set for each slice: a session pointer never outlives a loop turn */
    jid_free(o->from);
    o->from = src->from ? jid_dup(src->from) : NULL;
}

static void out_fini(struct pres_out *o)
{
    buf_fini(&o->bytes);
    stanza_unref(o->own);
    jid_free(o->from);
}

static bool out_allowed(struct roster_mod *m, const struct pres_out *o, const char *to)
{
    struct filter_verdict v;
    return !o->from ||
           module_filter_out(m->srv, o->from->bare, o->sender, to, o->st, &v) == ROUTE_PASS;
}

static void out_write(struct roster_mod *m, const struct pres_out *o, struct session *s,
                      const char *to)
{
    struct filter_verdict v;
    if (module_filter_in(m->srv, bare_of(s), s, o->st, &v) != ROUTE_PASS)
        return; /* presence refused by privacy is dropped silently */
    struct buf *h = &m->head;
    buf_reset(h);
    /* one write per stanza: stream management counts stanzas, client state sees each */
    stanza_splice_to(h, o->bytes.data, o->bytes.len, o->head, to);
    roster_send(m, s, o->st, h->data, h->len);
}

/* Sends o to one session, addressed to `to`. */
static void out_send(struct roster_mod *m, const struct pres_out *o, struct session *s,
                     const char *to)
{
    if (out_allowed(m, o, to))
        out_write(m, o, s, to);
}

/* Sends o to bare's available resources (to = bare), except one. */
void pres_out_send_account(struct roster_mod *m, const struct pres_out *o, const char *bare,
                           const struct session *except)
{
    struct session *s = module_sessions_first(m->srv, bare);
    if (!s || !out_allowed(m, o, bare))
        return;
    for (; s; s = module_sessions_next(s))
        if (s != except && module_session_available(s))
            out_write(m, o, s, bare);
}

struct stanza *pres_stanza_new(const char *type, const char *from, const char *status)
{
    struct stanza *st = stanza_new("presence", NS_CLIENT);
    if (type)
        xel_set_attr(st, st->root, "type", type);
    if (status)
        xel_add_text_child(st, st->root, "status", status);
    stanza_set_from(st, from);
    stanza_summarize(st);
    return st;
}

/* The request's <status/>, cut at a character boundary to what is worth storing with it. */
const char *pres_status_of(const struct stanza *st, char *buf, size_t n)
{
    const struct xel *status = xel_child(st->root, "status", NULL);
    if (!status)
        return NULL;
    size_t len = strlen(xel_text(status));
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)xel_text(status)[len] & 0xC0) == 0x80)
            len--; /* do not split a UTF-8 sequence */
    }
    memcpy(buf, xel_text(status), len);
    buf[len] = '\0';
    return buf;
}

/* ---- probes ----------------------------------------------------------------------------- */

/* The unavailable presence answering a probe of contact when none of its resources is
 * available: RFC 6121 §4.3.2 says it SHOULD carry the last unavailable presence, which for an
 * account with no session is its last logout (kept for XEP-0012), stamped with XEP-0203. */
static struct stanza *last_unavailable(struct roster_mod *m, const char *contact)
{
    long long when;
    char *status = NULL, stamp[32];
    struct stanza *u;
    if (module_sessions_first(m->srv, contact) ||
        last_get(module_storage(m->srv), contact, &when, &status) != PL_OK)
        return pres_stanza_new("unavailable", contact, NULL);
    u = pres_stanza_new("unavailable", contact, status && *status ? status : NULL);
    free(status);
    time_t t = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return u; /* a stored time out of range: no stamp rather than a wrong one */
    struct xel *d = xel_add_child(u, u->root, "delay", NS_DELAY);
    xel_set_attr(u, d, "from", module_domain(m->srv));
    xel_set_attr(u, d, "stamp", stamp);
    return u;
}

/* Answers a probe of contact for one session (RFC 6121 §4.3.2): the last presence of each
 * available resource, or unavailable from the bare JID when there is none, as Prosody does. */
static void answer_probe(struct roster_mod *m, const char *contact, struct session *to)
{
    unsigned n = 0;
    for (struct session *s = module_sessions_first(m->srv, contact); s;
         s = module_sessions_next(s)) {
        if (!module_session_available(s) || !module_session_presence(s))
            continue;
        pres_out_set(&m->out, module_session_presence(s), NULL);
        out_send(m, &m->out, to, module_session_jid(to)->full);
        n++;
    }
    if (n)
        return;
    struct stanza *u = last_unavailable(m, contact);
    pres_out_set(&m->out, u, NULL);
    out_send(m, &m->out, to, module_session_jid(to)->full);
    stanza_unref(u);
}

/* RFC 6121 §4.3: answered only when the prober may see the contact's presence, which its own
 * roster says as well as the contact's (the two sides of a subscription agree). */
int presence_probe_route(struct route_ctx *rc, struct stanza *st)
{
    struct roster_mod *m = rc->state;
    (void)st;
    if (!rc->to || !rc->to->local)
        return ROUTE_DONE;
    const char *owner = bare_of(rc->sess);
    struct roster *r = roster_acquire(m, owner);
    struct roster_item *it = r ? roster_item_find(r, rc->to->bare) : NULL;
    if (strcmp(rc->to->bare, owner) == 0 || (it && (it->state & SUB_TO)))
        answer_probe(m, rc->to->bare, rc->sess);
    return ROUTE_DONE;
}

/* ---- broadcast and initial presence, a slice of contacts per loop turn ----------------- */

/*
 * The per-contact work of a presence change (the broadcast to subscribers; at initial presence
 * the probe answers and pending requests) reaches a whole roster: at 1,000 contacts, done in one
 * loop turn it stalls every other session for tens of milliseconds. So it goes PRES_SLICE
 * contacts at a time: the first slice at once (a roster that fits behaves exactly as before),
 * the rest at later loop turns through module_defer. A job lives in its session's roster_sess
 * and keeps copies of the contacts' JIDs; the deferred tick finds the session again by its full
 * JID, so a session that has gone (its jobs freed at session close) or been replaced (the new
 * one has jobs of its own or none) is never touched through a stale pointer.
 */
#define PRES_SLICE 64

static void job_free(struct pres_job *job)
{
    if (!job)
        return;
    for (size_t i = job->pos; i < job->n; i++)
        free(job->keys[i]);
    free(job->keys);
    out_fini(&job->out);
    free(job);
}

struct collect {
    struct pres_job *job;
    unsigned want; /* enum sub_bits an item needs */
};

static void collect_key(void *ctx, const char *key, void *value)
{
    struct collect *c = ctx;
    const struct roster_item *it = value;
    if (it->state & c->want)
        c->job->keys[c->job->n++] = xstrdup(key);
}

/* A job over the contacts of r with one of the want bits (a snapshot). */
static struct pres_job *job_new(struct roster *r, unsigned want)
{
    struct pres_job *job = xcalloc(1, sizeof(*job));
    buf_init(&job->out.bytes);
    job->keys = xmalloc((r->items.used + 1) * sizeof(*job->keys));
    struct collect c = { job, want };
    hmap_each(&r->items, collect_key, &c);
    return job;
}

/* One subscriber of a broadcast, if it still is one (the roster may have changed since). */
static void bcast_one(struct roster_mod *m, struct pres_job *job, struct roster *r,
                      const char *contact)
{
    const struct roster_item *it = r ? roster_item_find(r, contact) : NULL;
    if (it && (it->state & SUB_FROM))
        pres_out_send_account(m, &job->out, contact, NULL);
}

/* At initial presence, for one contact: its presence (a probe), or its pending request. */
static void login_one(struct roster_mod *m, struct session *sess, struct roster *r,
                      const char *contact)
{
    const struct roster_item *it = r ? roster_item_find(r, contact) : NULL;
    if (!it)
        return;
    if (it->state & SUB_TO)
        answer_probe(m, contact, sess);
    if (it->state & SUB_PENDING_IN) {
        struct stanza *req = pres_stanza_new("subscribe", contact, it->status);
        pres_out_set(&m->out, req, NULL);
        out_send(m, &m->out, sess, bare_of(sess));
        stanza_unref(req);
    }
}

/* Does up to budget contacts of sess's job (its broadcast when !login); returns what is left
 * of budget. */
static size_t job_run(struct roster_mod *m, struct session *sess, struct pres_job *job,
                      bool login, size_t budget)
{
    /* Looked up for each contact: a filter or a probe answer may read other rosters. */
    job->out.sender = sess;
    for (; budget && job->pos < job->n; budget--) {
        char *contact = job->keys[job->pos++];
        struct roster *r = roster_acquire(m, bare_of(sess));
        if (login)
            login_one(m, sess, r, contact);
        else
            bcast_one(m, job, r, contact);
        free(contact);
    }
    job->out.sender = NULL;
    return budget;
}

/* Runs *job up to budget and frees it once done; returns what is left of budget. */
static size_t job_step(struct roster_mod *m, struct session *sess, struct pres_job **job,
                       bool login, size_t budget)
{
    if (!*job)
        return budget;
    budget = job_run(m, sess, *job, login, budget);
    if ((*job)->pos == (*job)->n) {
        job_free(*job);
        *job = NULL;
    }
    return budget;
}

static void presence_tick(void *arg);

static void tick_arm(struct roster_mod *m)
{
    if (!m->tick_armed && m->n_pending) {
        m->tick_armed = true;
        module_defer(m->srv, presence_tick, m);
    }
}

/* Puts sess on the list the tick works through, if one of its jobs is left. */
static void sess_queue(struct roster_mod *m, struct session *sess, struct roster_sess *rs)
{
    if (!rs->bcast && !rs->login)
        return;
    if (!rs->queued) {
        rs->queued = true;
        m->pending = xrealloc(m->pending, (m->n_pending + 1) * sizeof(*m->pending));
        m->pending[m->n_pending++] = xstrdup(module_session_jid(sess)->full);
    }
    tick_arm(m);
}

/* A loop turn's share of every pending job, sessions in the order they came: the broadcast
 * first, then the login work, as one turn used to do them. */
static void presence_tick(void *arg)
{
    struct roster_mod *m = arg;
    size_t budget = PRES_SLICE, kept = 0;
    m->tick_armed = false;
    for (size_t i = 0; i < m->n_pending; i++) {
        char *full = m->pending[i];
        struct session *s = module_session_find(m->srv, full);
        struct roster_sess *rs = roster_sess_get(m, s);
        if (rs && budget) {
            budget = job_step(m, s, &rs->bcast, false, budget);
            budget = job_step(m, s, &rs->login, true, budget);
        }
        if (rs && (rs->bcast || rs->login)) {
            m->pending[kept++] = full;
            continue;
        }
        if (rs)
            rs->queued = false;
        free(full);
    }
    m->n_pending = kept;
    tick_arm(m);
}

/* Finishes sess's broadcast now: something that must follow it is about to go out. */
static void bcast_finish(struct roster_mod *m, struct session *sess, struct roster_sess *rs)
{
    if (rs)
        job_step(m, sess, &rs->bcast, false, SIZE_MAX);
}

/*
 * Sends m->out to the owner's other resources, then to every subscriber's resources: all at
 * once when now (the session has gone: nobody would run the rest), else in slices. A newer
 * broadcast replaces one still going out rather than queueing behind it: the older one stops
 * where it is, so no subscriber can get the older presence after the newer, and every
 * subscriber ends with the latest (those the older had not reached yet get only the latest,
 * as if the two changes had come in one turn).
 */
static void broadcast(struct roster_mod *m, struct session *sess, const struct session *except,
                      bool now)
{
    const char *owner = bare_of(sess);
    pres_out_send_account(m, &m->out, owner, except);
    struct roster *r = roster_acquire(m, owner);
    struct roster_sess *rs = roster_sess_get(m, sess);
    if (!r)
        return;
    struct pres_job *job = job_new(r, SUB_FROM);
    out_copy(&job->out, &m->out); /* serialized once for the whole job */
    if (now || !rs) {
        job_run(m, sess, job, false, SIZE_MAX);
        job_free(job);
        return;
    }
    job_free(rs->bcast);
    rs->bcast = job;
    job_step(m, sess, &rs->bcast, false, PRES_SLICE);
    sess_queue(m, sess, rs);
}

/* At initial presence: siblings' presence at once, then contacts' presence (probes) and
 * pending requests in slices. */
static void initial_presence(struct roster_mod *m, struct session *sess)
{
    const char *owner = bare_of(sess);
    for (struct session *s = module_sessions_first(m->srv, owner); s; s = module_sessions_next(s))
        if (s != sess && module_session_available(s) && module_session_presence(s)) {
            pres_out_set(&m->out, module_session_presence(s), s);
            out_send(m, &m->out, sess, owner);
        }
    struct roster *r = roster_acquire(m, owner);
    struct roster_sess *rs = roster_sess_get(m, sess);
    if (!r)
        return;
    struct pres_job *job = job_new(r, SUB_TO | SUB_PENDING_IN);
    if (!rs) {
        job_run(m, sess, job, true, SIZE_MAX);
        job_free(job);
        return;
    }
    /* A resource available again after unavailable asks anew: the older answers can stop. */
    job_free(rs->login);
    rs->login = job;
    job_step(m, sess, &rs->login, true, PRES_SLICE);
    sess_queue(m, sess, rs);
}

void presence_init(struct roster_mod *m)
{
    buf_init(&m->out.bytes);
}

void presence_fini(struct roster_mod *m)
{
    out_fini(&m->out);
    for (size_t i = 0; i < m->n_pending; i++)
        free(m->pending[i]);
    free(m->pending);
}

/* The value owns the string; the map's key only borrows it (hmap.h). */
static void free_value(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    free(value);
}

void presence_directed_clear(struct roster_sess *rs)
{
    hmap_each(&rs->directed, free_value, NULL);
    hmap_fini(&rs->directed);
    hmap_init(&rs->directed);
}

void presence_sess_fini(struct roster_sess *rs)
{
    job_free(rs->bcast);
    job_free(rs->login);
    rs->bcast = rs->login = NULL;
}

/* RFC 6121 §4.7.2.3: an integer in -128..127; absent means 0. */
static bool parse_priority(const struct stanza *st, int *out)
{
    const struct xel *p = xel_child(st->root, "priority", NULL);
    *out = 0;
    if (!p)
        return true;
    char *end;
    long v = strtol(xel_text(p), &end, 10);
    bool digits = end != xel_text(p);
    end += strspn(end, " \t\r\n"); /* xs:byte collapses surrounding whitespace */
    if (!digits || *end || v < -128 || v > 127)
        return false;
    *out = (int)v;
    return true;
}

struct walk {
    struct roster_mod *m;
    struct session *sess;
};

static void send_directed_unavailable(void *ctx, const char *key, void *value)
{
    struct walk *w = ctx;
    (void)value;
    struct jid *j = jid_parse(key);
    struct roster *r = j ? roster_acquire(w->m, bare_of(w->sess)) : NULL;
    struct roster_item *it = r ? roster_item_find(r, j->bare) : NULL;
    if (j && !(it && (it->state & SUB_FROM))) { /* subscribers had the broadcast */
        struct session *s = j->resource ? module_session_find(w->m->srv, j->full) : NULL;
        if (s)
            out_send(w->m, &w->m->out, s, j->full);
        else if (!j->resource)
            pres_out_send_account(w->m, &w->m->out, j->bare, NULL);
    }
    jid_free(j);
}

/* The session stops being available: unavailable st (no 'to') goes everywhere its presence
 * went, directed presence included (§4.6.3); to subscribers in slices unless now. */
static void go_unavailable(struct roster_mod *m, struct session *sess, const struct stanza *st,
                           bool now)
{
    struct roster_sess *rs = roster_sess_get(m, sess);
    module_session_set_presence(sess, false, 0, NULL);
    pres_out_set(&m->out, st, sess);
    broadcast(m, sess, sess, now);
    if (!rs)
        return;
    struct walk w = { m, sess };
    hmap_each(&rs->directed, send_directed_unavailable, &w);
    presence_directed_clear(rs);
}

/* Directed presence (§4.6): remembered so that going offline reaches the same JIDs. */
static int directed(struct route_ctx *rc, struct stanza *st)
{
    struct roster_sess *rs = roster_sess_get(rc->state, rc->sess);
    if (!rs || !rc->to->local)
        return ROUTE_PASS;
    /* The router delivers this one now: a subscriber it goes to must not get the broadcast
     * presence still on its way after it. */
    bcast_finish(rc->state, rc->sess, rs);
    char *known = hmap_get(&rs->directed, rc->to->full);
    if (st->type == PRES_UNAVAILABLE && known) {
        hmap_del(&rs->directed, rc->to->full);
        free(known);
    } else if (st->type != PRES_UNAVAILABLE && !known && rs->directed.used < DIRECTED_MAX) {
        char *key = xstrdup(rc->to->full);
        hmap_put(&rs->directed, key, key);
    }
    return ROUTE_PASS; /* delivered by the default rules */
}

int presence_route(struct route_ctx *rc, struct stanza *st)
{
    struct roster_mod *m = rc->state;
    struct session *sess = rc->sess;
    if (rc->to)
        return directed(rc, st);
    if (st->type == PRES_UNAVAILABLE) {
        struct roster_sess *rs = roster_sess_get(m, sess);
        char buf[STATUS_MAX + 1];
        const char *status = pres_status_of(st, buf, sizeof(buf));
        if (rs) { /* kept for last activity (XEP-0012) */
            free(rs->gone_status);
            rs->gone_status = status ? xstrdup(status) : NULL;
        }
        if (module_session_available(sess))
            go_unavailable(m, sess, st, false);
        return ROUTE_DONE;
    }
    int priority;
    if (!parse_priority(st, &priority))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    bool initial = !module_session_available(sess);
    module_presence_prepare(m->srv, sess, st);
    /* Kept as long as the session, compact, without 'to': each send addresses it. */
    module_session_set_presence(sess, true, priority, stanza_compact(st));
    pres_out_set(&m->out, st, sess);
    broadcast(m, sess, NULL, false); /* RFC 6121 §4.2.2: including the sending resource */
    if (initial)
        initial_presence(m, sess);
    return ROUTE_DONE;
}

/* A session has ended (it is out of the session table): unavailable if it never said so,
 * and the account's last logout once no resource is left (XEP-0012). */
void presence_session_gone(struct roster_mod *m, struct session *sess)
{
    struct roster_sess *rs = roster_sess_get(m, sess);
    /* Nothing runs a job of a session that has gone. An available presence still on its way
     * can stop: the unavailable below reaches every subscriber. An unavailable one must reach
     * the rest of them now. */
    if (rs && !module_session_available(sess))
        bcast_finish(m, sess, rs);
    if (rs && (rs->bcast || rs->login)) {
        size_t left = (rs->bcast ? rs->bcast->n - rs->bcast->pos : 0) +
                      (rs->login ? rs->login->n - rs->login->pos : 0);
        module_log(LOG_DEBUG, "roster", "%s has gone: presence work for %zu contacts dropped",
                   module_session_jid(sess)->full, left);
        presence_sess_fini(rs);
    }
    if (module_session_available(sess)) {
        struct stanza *u = pres_stanza_new("unavailable", module_session_jid(sess)->full, NULL);
        /* The session's own policy still applies: privacy's session_close runs after ours.
         * All at once: once the session is freed, no slice could find it again. */
        go_unavailable(m, sess, u, true);
        stanza_unref(u);
    }
    const char *bare = bare_of(sess);
    /* A deleted account (parleyctl deluser) leaves no last activity behind for a new account
     * of the same name to inherit. */
    if (!module_sessions_first(m->srv, bare) && module_account_exists(m->srv, bare))
        last_set(module_storage(m->srv), bare, (long long)time(NULL),
                 rs ? rs->gone_status : NULL);
    module_storage_dirty(m->srv);
}
