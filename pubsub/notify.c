/* SPDX-License-Identifier: MIT */
/* Notifications (XEP-0060 §7.1.2, XEP-0163 §4.3): an event serialized once and sent to every
 * entitled resource, and the last items a resource asks for when it comes online; both as jobs
 * that send [pubsub] fanout_per_turn stanzas per loop turn, so a publish to a thousand contacts
 * does not stall everyone else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "pubsub.h"
#include "roster.h"

enum job_kind { JOB_NOTIFY, JOB_LAST };

struct ps_job {
    struct ps_job *next;
    enum job_kind kind;
    struct stanza *st; /* JOB_NOTIFY: the event, without 'to' */
    char *full;        /* JOB_LAST: the session's full JID */
    struct buf list;   /* JIDs still to do, each ended by NUL: recipients' full JIDs (NOTIFY),
                        * contacts' bare JIDs (LAST) */
    size_t pos, n;
    struct buf nodes; /* JOB_LAST: the nodes it asks for, each ended by NUL */
    size_t bytes;     /* what it counts in the module's queued_bytes */
};

/* Jobs' JID lists and payloads, at most: a publisher faster than its fan-out is refused
 * (resource-constraint) rather than queued without end. */
#define MAX_QUEUED_BYTES ((size_t)64 * 1024 * 1024)

bool ps_wants(const struct session *sess, int slot, const char *node)
{
    const struct ps_sess *s = module_session_slot_get(sess, slot);
    return s && s->caps && caps_entry_wants(s->caps, node);
}

/* <message from=service type=headline><event><el node=...>, returning el. */
static struct xel *event_message(struct pubsub *ps, struct ps_node *node, const char *el,
                                 struct stanza **out)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    char id[32];
    snprintf(id, sizeof(id), "ps%lx", ++ps->next_id);
    xel_set_attr(st, st->root, "from", node->svc->jid);
    xel_set_attr(st, st->root, "type", "headline");
    xel_set_attr(st, st->root, "id", id);
    struct xel *ev = xel_add_child(st, st->root, "event", NS_PUBSUB_EVENT);
    struct xel *what = xel_add_child(st, ev, el, NS_PUBSUB_EVENT);
    xel_set_attr(st, what, "node", node->name);
    *out = st;
    return what;
}

/* The item's notification, kept with it: the last item goes to every resource coming online. */
static struct stanza *item_note(struct pubsub *ps, struct ps_node *node, struct ps_item *it)
{
    if (!it->note) {
        struct stanza *st;
        struct xel *items = event_message(ps, node, "items", &st);
        ps_write_item(ps, st, items, node, it, node->cfg.deliver_payloads);
        stanza_summarize(st);
        it->note = st;
    }
    return it->note;
}

/* ---- the jobs ---- */

static void tick(void *arg);

static void job_free(struct ps_job *j)
{
    stanza_unref(j->st);
    free(j->full);
    buf_fini(&j->list);
    buf_fini(&j->nodes);
    free(j);
}

static struct ps_job *job_new(enum job_kind kind)
{
    struct ps_job *j = xcalloc(1, sizeof(*j));
    j->kind = kind;
    buf_init(&j->list);
    buf_init(&j->nodes);
    return j;
}

static void list_add(struct ps_job *j, const char *jid)
{
    buf_append(&j->list, jid, strlen(jid) + 1);
    j->n++;
}

bool ps_jobs_full(const struct pubsub *ps)
{
    return ps->queued_bytes > MAX_QUEUED_BYTES;
}

static void queue(struct pubsub *ps, struct ps_job *j)
{
    if (j->n == 0) {
        job_free(j);
        return;
    }
    j->bytes += j->list.len + j->nodes.len;
    ps->queued_bytes += j->bytes;
    *(ps->jobs_tail ? &ps->jobs_tail->next : &ps->jobs) = j;
    ps->jobs_tail = j;
    if (!ps->tick_armed) {
        ps->tick_armed = true;
        module_defer(ps->srv, tick, ps);
    }
}

/* st serialized in ps->fan, once for as many recipients as follow. The fan holds a reference,
 * so no other stanza can take st's address while its bytes are there. */
