/* SPDX-License-Identifier: MIT */
/* Entity capabilities of the resources online (XEP-0115): which nodes each one wants
 * notifications of (node+notify). A bounded cache by verification string, shared by every
 * resource that shows it; on a miss the server asks the resource itself with disco#info and
 * keeps the answer only when it hashes to the string (§5.4), so no client can poison it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "caps.h"
#include "ns.h"
#include "pubsub.h"

#define NOTIFY_SUFFIX "+notify"
#define MAX_QUERIES 256
#define QUERY_TTL_US (30LL * 1000 * 1000)
#define MAX_NOTIFY_NODES 256 /* per entry: far more than any client asks for */
#define MAX_NODE_BYTES 1024
#define MAX_WAITING_BYTES 65536 /* full JIDs waiting on one question */
#define QUERY_ID_PREFIX "caps" /* every iq result to the server passes: most are not ours */

struct caps_entry {
    char *ver; /* the cache's map key */
    char **nodes; /* the nodes it wants, without the suffix */
    size_t n;
    unsigned refs; /* sessions showing it: never evicted while used */
    struct caps_entry *prev, *next; /* most recently used first */
};

/* A disco#info question on its way to one resource, for everyone waiting on its ver. */
struct caps_query {
    char id[32];
    char *ver, *node, *asked; /* the caps' node; the resource asked (its full JID) */
    long long sent_us;
    struct buf waiting; /* full JIDs, each ended by NUL */
};

struct caps_cache {
    struct hmap by_ver;
    struct caps_entry *head, *tail;
    size_t n, max;
    struct caps_query *queries[MAX_QUERIES];
    unsigned long next_id;
};

struct caps_cache *caps_cache_new(size_t max_entries)
{
    struct caps_cache *c = xcalloc(1, sizeof(*c));
    hmap_init(&c->by_ver);
    c->max = max_entries;
    return c;
}

static void entry_free(struct caps_entry *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->nodes[i]);
    free(e->nodes);
    free(e->ver);
    free(e);
}

static void query_free(struct caps_query *q)
{
    free(q->ver);
    free(q->node);
    free(q->asked);
    buf_fini(&q->waiting);
    free(q);
}

void caps_cache_free(struct caps_cache *c)
{
    if (!c)
        return;
    while (c->head) {
        struct caps_entry *e = c->head;
        c->head = e->next;
        entry_free(e);
    }
    for (size_t i = 0; i < MAX_QUERIES; i++)
        if (c->queries[i])
            query_free(c->queries[i]);
    hmap_fini(&c->by_ver);
    free(c);
}

bool caps_entry_wants(const struct caps_entry *e, const char *node)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->nodes[i], node) == 0)
            return true;
    return false;
}

size_t caps_entry_count(const struct caps_entry *e)
{
    return e->n;
}

const char *caps_entry_node(const struct caps_entry *e, size_t i)
{
    return e->nodes[i];
}

/* ---- the cache ---- */

