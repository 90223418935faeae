/* SPDX-License-Identifier: MIT */
/* XEP-0191 blocking command, stored as the deny items of the PRIV_BLOCKLIST privacy list. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "privacy.h"

/* A blocklist entry: a child-less deny item on a JID (other items are XEP-0016's alone). */
static bool is_block_item(const struct priv_item *it)
{
    return it->type == PRIV_T_JID && !it->allow && (it->kinds & PRIV_KINDS_ALL) == PRIV_KINDS_ALL;
}

static void add_item(struct stanza *st, struct xel *parent, const char *jid)
{
    struct xel *e = xel_add_child(st, parent, "item", NS_BLOCKING);
    xel_set_attr(st, e, "jid", jid);
}

static int blocklist_get(struct route_ctx *rc, struct stanza *st, const struct priv_account *acct)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *bl = xel_add_child(r, r->root, "blocklist", NS_BLOCKING);
    const struct priv_list *l = priv_list_find(acct, PRIV_BLOCKLIST);
    for (size_t i = 0; l && i < l->n; i++)
        if (is_block_item(&l->items[i]))
            add_item(r, bl, l->items[i].value);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* The requested JIDs, prepared; COND_JID_MALFORMED for a bad one (XEP-0191 §5.3). */
static enum stanza_cond parse_jids(const struct xel *cmd, struct jid ***out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (const struct xel *c = cmd->first; c; c = c->next) {
        if (!c->name)
            continue;
        if (strcmp(c->name, "item") != 0 || !c->ns || strcmp(c->ns, NS_BLOCKING) != 0)
            return COND_BAD_REQUEST;
        struct jid *j = xel_attr(c, "jid") ? jid_parse(xel_attr(c, "jid")) : NULL;
        if (!j)
            return COND_JID_MALFORMED;
        if (*n == PRIV_MAX_ITEMS) {
            jid_free(j);
            return COND_POLICY_VIOLATION;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        (*out)[(*n)++] = j;
    }
    return COND_NONE;
}

static void free_jids(struct jid **jids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jid_free(jids[i]);
    free(jids);
}

static bool listed(const struct priv_list *l, const char *jid)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (is_block_item(&l->items[i]) && strcmp(l->items[i].value, jid) == 0)
            return true;
    return false;
}

static bool requested(struct jid *const *jids, size_t n, const char *jid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(jids[i]->full, jid) == 0)
            return true;
    return false;
}

/* The blocklist after a block: new deny items first (they must win over whatever else the
 * list holds), then the old items; orders renumbered 1..n. Returns the count. */
static size_t with_blocked(const struct priv_list *l, struct jid *const *jids, size_t n,
                           struct priv_item *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (listed(l, jids[i]->full) || requested(jids, i, jids[i]->full))
            continue; /* already blocked, or named twice in the request */
        out[k++] = (struct priv_item){ .type = PRIV_T_JID, .allow = false,
                                       .kinds = PRIV_KINDS_ALL, .value = jids[i]->full };
    }
    for (size_t i = 0; l && i < l->n; i++)
        out[k++] = l->items[i];
    for (size_t i = 0; i < k; i++)
        out[i].order = (unsigned)i + 1;
    return k;
}

/* The blocklist after an unblock (n == 0: of every JID). */
static size_t without_blocked(const struct priv_list *l, struct jid *const *jids, size_t n,
                              struct priv_item *out)
{
    size_t k = 0;
    for (size_t i = 0; l && i < l->n; i++) {
        const struct priv_item *it = &l->items[i];
        if (is_block_item(it) && (n == 0 || requested(jids, n, it->value)))
            continue;
        out[k++] = *it;
    }
    return k;
}

/* XEP-0191 §5.3/§5.4 pushes: the same command, to every resource. */
static void push_command(struct privacy *p, const char *bare, const char *cmd,
                         struct jid *const *jids, size_t n)
{
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "set");
    struct xel *c = xel_add_child(st, st->root, cmd, NS_BLOCKING);
    for (size_t i = 0; i < n; i++)
        add_item(st, c, jids[i]->full);
    priv_push_all(p, bare, st);
    stanza_unref(st);
}

