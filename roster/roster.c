/* SPDX-License-Identifier: MIT */
/* The roster module: jabber:iq:roster get/set/remove, roster pushes, XEP-0237 versions. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "ns.h"
#include "roster_int.h"


struct roster_sess *roster_sess_get(struct roster_mod *m, struct session *sess)
{
    return sess ? module_session_slot_get(sess, m->slot) : NULL;
}

static const char *owner_of(struct route_ctx *rc)
{
    return module_session_jid(rc->sess)->bare;
}

/* A roster belongs to its owner alone: requests addressed to someone else are refused. */
static bool addressed_to_self(struct route_ctx *rc)
{
    return !rc->to || (!rc->to->resource && strcmp(rc->to->bare, owner_of(rc)) == 0);
}

static void version_text(const struct roster *r, char *out, size_t n)
{
    snprintf(out, n, "%lld", r->ver);
}

static struct stanza *push_new(struct roster_mod *m, const struct roster *r,
                               const struct roster_item *it, bool removed)
{
    char id[32], ver[24];
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    snprintf(id, sizeof(id), "push%lu", ++m->push_id);
    xel_set_attr(st, st->root, "type", "set");
    xel_set_attr(st, st->root, "id", id);
    struct xel *q = xel_add_child(st, st->root, "query", NS_ROSTER);
    version_text(r, ver, sizeof(ver));
    xel_set_attr(st, q, "ver", ver);
    roster_item_write(st, q, it, removed);
    return st;
}

void roster_push(struct roster_mod *m, struct roster *r, const struct roster_item *it,
                 bool removed)
{
    struct stanza *st = NULL;
    struct buf b;
    buf_init(&b);
    for (struct session *s = module_sessions_first(m->srv, r->owner); s;
         s = module_sessions_next(s)) {
        struct roster_sess *rs = roster_sess_get(m, s);
        if (!rs || !rs->interested)
            continue;
        if (!st)
            st = push_new(m, r, it, removed);
        stanza_set_to(st, module_session_jid(s)->full);
        buf_reset(&b);
        stanza_write(st, &b);
        roster_send(m, s, st, b.data, b.len);
    }
    stanza_unref(st);
    buf_fini(&b);
}

/* ---- a roster set commits before anything about it goes out ---------------------------- */

void roster_send(struct roster_mod *m, struct session *sess, const struct stanza *st,
                 const void *bytes, size_t n)
{
    if (!m->holding) {
        module_send_serialized(sess, st, bytes, n);
        return;
    }
    /* Sessions are reaped only at the end of the loop turn, so sess outlives the hold. */
    m->held_to = xrealloc(m->held_to, (m->n_held + 1) * sizeof(*m->held_to));
    m->held_to[m->n_held++] =
        (struct held_out){ sess, stanza_ref((struct stanza *)st), m->held.len, n };
    buf_append(&m->held, bytes, n);
}

static void held_clear(struct roster_mod *m)
{
    for (size_t i = 0; i < m->n_held; i++)
        stanza_unref(m->held_to[i].st);
    buf_reset(&m->held);
    free(m->held_to);
    m->held_to = NULL;
    m->n_held = 0;
}

static void held_release(struct roster_mod *m)
{
    for (size_t i = 0; i < m->n_held; i++)
        module_send_serialized(m->held_to[i].sess, m->held_to[i].st,
                               m->held.data + m->held_to[i].off, m->held_to[i].len);
    held_clear(m);
}

/* Earlier writes of this loop turn commit on their own, so that a failure of this set's commit
 * rolls back nothing but this set (which roster_tx_end can undo in memory). */
static void roster_tx_begin(struct roster_mod *m)
{
    module_storage_commit(m->srv); /* a failure is the earlier writes' own, and logged */
    m->holding = true;
    m->store_err = PL_OK;
}