static void lru_unlink(struct caps_cache *c, struct caps_entry *e)
{
    *(e->prev ? &e->prev->next : &c->head) = e->next;
    *(e->next ? &e->next->prev : &c->tail) = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(struct caps_cache *c, struct caps_entry *e)
{
    e->next = c->head;
    *(c->head ? &c->head->prev : &c->tail) = e;
    c->head = e;
}

/* Past the bound, the least recently used entries no session shows go. */
static void evict(struct caps_cache *c)
{
    for (struct caps_entry *e = c->tail; e && c->n > c->max;) {
        struct caps_entry *prev = e->prev;
        if (!e->refs) {
            lru_unlink(c, e);
            hmap_del(&c->by_ver, e->ver);
            entry_free(e);
            c->n--;
        }
        e = prev;
    }
}

static struct caps_entry *cache_get(struct caps_cache *c, const char *ver)
{
    struct caps_entry *e = hmap_get(&c->by_ver, ver);
    if (e) {
        lru_unlink(c, e);
        lru_front(c, e);
    }
    return e;
}

/* A verified disco#info result's +notify features, kept under ver. */
static struct caps_entry *cache_put(struct caps_cache *c, const char *ver, const struct xel *q)
{
    struct caps_entry *e = xcalloc(1, sizeof(*e));
    e->ver = xstrdup(ver);
    size_t suffix = strlen(NOTIFY_SUFFIX);
    for (const struct xel *f = q->first; f; f = f->next) {
        const char *var = f->name && strcmp(f->name, "feature") == 0 ? xel_attr(f, "var") : NULL;
        size_t len = var ? strlen(var) : 0;
        if (len <= suffix || len > MAX_NODE_BYTES || e->n == MAX_NOTIFY_NODES ||
            strcmp(var + len - suffix, NOTIFY_SUFFIX) != 0)
            continue;
        e->nodes = xrealloc(e->nodes, (e->n + 1) * sizeof(*e->nodes));
        e->nodes[e->n] = xmalloc(len - suffix + 1);
        memcpy(e->nodes[e->n], var, len - suffix);
        e->nodes[e->n++][len - suffix] = '\0';
    }
    hmap_put(&c->by_ver, e->ver, e);
    lru_front(c, e);
    c->n++; /* the bound is kept once a session holds it (attach), so it cannot go first */
    return e;
}

/* ---- a session's capabilities ---- */

static struct ps_sess *sess_state(struct pubsub *ps, struct session *sess)
{
    struct ps_sess *s = module_session_slot_get(sess, ps->slot);
    if (!s) {
        s = xcalloc(1, sizeof(*s));
        module_session_slot_set(sess, ps->slot, s);
    }
    return s;
}

static void unref(struct caps_entry *e)
{
    if (e)
        e->refs--;
}

/* sess now shows e (a reference taken): the last items of what it newly wants follow. */
static void attach(struct pubsub *ps, struct session *sess, struct ps_sess *s,
                   struct caps_entry *e)
{
    struct caps_entry *old = s->caps;
    e->refs++;
    s->caps = e;
    free(s->waiting_ver);
    s->waiting_ver = NULL;
    ps_send_last_items(ps, sess, old);
    unref(old);
    evict(ps->caps);
}

void ps_caps_release(struct pubsub *ps, struct ps_sess *s)
{
    unref(s->caps);
    s->caps = NULL;
    free(s->waiting_ver);
    s->waiting_ver = NULL;
    evict(ps->caps);
}

/* ---- asking a resource ---- */

/* Questions unanswered past their time are dropped: whoever shows that ver next is asked. */
static void expire(struct caps_cache *c)
{
    long long now = module_wall_us();
    for (size_t i = 0; i < MAX_QUERIES; i++) {
        if (c->queries[i] && now - c->queries[i]->sent_us > QUERY_TTL_US) {
            query_free(c->queries[i]);
            c->queries[i] = NULL;
        }
    }
}

enum query_key { BY_ID, BY_VER, BY_ASKED };

/* The question whose id, ver or asked resource is v. */
static struct caps_query **query_by(struct caps_cache *c, enum query_key key, const char *v)
{
    for (size_t i = 0; i < MAX_QUERIES; i++) {
        const struct caps_query *q = c->queries[i];
        const char *have = !q ? NULL : key == BY_ID ? q->id : key == BY_VER ? q->ver : q->asked;
        if (have && strcmp(have, v) == 0)
            return &c->queries[i];
    }
    return NULL;
}

static struct caps_query **free_slot(struct caps_cache *c)
{
    for (size_t i = 0; i < MAX_QUERIES; i++)
        if (!c->queries[i])
            return &c->queries[i];
    return NULL;
}

static void ask(struct pubsub *ps, struct session *sess, struct caps_query *q)
{
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "get");
    xel_set_attr(st, st->root, "id", q->id);
    xel_set_attr(st, st->root, "from", module_domain(ps->srv));
    xel_set_attr(st, st->root, "to", q->asked);
    struct xel *query = xel_add_child(st, st->root, "query", NS_DISCO_INFO);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s#%s", q->node, q->ver);
    xel_set_attr(st, query, "node", b.data);
    buf_fini(&b);
    stanza_summarize(st);
    module_send(sess, st);
    stanza_unref(st);
}

/* A new question about ver, asked of sess, in slot. */
static struct caps_query *new_query(struct pubsub *ps, struct caps_query **slot,
                                    struct session *sess, const char *ver, const char *node)
{
    struct caps_query *q = xcalloc(1, sizeof(*q));
    snprintf(q->id, sizeof(q->id), QUERY_ID_PREFIX "%lx", ++ps->caps->next_id);
    q->ver = xstrdup(ver);
    q->node = xstrdup(node ? node : "");
    q->asked = xstrdup(module_session_jid(sess)->full);
    q->sent_us = module_wall_us();
    buf_init(&q->waiting);
    *slot = q;
    ask(ps, sess, q);
    return q;
}

static void add_waiting(struct caps_query *q, const char *full)
{
    if (q->waiting.len < MAX_WAITING_BYTES) /* past it: wants nothing until a later presence */
        buf_append(&q->waiting, full, strlen(full) + 1);
}

/* sess waits for ver: joins the question on its way, or is asked. One question at a time
 * is asked of a session, so one client cannot take every slot with made-up strings. */