static void fan_use(struct pubsub *ps, struct stanza *st)
{
    if (ps->fan_st == st)
        return;
    module_fanout_set(&ps->fan, st);
    stanza_unref(ps->fan_st);
    ps->fan_st = stanza_ref(st);
}

static void deliver_to(struct pubsub *ps, struct stanza *st, const char *full)
{
    struct session *sess = module_session_find(ps->srv, full);
    if (!sess)
        return;
    fan_use(ps, st);
    module_fanout_deliver(ps->srv, &ps->fan, sess);
}

/* May the service's owner send st to jid? A PEP account's privacy lists and blocking say
 * who sees its events, as they say who sees its presence. */
static bool owner_lets(struct pubsub *ps, const struct ps_node *node, const char *jid,
                       const struct stanza *st)
{
    struct filter_verdict v;
    return !node->svc->pep ||
           module_filter_out(ps->srv, node->svc->jid, NULL, jid, st, &v) == ROUTE_PASS;
}

void ps_send_last(struct pubsub *ps, struct ps_node *node, struct session *sess)
{
    if (!node->last)
        return;
    struct stanza *note = item_note(ps, node, node->last);
    if (!owner_lets(ps, node, module_session_jid(sess)->full, note))
        return;
    fan_use(ps, note);
    module_fanout_deliver(ps->srv, &ps->fan, sess);
}

/* One contact's last items of the nodes j asks for, to j's session. */
static void send_contact_last(struct pubsub *ps, struct ps_job *j, const char *contact)
{
    struct session *sess = module_session_find(ps->srv, j->full);
    struct ps_service *svc = sess ? ps_service_find(ps, contact) : NULL;
    const char *bare = sess ? module_session_jid(sess)->bare : NULL;
    for (size_t off = 0; svc && off < j->nodes.len; off += strlen(j->nodes.data + off) + 1) {
        struct ps_node *node = hmap_get(&svc->nodes, j->nodes.data + off);
        if (node && node->last && node->cfg.send_last == PS_LAST_ON_SUB_AND_PRESENCE &&
            ps_may_see(ps, node, bare, true))
            ps_send_last(ps, node, sess);
    }
}

/* Runs up to budget steps of j; returns the steps used. */
static long run_job(struct pubsub *ps, struct ps_job *j, long budget)
{
    long used = 0;
    while (j->pos < j->list.len && used < budget) {
        const char *jid = j->list.data + j->pos;
        j->pos += strlen(jid) + 1;
        if (j->kind == JOB_NOTIFY)
            deliver_to(ps, j->st, jid);
        else
            send_contact_last(ps, j, jid);
        used++;
    }
    return used;
}

static void tick(void *arg)
{
    struct pubsub *ps = arg;
    ps->tick_armed = false;
    long budget = ps->opts.fanout_per_turn;
    while (ps->jobs && budget > 0) {
        struct ps_job *j = ps->jobs;
        budget -= run_job(ps, j, budget);
        if (j->pos < j->list.len)
            break;
        ps->jobs = j->next;
        if (!ps->jobs)
            ps->jobs_tail = NULL;
        ps->queued_bytes -= j->bytes;
        job_free(j);
    }
    if (ps->jobs) {
        ps->tick_armed = true;
        module_defer(ps->srv, tick, ps);
    }
}

void ps_jobs_fini(struct pubsub *ps)
{
    while (ps->jobs) {
        struct ps_job *j = ps->jobs;
        ps->jobs = j->next;
        job_free(j);
    }
    ps->jobs_tail = NULL;
    ps->queued_bytes = 0;
}

/* ---- who gets an event ---- */

struct collect {
    struct pubsub *ps;
    struct ps_node *node;
    struct ps_job *job;
};

void ps_jobs_release(struct pubsub *ps)
{
    ps_jobs_fini(ps);
    stanza_unref(ps->fan_st);
    ps->fan_st = NULL;
}

static void add_sessions(struct collect *c, const char *bare, bool by_caps)
{
    struct server *srv = c->ps->srv;
    for (struct session *s = module_sessions_first(srv, bare); s; s = module_sessions_next(s))
        if (module_session_available(s) && (!by_caps || ps_wants(s, c->ps->slot, c->node->name)))
            list_add(c->job, module_session_jid(s)->full);
}