/* Ends the set begun by roster_tx_begin (res: its outcome so far). Committed: what it held goes
 * out and res is returned. Otherwise (design.md: an acknowledgement promising durability goes
 * out only after the commit) nothing goes out, the rosters of owner and contact are read back
 * from storage, and the set fails with internal-server-error. */
static int roster_tx_end(struct roster_mod *m, int res, const char *owner, const char *contact)
{
    m->holding = false;
    int rc = m->store_err;
    if (rc == PL_OK)
        rc = module_storage_commit(m->srv);
    else
        module_storage_rollback(m->srv);
    if (rc == PL_OK) {
        held_release(m);
        return res;
    }
    held_clear(m);
    roster_reload(m, owner);
    roster_reload(m, contact);
    return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
}

/* RFC 6121 §2.1.3 with XEP-0237: an unchanged version gets an empty result. */
static int roster_get(struct route_ctx *rc, struct stanza *st)
{
    struct roster_mod *m = rc->state;
    struct roster *r = roster_acquire(m, owner_of(rc));
    struct roster_sess *rs = roster_sess_get(m, rc->sess);
    if (!r)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    if (rs)
        rs->interested = true;
    char ver[24];
    version_text(r, ver, sizeof(ver));
    const char *asked = xel_attr(xel_first_elem(st->root), "ver");
    if (!asked || strcmp(asked, ver) != 0)
        return roster_result_send(m, rc, st, r, ver);
    struct stanza *res = stanza_iq_result(st);
    router_reply(rc, res);
    stanza_unref(res);
    return ROUTE_DONE;
}

/* The <group/> names of item (borrowed from it, in an array the caller frees); NULL when
 * there are more than the bound allows, counted before anything is kept. */
static const char **read_groups(const struct roster_mod *m, const struct xel *item, size_t *n)
{
    *n = 0;
    for (const struct xel *c = item->first; c; c = c->next)
        *n += c->name && strcmp(c->name, "group") == 0;
    if (*n > (size_t)m->opts.max_groups)
        return NULL;
    const char **groups = xcalloc(*n + 1, sizeof(*groups));
    size_t i = 0;
    for (const struct xel *c = item->first; c; c = c->next)
        if (c->name && strcmp(c->name, "group") == 0)
            groups[i++] = xel_text(c);
    return groups;
}

/* The bytes the item would count with name and groups: checked before anything changes, so
 * that a refused set stores nothing. */
static int check_size(const struct roster_mod *m, struct roster *r, const char *contact,
                      const char *name, const char *const *groups, size_t n)
{
    struct roster_item *old = roster_item_find(r, contact);
    struct roster_item cand = old ? *old : (struct roster_item){ .jid = (char *)contact };
    cand.name = name && *name ? (char *)name : NULL;
    cand.groups = (char **)groups;
    cand.n_groups = n;
    cand.in_roster = true;
    return roster_limits_size(&m->opts, r->items.used, r->bytes, old ? old->bytes : 0,
                              roster_item_bytes(&cand), !old);
}

static int roster_update(struct roster_mod *m, const char *owner, const char *contact,
                         const struct xel *item)
{
    struct roster *r = roster_acquire(m, owner);
    if (!r)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    size_t n;
    const char *name = xel_attr(item, "name");
    const char **groups = read_groups(m, item, &n);
    int res = groups ? roster_limits_item(&m->opts, name, groups, n)
                     : ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    if (res == ROUTE_DONE)
        res = check_size(m, r, contact, name, groups, n);
    if (res == ROUTE_DONE) {
        struct roster_item *it = roster_item_get(r, contact);
        roster_item_set_info(it, name, groups, n);
        it->in_roster = true;
        if (roster_item_save(m, r, it) != PL_OK)
            res = ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
        else
            roster_push(m, r, it, false);
    }
    free(groups);
    return res;
}

