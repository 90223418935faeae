/* SPDX-License-Identifier: MIT */
/* XEP-0016 privacy lists: get/set/remove, active and default lists, pushes; the module itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "privacy.h"
#include "roster.h"

/* The query's only child element, or NULL when it has none or several. */
static const struct xel *only_child(const struct xel *query, unsigned *count)
{
    const struct xel *one = NULL;
    *count = 0;
    for (const struct xel *c = query->first; c; c = c->next)
        if (c->name && (*count)++ == 0)
            one = c;
    return *count == 1 ? one : NULL;
}

static bool is(const struct xel *el, const char *name)
{
    return el && strcmp(el->name, name) == 0 && el->ns && strcmp(el->ns, NS_PRIVACY) == 0;
}

static struct stanza *result_query(const struct stanza *iq, struct xel **query)
{
    struct stanza *r = stanza_iq_result(iq);
    *query = xel_add_child(r, r->root, "query", NS_PRIVACY);
    return r;
}

static void add_named(struct stanza *r, struct xel *parent, const char *elem, const char *name)
{
    struct xel *e = xel_add_child(r, parent, elem, NS_PRIVACY);
    if (name)
        xel_set_attr(r, e, "name", name);
}

/* Names of the lists, preceded by the session's active list and the default list. */
static int get_names(struct route_ctx *rc, struct stanza *st, struct priv_session *ps)
{
    struct xel *q;
    struct stanza *r = result_query(st, &q);
    if (ps->active)
        add_named(r, q, "active", ps->active);
    if (ps->acct->default_name)
        add_named(r, q, "default", ps->acct->default_name);
    for (const struct priv_list *l = ps->acct->lists; l; l = l->next)
        add_named(r, q, "list", l->name);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

static const char *const kind_names[] = { "message", "iq", "presence-in", "presence-out" };
static const char *const type_names[] = { NULL, "jid", "group", "subscription" };

static void write_item(struct stanza *r, struct xel *list, const struct priv_item *it)
{
    struct xel *e = xel_add_child(r, list, "item", NS_PRIVACY);
    char order[16];
    if (it->type != PRIV_T_ANY) {
        xel_set_attr(r, e, "type", type_names[it->type]);
        xel_set_attr(r, e, "value", it->value ? it->value : "");
    }
    xel_set_attr(r, e, "action", it->allow ? "allow" : "deny");
    snprintf(order, sizeof(order), "%u", it->order);
    xel_set_attr(r, e, "order", order);
    if ((it->kinds & PRIV_KINDS_ALL) == PRIV_KINDS_ALL)
        return;
    for (unsigned k = 0; k < ARRAY_LEN(kind_names); k++)
        if (it->kinds & (1u << k))
            xel_add_child(r, e, kind_names[k], NS_PRIVACY);
}

static int get_list(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                    const struct xel *req)
{
    const struct priv_list *l = priv_list_find(ps->acct, xel_attr(req, "name"));
    if (!l)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct xel *q;
    struct stanza *r = result_query(st, &q);
    struct xel *list = xel_add_child(r, q, "list", NS_PRIVACY);
    xel_set_attr(r, list, "name", l->name);
    for (size_t i = 0; i < l->n; i++)
        write_item(r, list, &l->items[i]);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* XEP-0016 §2.3: all names, or one list; several lists or anything else is bad-request. */
static int privacy_get(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                       const struct xel *query)
{
    unsigned n;
    const struct xel *req = only_child(query, &n);
    if (n == 0)
        return get_names(rc, st, ps);
    if (!is(req, "list") || !xel_attr(req, "name"))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    return get_list(rc, st, ps, req);
}

/* ---- pushes ------------------------------------------------------------------------------ */

void priv_push_all(struct privacy *p, const char *bare, struct stanza *st)
{
    char id[32];
    snprintf(id, sizeof(id), "privacy-push-%lu", ++p->pushes);
    xel_set_attr(st, st->root, "id", id);
    for (struct session *s = module_sessions_first(p->srv, bare); s; s = module_sessions_next(s)) {
        stanza_set_to(st, module_session_jid(s)->full);
        stanza_summarize(st);
        module_send(s, st);
    }
}

/* XEP-0016 §2.2 rule 10: only the list's name is pushed. */
void priv_push_list(struct privacy *p, const char *bare, const char *name)
{
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "set");
    struct xel *q = xel_add_child(st, st->root, "query", NS_PRIVACY);
    add_named(st, q, "list", name);
    priv_push_all(p, bare, st);
    stanza_unref(st);
}

/* An edit of the blocklist through XEP-0016 is also told to XEP-0191 clients. */
static void announce_change(struct privacy *p, const char *bare, const char *name)
{
    priv_push_list(p, bare, name);
    if (strcmp(name, PRIV_BLOCKLIST) == 0)
        blocking_push_resync(p, bare);
}

/* ---- set --------------------------------------------------------------------------------- */

/* Does a bound resource other than self have list `name` applied (active, or default with no
 * active list)? With only_default, only resources without an active list count. */
static bool applied_elsewhere(struct privacy *p, const struct priv_account *acct,
                              const struct session *self, const char *name, bool only_default)
{
    for (struct session *s = module_sessions_first(p->srv, acct->bare); s;
         s = module_sessions_next(s)) {
        const struct priv_session *ps = priv_session_get(p, s);
        if (s == self || !ps)
            continue;
        const char *applied = ps->active ? ps->active : acct->default_name;
        if (only_default && ps->active)
            continue;
        if (applied && strcmp(applied, name) == 0)
            return true;
    }
    return false;
}

/* XEP-0016 §2.4: the active list of this session only; <active/> declines it. */
static int set_active(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                      const struct xel *req)
{
    const char *name = xel_attr(req, "name");
    if (name && !priv_list_find(ps->acct, name))
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    free(ps->active);
    ps->active = name ? xstrdup(name) : NULL;
    return router_reply_result(rc, st);
}

/* XEP-0016 §2.5: the default list is shared; it may not change under another resource. */
static int set_default(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                       const struct xel *req)
{
    struct privacy *p = rc->state;
    const char *name = xel_attr(req, "name");
    const char *cur = ps->acct->default_name;
    if (name && !priv_list_find(ps->acct, name))
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (cur && (!name || strcmp(cur, name) != 0) &&
        applied_elsewhere(p, ps->acct, rc->sess, cur, true))
        return ROUTE_ERROR(COND_CONFLICT);
    if (priv_default_store(p, ps->acct, name) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    return router_reply_result(rc, st);
}

/* XEP-0016 §2.8: a list applied to another resource stays; the sender's own use ends. */
static int remove_list(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                       const char *name)
{
    struct privacy *p = rc->state;
    struct priv_account *acct = ps->acct;
    if (!priv_list_find(acct, name))
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (applied_elsewhere(p, acct, rc->sess, name, false))
        return ROUTE_ERROR(COND_CONFLICT);
    bool was_default = acct->default_name && strcmp(acct->default_name, name) == 0;
    if ((was_default && priv_default_store(p, acct, NULL) != PL_OK) ||
        priv_list_store(p, acct, name, NULL, 0) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    if (ps->active && strcmp(ps->active, name) == 0) {
        free(ps->active);
        ps->active = NULL;
    }
    router_reply_result(rc, st);
    announce_change(p, acct->bare, name);
    return ROUTE_DONE;
}

/* XEP-0016 §2.1: a group item SHOULD name a group of the user's roster; a typo would
 * otherwise be a rule that silently never matches. */
static bool groups_known(struct privacy *p, const char *bare, const struct priv_item *items,
                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].type == PRIV_T_GROUP && !roster_has_group(p->srv, bare, items[i].value))
            return false;
    return true;
}

/* XEP-0016 §2.6-2.7: a list is created or replaced as a whole, then pushed. */
static int edit_list(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                     const struct xel *req, const char *name)
{
    struct privacy *p = rc->state;
    struct priv_item *items;
    size_t n;
    enum stanza_cond cond = priv_items_parse(req, &items, &n);
    if (cond != COND_NONE)
        return ROUTE_ERROR(cond);
    if (!groups_known(p, ps->acct->bare, items, n)) {
        priv_items_free(items, n);
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    }
    int rc_store = priv_list_store(p, ps->acct, name, items, n);
    priv_items_free(items, n);
    if (rc_store != PL_OK)
        return ROUTE_ERROR(rc_store == PL_ELIMIT ? COND_POLICY_VIOLATION
                                                 : COND_INTERNAL_SERVER_ERROR);
    router_reply_result(rc, st);
    announce_change(p, ps->acct->bare, name);
    return ROUTE_DONE;
}

static int set_list(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                    const struct xel *req)
{
    const char *name = xel_attr(req, "name");
    if (!name || !*name || strlen(name) > PRIV_MAX_NAME)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (!xel_first_elem(req))
        return remove_list(rc, st, ps, name);
    return edit_list(rc, st, ps, req, name);
}

/* XEP-0016 §2.1: exactly one of <active/>, <default/>, <list/>. */
static int privacy_set(struct route_ctx *rc, struct stanza *st, struct priv_session *ps,
                       const struct xel *query)
{
    unsigned n;
    const struct xel *req = only_child(query, &n);
    if (is(req, "active"))
        return set_active(rc, st, ps, req);
    if (is(req, "default"))
        return set_default(rc, st, ps, req);
    if (is(req, "list"))
        return set_list(rc, st, ps, req);
    return ROUTE_ERROR(COND_BAD_REQUEST);
}

/* Only the account itself manages its lists. */
static bool addressed_to_self(const struct route_ctx *rc)
{
    return !rc->to || (!rc->to->resource && rc->to->local &&
                       strcmp(rc->to->bare, module_session_jid(rc->sess)->bare) == 0);
}

int privacy_iq(struct route_ctx *rc, struct stanza *st)
{
    struct privacy *p = rc->state;
    struct priv_session *ps = priv_session_get(p, rc->sess);
    if (!addressed_to_self(rc))
        return rc->to->local ? ROUTE_ERROR(COND_FORBIDDEN) : ROUTE_PASS;
    if (!ps || !ps->acct)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    const struct xel *query = xel_first_elem(st->root);
    if (st->type & IQ_GET)
        return privacy_get(rc, st, ps, query);
    /* XEP-0016 §2.11: whichever way a set changes the lists in force (an active list, the
     * default, an edit of a list in use), contacts it hides the user from are told. */
    struct priv_seen *seen = priv_seen_take(p, ps->acct->bare);
    int res = privacy_set(rc, st, ps, query);
    priv_seen_settle(p, seen);
    return res;
}

/* ---- the module -------------------------------------------------------------------------- */

static void privacy_session_open(void *state, struct session *sess)
{
    struct privacy *p = state;
    struct priv_session *ps = xcalloc(1, sizeof(*ps));
    ps->acct = priv_account_get(p, module_session_jid(sess)->bare);
    if (ps->acct)
        ps->acct->sessions++;
    module_session_slot_set(sess, p->slot, ps);
}

static void privacy_session_close(void *state, struct session *sess)
{
    struct privacy *p = state;
    struct priv_session *ps = priv_session_get(p, sess);
    if (!ps)
        return;
    module_session_slot_set(sess, p->slot, NULL);
    if (ps->acct) {
        ps->acct->sessions--;
        priv_account_done(p, ps->acct);
    }
    free(ps->active);
    free(ps);
}

extern const struct module privacy_module;

static int privacy_init(struct server *srv, const void *opts, void **state)
{
    (void)opts;
    struct privacy *p = xcalloc(1, sizeof(*p));
    p->srv = srv;
    p->slot = module_slot(&privacy_module);
    hmap_init(&p->accounts);
    *state = p;
    return p->slot < 0 ? PL_EINVAL : PL_OK;
}

static void free_account(void *ctx, const char *key, void *value)
{
    (void)ctx;
    (void)key;
    priv_account_free(value);
}

static void privacy_fini(void *state)
{
    struct privacy *p = state;
    hmap_each(&p->accounts, free_account, NULL);
    hmap_fini(&p->accounts);
    free(p->last_text);
    jid_free(p->last_jid);
    free(p);
}

/* An edit rewrites up to PRIV_MAX_ITEMS rows and pushes to every resource: it costs more. */
static const struct route privacy_routes[] = {
    { .elem = "iq", .ns = NS_PRIVACY, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .cost = 4,
      .fn = privacy_iq },
    { .elem = "iq", .ns = NS_BLOCKING, .types = IQ_GET | IQ_SET,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND, .cost = 4,
      .fn = blocking_iq },
};

static const char *const privacy_features[] = { NS_PRIVACY, NS_BLOCKING, NULL };

const struct module privacy_module = {
    .name = "privacy",
    .routes = privacy_routes,
    .n_routes = ARRAY_LEN(privacy_routes),
    .features = privacy_features,
    .init = privacy_init,
    .fini = privacy_fini,
    .session_open = privacy_session_open,
    .session_close = privacy_session_close,
    .filter_out = priv_filter_out,
    .filter_in = priv_filter_in,
};