static void wait_for(struct pubsub *ps, struct session *sess, const char *ver, const char *node)
{
    struct caps_cache *c = ps->caps;
    const char *full = module_session_jid(sess)->full;
    expire(c);
    struct caps_query **slot = query_by(c, BY_VER, ver);
    if (!slot) {
        struct caps_query **mine = query_by(c, BY_ASKED, full);
        if (mine) {
            query_free(*mine);
            *mine = NULL;
        }
        slot = free_slot(c);
        if (slot)
            new_query(ps, slot, sess, ver, node);
    }
    if (slot)
        add_waiting(*slot, full);
}

void ps_caps_presence(struct pubsub *ps, struct session *sess)
{
    const struct stanza *p = module_session_presence(sess);
    const struct xel *c = p ? xel_child(p->root, "c", NS_CAPS) : NULL;
    const char *ver = c ? xel_attr(c, "ver") : NULL, *hash = c ? xel_attr(c, "hash") : NULL;
    if (!ver || !hash || strcmp(hash, "sha-1") != 0) { /* legacy caps carry no ver to trust */
        struct ps_sess *had = module_session_slot_get(sess, ps->slot);
        if (had)
            ps_caps_release(ps, had);
        return;
    }
    struct ps_sess *s = sess_state(ps, sess);
    if (s->caps && strcmp(s->caps->ver, ver) == 0) { /* back to what it showed: no longer
                                                        * waiting for another */
        free(s->waiting_ver);
        s->waiting_ver = NULL;
        return;
    }
    struct caps_entry *e = cache_get(ps->caps, ver);
    if (e) {
        attach(ps, sess, s, e);
        return;
    }
    /* Asked again after a presence that repeats it: a question expired or not answered
     * truly leaves nothing waiting forever. */
    free(s->waiting_ver);
    s->waiting_ver = xstrdup(ver);
    wait_for(ps, sess, ver, xel_attr(c, "node"));
}

static bool waits_for(struct ps_sess *s, const char *ver)
{
    return s && s->waiting_ver && strcmp(s->waiting_ver, ver) == 0;
}

/* Everyone waiting on q's ver, still online and still showing it, gets e. */
static void settle(struct pubsub *ps, struct caps_query *q, struct caps_entry *e)
{
    for (size_t off = 0; off < q->waiting.len; off += strlen(q->waiting.data + off) + 1) {
        struct session *sess = module_session_find(ps->srv, q->waiting.data + off);
        struct ps_sess *s = sess ? module_session_slot_get(sess, ps->slot) : NULL;
        if (waits_for(s, q->ver))
            attach(ps, sess, s, e);
    }
}

/* The one asked answered falsely (or not at all): the next one waiting is asked, so that a
 * client claiming someone else's capabilities cannot leave them without. */
static void reask(struct pubsub *ps, struct caps_query *old, struct caps_query **slot)
{
    struct caps_query *q = NULL;
    for (size_t off = 0; off < old->waiting.len; off += strlen(old->waiting.data + off) + 1) {
        const char *full = old->waiting.data + off;
        struct session *sess = module_session_find(ps->srv, full);
        struct ps_sess *s = sess ? module_session_slot_get(sess, ps->slot) : NULL;
        if (!waits_for(s, old->ver) || strcmp(full, old->asked) == 0)
            continue;
        if (!q)
            q = new_query(ps, slot, sess, old->ver, old->node);
        add_waiting(q, full);
    }
}

int ps_caps_answer(struct route_ctx *rc, struct stanza *st)
{
    struct pubsub *ps = rc->state;
    bool ours = st->id && strncmp(st->id, QUERY_ID_PREFIX, strlen(QUERY_ID_PREFIX)) == 0;
    struct caps_query **slot = ours ? query_by(ps->caps, BY_ID, st->id) : NULL;
    if (!slot || strcmp((*slot)->asked, module_session_jid(rc->sess)->full) != 0)
        return ROUTE_PASS;
    struct caps_query *q = *slot;
    *slot = NULL;
    const struct xel *query = xel_child(st->root, "query", NS_DISCO_INFO);
    char ver[CAPS_VER_LEN + 1];
    struct caps_entry *e = NULL;
    if (st->type == IQ_RESULT && query && caps_ver(query, ver) && strcmp(ver, q->ver) == 0)
        e = cache_get(ps->caps, ver) ? cache_get(ps->caps, ver) : cache_put(ps->caps, ver, query);
    if (e) {
        settle(ps, q, e);
    } else {
        module_log(LOG_DEBUG, "pubsub", "%s: capabilities %s not confirmed", q->asked, q->ver);
        struct session *liar = module_session_find(ps->srv, q->asked);
        struct ps_sess *s = liar ? module_session_slot_get(liar, ps->slot) : NULL;
        if (waits_for(s, q->ver)) { /* it wants nothing until its next presence */
            free(s->waiting_ver);
            s->waiting_ver = NULL;
        }
        reask(ps, q, slot);
    }
    query_free(q);
    return ROUTE_DONE;
}