/* RFC 6121 §2.5.2: cancel both directions, tell the contact, then forget the item. */
static int roster_delete(struct roster_mod *m, const char *owner, const char *contact)
{
    struct roster *r = roster_acquire(m, owner);
    struct roster_item *it = r ? roster_item_find(r, contact) : NULL;
    if (!it || !it->in_roster)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    unsigned state = it->state;
    /* Hidden first: the cancellations below change its state without pushing each step. */
    it->in_roster = false;
    if (state & (SUB_TO | SUB_PENDING_OUT))
        presence_sub_send(m, owner, contact, SUB_OUT_UNSUBSCRIBE, NULL);
    if (state & (SUB_FROM | SUB_PENDING_IN))
        presence_sub_send(m, owner, contact, SUB_OUT_UNSUBSCRIBED, NULL);
    it = roster_item_find(r, contact); /* the item may have gone with its state */
    struct roster_item gone = { .jid = (char *)contact };
    if (it && roster_item_drop(m, r, it) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    roster_push(m, r, &gone, true);
    return ROUTE_DONE;
}

/* Adds, updates or removes contact, committed before its pushes and result go out. */
static int roster_change(struct roster_mod *m, const char *owner, const char *contact,
                         const struct xel *item, bool remove)
{
    roster_tx_begin(m);
    int res = remove ? roster_delete(m, owner, contact) : roster_update(m, owner, contact, item);
    return roster_tx_end(m, res, owner, contact);
}

/*
 * RFC 6121 §2.3.3 errors of a roster set: more than one <item/> (or a duplicate <group/>, see
 * read_groups) is bad-request; an oversized name, an empty or oversized group is not-acceptable;
 * a set for someone else's roster is forbidden (roster_iq). The RFC names no error for a missing
 * item or 'jid' (bad-request: RFC 6120 §8.3.3.1, the schema requires them), an unparsable JID
 * (jid-malformed) or the owner's own JID (not-allowed). §2.1.2.5: "in a roster set the server
 * MUST ignore all values of the 'subscription' attribute other than 'remove'", unknown values
 * included (slixmpp sends "none" with every update).
 */
static int roster_set(struct route_ctx *rc, struct stanza *st)
{
    struct roster_mod *m = rc->state;
    const struct xel *q = xel_first_elem(st->root);
    const struct xel *item = xel_child(q, "item", NS_ROSTER);
    unsigned n = 0;
    for (const struct xel *c = q->first; c; c = c->next)
        n += c->name != NULL;
    if (!item || n != 1 || !xel_attr(item, "jid"))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    const char *sub = xel_attr(item, "subscription");
    bool remove = sub && strcmp(sub, "remove") == 0;
    struct jid *j = jid_parse(xel_attr(item, "jid"));
    int res;
    if (!j || j->resource)
        res = ROUTE_ERROR(COND_JID_MALFORMED);
    else if (strcmp(j->bare, owner_of(rc)) == 0)
        res = ROUTE_ERROR(COND_NOT_ALLOWED);
    else
        res = roster_change(m, owner_of(rc), j->bare, item, remove);
    jid_free(j);
    if (res == ROUTE_DONE) {
        struct stanza *ok = stanza_iq_result(st);
        router_reply(rc, ok);
        stanza_unref(ok);
    }
    return res;
}

static int roster_iq(struct route_ctx *rc, struct stanza *st)
{
    if (!addressed_to_self(rc))
        return ROUTE_ERROR(COND_FORBIDDEN);
    return st->type == IQ_GET ? roster_get(rc, st) : roster_set(rc, st);
}

/* ---- module lifecycle ---- */

static void roster_session_open(void *state, struct session *sess)
{
    struct roster_mod *m = state;
    struct roster_sess *rs = xcalloc(1, sizeof(*rs));
    hmap_init(&rs->directed);
    module_session_slot_set(sess, m->slot, rs);
    struct roster *r = roster_acquire(m, module_session_jid(sess)->bare);
    if (r)
        r->holders++;
    rs->holds = r != NULL;
}

static void roster_session_close(void *state, struct session *sess)
{
    struct roster_mod *m = state;
    struct roster_sess *rs = roster_sess_get(m, sess);
    presence_session_gone(m, sess);
    /* Counted rather than looked up in the session table: sessions that ended in one loop turn
     * have all left the table before the first close runs, and the later ones still need the
     * roster for their unavailable presence (the store may no longer have it: deluser). */
    const char *bare = module_session_jid(sess)->bare;
    struct roster *r = roster_peek(m, bare);
    /* A session whose open found no roster added no holder: it must not take away another's. */
    if (r && rs && rs->holds && r->holders > 0)
        r->holders--;
    if (!r || r->holders == 0)
        roster_release(m, bare);
    if (!rs)
        return;
    presence_directed_clear(rs);
    hmap_fini(&rs->directed);
    free(rs->gone_status);
    presence_sess_fini(rs);
    free(rs);
    module_session_slot_set(sess, m->slot, NULL);
}

static int roster_init(struct server *srv, const void *opts, void **state)
{
    struct roster_mod *m = xcalloc(1, sizeof(*m));
    m->srv = srv;
    m->opts = *(const struct roster_opts *)opts;
    m->slot = module_slot(&roster_module);
    hmap_init(&m->rosters);
    presence_init(m);
    buf_init(&m->head);
    buf_init(&m->held);
    *state = m;
    return m->slot >= 0 ? PL_OK : PL_EINVAL;
}

static void roster_fini(void *state)
{
    struct roster_mod *m = state;
    roster_release_all(m);
    presence_fini(m);
    buf_fini(&m->head);
    buf_fini(&m->held);
    free(m->held_to);
    free(m);
}

static const struct route roster_routes[] = {
    { .elem = "iq", .ns = NS_ROSTER, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT | TARGET_FULL, .min_state = SESS_BOUND,
      .fn = roster_iq },
    { .elem = "presence", .types = PRES_AVAILABLE | PRES_UNAVAILABLE,
      .targets = TARGET_SERVER | TARGET_ACCOUNT | TARGET_FULL, .min_state = SESS_BOUND,
      .fn = presence_route },
    { .elem = "presence",
      .types = PRES_SUBSCRIBE | PRES_SUBSCRIBED | PRES_UNSUBSCRIBE | PRES_UNSUBSCRIBED,
      .targets = TARGET_SERVER | TARGET_ACCOUNT | TARGET_FULL, .min_state = SESS_BOUND,
      .fn = presence_sub_route },
    { .elem = "presence", .types = PRES_PROBE,
      .targets = TARGET_SERVER | TARGET_ACCOUNT | TARGET_FULL, .min_state = SESS_BOUND,
      .fn = presence_probe_route },
};

static const char *const roster_features[] = { NS_ROSTER, NS_ROSTER_VER, NULL };

#define OPT(field) offsetof(struct roster_opts, field)

/* RFC 6121 §2.3.3 lets a server bound names and groups; every account's roster is bounded
 * too, so that its memory and its result stay small (conf/parley.conf says more). */
static const struct cfg_opt roster_options[] = {
    { "max_bytes", CFG_INT, OPT(max_bytes), "1048576", 4096, 1024L * 1024 * 1024, NULL },
    { "max_items", CFG_INT, OPT(max_items), "10000", 1, 1000000, NULL },
    { "max_groups_per_item", CFG_INT, OPT(max_groups), "32", 1, 1024, NULL },
    { "max_group_bytes", CFG_INT, OPT(max_group_bytes), "256", 1, 1023, NULL },
    { "max_name_bytes", CFG_INT, OPT(max_name_bytes), "1023", 1, 1023, NULL },
};

const struct module roster_module = {
    .name = "roster",
    .options = roster_options,
    .n_options = sizeof(roster_options) / sizeof(roster_options[0]),
    .options_size = sizeof(struct roster_opts),
    .routes = roster_routes,
    .n_routes = sizeof(roster_routes) / sizeof(roster_routes[0]),
    .features = roster_features,
    .init = roster_init,
    .fini = roster_fini,
    .session_open = roster_session_open,
    .session_close = roster_session_close,
};