/* A contact subscribed to the PEP owner's presence (XEP-0163 §4.3.1). */
static void collect_contact(void *ctx, const char *bare)
{
    struct collect *c = ctx;
    if (module_sessions_first(c->ps->srv, bare) && ps_may_see(c->ps, c->node, bare, true) &&
        owner_lets(c->ps, c->node, bare, c->job->st))
        add_sessions(c, bare, true);
}

static bool covered_by_presence(struct collect *c, const char *bare)
{
    if (!c->node->svc->pep)
        return false;
    if (strcmp(bare, c->node->svc->jid) == 0)
        return true;
    struct roster_contact rc;
    roster_contact_get(c->ps->srv, c->node->svc->jid, bare, &rc);
    return rc.found && (rc.sub & ROSTER_SUB_FROM);
}

/* Explicit subscriptions (XEP-0060 §6.1): a full JID gets its resource, a bare one every
 * available resource of it. */
static void collect_member(void *ctx, const char *key, void *value)
{
    (void)key;
    struct collect *c = ctx;
    const struct ps_member *m = value;
    if (!m->subscribed)
        return;
    struct jid *j = jid_parse(m->jid);
    if (j && !covered_by_presence(c, j->bare) && ps_may_see(c->ps, c->node, j->bare, false) &&
        owner_lets(c->ps, c->node, j->full, c->job->st)) {
        if (!j->resource)
            add_sessions(c, j->bare, false);
        else if (module_session_find(c->ps->srv, j->full))
            list_add(c->job, j->full);
    }
    jid_free(j);
}

/* st (owned) to everyone entitled; payload_bytes: what it carries, counted while queued. */
static void notify(struct pubsub *ps, struct ps_node *node, struct stanza *st,
                   size_t payload_bytes)
{
    struct ps_job *j = job_new(JOB_NOTIFY);
    j->st = st;
    j->bytes = payload_bytes;
    struct collect c = { ps, node, j };
    if (node->svc->pep) {
        add_sessions(&c, node->svc->jid, true);
        roster_for_each_subscriber(ps->srv, node->svc->jid, collect_contact, &c);
    }
    hmap_each(&node->members, collect_member, &c);
    queue(ps, j);
}

void ps_notify_item(struct pubsub *ps, struct ps_node *node, struct ps_item *it)
{
    if (node->cfg.deliver_notifications && it)
        notify(ps, node, stanza_ref(item_note(ps, node, it)), it->bytes);
}

void ps_notify_retract(struct pubsub *ps, struct ps_node *node, const char *id)
{
    struct stanza *st;
    struct xel *items = event_message(ps, node, "items", &st);
    xel_set_attr(st, xel_add_child(st, items, "retract", NS_PUBSUB_EVENT), "id", id);
    stanza_summarize(st);
    notify(ps, node, st, 0);
}

void ps_notify_node(struct pubsub *ps, struct ps_node *node, const char *what)
{
    struct stanza *st;
    event_message(ps, node, what, &st);
    stanza_summarize(st);
    notify(ps, node, st, 0);
}

/* ---- the last items a resource coming online asks for ---- */

struct last_ctx {
    struct pubsub *ps;
    struct ps_job *job;
};

static void collect_publisher(void *ctx, const char *bare)
{
    struct last_ctx *l = ctx;
    if (ps_service_find(l->ps, bare))
        list_add(l->job, bare);
}

static bool in_entry(const struct caps_entry *e, const char *node)
{
    return e && caps_entry_wants(e, node);
}

void ps_send_last_items(struct pubsub *ps, struct session *sess, const struct caps_entry *old)
{
    const struct ps_sess *s = module_session_slot_get(sess, ps->slot);
    if (!s || !s->caps)
        return;
    struct ps_job *j = job_new(JOB_LAST);
    j->full = xstrdup(module_session_jid(sess)->full);
    for (size_t i = 0; i < caps_entry_count(s->caps); i++) {
        const char *node = caps_entry_node(s->caps, i);
        if (!in_entry(old, node))
            buf_append(&j->nodes, node, strlen(node) + 1);
    }
    struct last_ctx l = { ps, j };
    if (j->nodes.len) {
        collect_publisher(&l, module_session_jid(sess)->bare);
        roster_for_each_subscription(ps->srv, module_session_jid(sess)->bare, collect_publisher,
                                     &l);
    }
    queue(ps, j);
}