void blocking_push_resync(struct privacy *p, const char *bare)
{
    struct priv_account *acct = priv_account_get(p, bare);
    if (!acct)
        return;
    push_command(p, bare, "unblock", NULL, 0);
    const struct priv_list *l = priv_list_find(acct, PRIV_BLOCKLIST);
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "set");
    struct xel *c = xel_add_child(st, st->root, "block", NS_BLOCKING);
    size_t n = 0;
    for (size_t i = 0; l && i < l->n; i++)
        if (is_block_item(&l->items[i]) && ++n)
            add_item(st, c, l->items[i].value);
    if (n)
        priv_push_all(p, bare, st);
    stanza_unref(st);
    priv_account_done(p, acct);
}

/* The JIDs whose state a block or unblock changes, copied: the list's items are replaced. */
static char **changed_jids(const struct priv_list *l, bool block, struct jid *const *jids,
                           size_t n, size_t *count)
{
    char **out = xcalloc(n + (l ? l->n : 0) + 1, sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; block && i < n; i++)
        if (!listed(l, jids[i]->full) && !requested(jids, i, jids[i]->full))
            out[k++] = xstrdup(jids[i]->full);
    for (size_t i = 0; !block && l && i < l->n; i++) {
        const struct priv_item *it = &l->items[i];
        if (is_block_item(it) && (n == 0 || requested(jids, n, it->value)))
            out[k++] = xstrdup(it->value);
    }
    *count = k;
    return out;
}

/* Applies a block or unblock to the stored blocklist, then answers, pushes, and tells the
 * contacts concerned through presence. */
static int change(struct route_ctx *rc, struct stanza *st, struct priv_account *acct, bool block,
                  struct jid *const *jids, size_t n)
{
    struct privacy *p = rc->state;
    const struct priv_list *l = priv_list_find(acct, PRIV_BLOCKLIST);
    size_t old = l ? l->n : 0, n_changed;
    if (block && old + n > PRIV_MAX_ITEMS)
        return ROUTE_ERROR(COND_POLICY_VIOLATION);
    struct priv_item *items = xcalloc(old + n + 1, sizeof(*items));
    size_t k = block ? with_blocked(l, jids, n, items) : without_blocked(l, jids, n, items);
    char **changed = changed_jids(l, block, jids, n, &n_changed);
    int res = priv_list_store(p, acct, PRIV_BLOCKLIST, items, k);
    free(items);
    if (res == PL_OK) {
        struct stanza *r = stanza_iq_result(st);
        router_reply(rc, r);
        stanza_unref(r);
        push_command(p, acct->bare, block ? "block" : "unblock", jids, n);
        priv_push_list(p, acct->bare, PRIV_BLOCKLIST);
    }
    for (size_t i = 0; i < n_changed; i++) {
        if (res == PL_OK)
            priv_block_presence(p, acct->bare, changed[i], block);
        free(changed[i]);
    }
    free(changed);
    return res == PL_OK ? ROUTE_DONE : ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
}

static int blocking_set(struct route_ctx *rc, struct stanza *st, struct priv_account *acct,
                        const struct xel *cmd)
{
    bool block = strcmp(cmd->name, "block") == 0;
    if (!block && strcmp(cmd->name, "unblock") != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct jid **jids;
    size_t n;
    enum stanza_cond cond = parse_jids(cmd, &jids, &n);
    if (cond == COND_NONE && block && n == 0)
        cond = COND_BAD_REQUEST; /* XEP-0191 §5.3: a block names at least one JID */
    int res = cond == COND_NONE ? change(rc, st, acct, block, jids, n) : ROUTE_ERROR(cond);
    free_jids(jids, n);
    return res;
}

int blocking_iq(struct route_ctx *rc, struct stanza *st)
{
    struct privacy *p = rc->state;
    struct priv_session *ps = priv_session_get(p, rc->sess);
    const struct jid *self = module_session_jid(rc->sess);
    if (rc->to && (rc->to->resource || !rc->to->local || strcmp(rc->to->bare, self->bare) != 0))
        return rc->to->local ? ROUTE_ERROR(COND_FORBIDDEN) : ROUTE_PASS;
    if (!ps || !ps->acct)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    const struct xel *cmd = xel_first_elem(st->root);
    if (!cmd->ns || strcmp(cmd->ns, NS_BLOCKING) != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (st->type & IQ_GET)
        return strcmp(cmd->name, "blocklist") == 0 ? blocklist_get(rc, st, ps->acct)
                                                   : ROUTE_ERROR(COND_BAD_REQUEST);
    return blocking_set(rc, st, ps->acct, cmd);
}
