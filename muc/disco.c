/* SPDX-License-Identifier: MIT */
/* Service discovery of group chat (XEP-0045 §6): the service and its public rooms, listed a
 * page at a time (XEP-0059), and each room's features and muc#roominfo form. */
#include "muc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_RSM "http://jabber.org/protocol/rsm"
/* Rooms listed when the request asks for no page size, and the most a page may hold. */
#define PAGE_DEFAULT 100
#define PAGE_MAX 500

static void add_identity(struct stanza *st, struct xel *q, const char *name)
{
    struct xel *id = xel_add_child(st, q, "identity", NS_DISCO_INFO);
    xel_set_attr(st, id, "category", "conference");
    xel_set_attr(st, id, "type", "text");
    xel_set_attr(st, id, "name", name);
}

static void add_feature(struct stanza *st, struct xel *q, const char *var)
{
    xel_set_attr(st, xel_add_child(st, q, "feature", NS_DISCO_INFO), "var", var);
}

static void add_form_field(struct stanza *st, struct xel *x, const char *var, const char *value)
{
    xdata_value(st, xdata_field(st, x, var, NULL, NULL), value);
}

static void service_info(struct stanza *res, struct xel *q)
{
    add_identity(res, q, "Chatrooms");
    add_feature(res, q, NS_DISCO_INFO);
    add_feature(res, q, NS_DISCO_ITEMS);
    add_feature(res, q, NS_MUC);
    add_feature(res, q, NS_RSM);
}

static void room_features(struct stanza *res, struct xel *q, const struct muc_room *r)
{
    const struct muc_config *c = &r->cfg;
    add_feature(res, q, NS_DISCO_INFO);
    add_feature(res, q, NS_MUC);
    add_feature(res, q, c->listed ? "muc_public" : "muc_hidden");
    add_feature(res, q, c->persistent ? "muc_persistent" : "muc_temporary");
    add_feature(res, q, c->members_only ? "muc_membersonly" : "muc_open");
    add_feature(res, q, c->moderated ? "muc_moderated" : "muc_unmoderated");
    add_feature(res, q, c->password_protected ? "muc_passwordprotected" : "muc_unsecured");
    add_feature(res, q, c->whois == WHOIS_ANYONE ? "muc_nonanonymous" : "muc_semianonymous");
    add_feature(res, q, NS_SID);
    add_feature(res, q, NS_MUC_SELF_PING);
    add_feature(res, q, NS_MODERATE);
    add_feature(res, q, NS_MODERATE_0);
    if (c->archive)
        add_feature(res, q, NS_MAM);
}

static void room_info(struct stanza *res, struct xel *q, const struct muc_room *r)
{
    add_identity(res, q, r->cfg.name[0] ? r->cfg.name : r->jid);
    room_features(res, q, r);
    struct xel *x = xdata_form(res, q, "result", NS_MUC_ROOMINFO);
    char n[24];
    snprintf(n, sizeof(n), "%zu", r->n_occ);
    add_form_field(res, x, "muc#roominfo_occupants", n);
    add_form_field(res, x, "muc#roominfo_description", r->cfg.desc);
    add_form_field(res, x, "muc#roominfo_subject", r->subject ? r->subject : "");
    add_form_field(res, x, "muc#roominfo_lang", r->cfg.lang);
    add_form_field(res, x, "muc#roomconfig_roomname", r->cfg.name);
    add_form_field(res, x, "muc#roomconfig_changesubject", r->cfg.change_subject ? "1" : "0");
}

/* ---- the public rooms, a page at a time ------------------------------------------------------ */

struct listed {
    char *jid, *name;
};

struct page {
    struct listed *rows;
    size_t n, cap;
    size_t stored_total; /* listed rooms in storage */
};

static void page_add(struct page *p, const char *jid, const char *name)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->rows = xrealloc(p->rows, p->cap * sizeof(*p->rows));
    }
    p->rows[p->n++] = (struct listed){ xstrdup(jid), xstrdup(name) };
}

static void add_stored(void *ctx, const struct room_row *row)
{
    page_add(ctx, row->jid, row->name);
}

struct temp_walk {
    struct page *p;
    const char *after;
    size_t total;
};

/* Temporary rooms live only in memory: they join the storage's page in JID order. */
static void add_temporary(void *ctx, const char *key, void *value)
{
    struct temp_walk *w = ctx;
    const struct muc_room *r = value;
    if (r->stored || r->locked || r->gone || !r->cfg.listed)
        return;
    w->total++;
    if (!w->after || strcmp(key, w->after) > 0)
        page_add(w->p, key, r->cfg.name);
}

static int by_jid(const void *a, const void *b)
{
    return strcmp(((const struct listed *)a)->jid, ((const struct listed *)b)->jid);
}

static long rsm_max(const struct xel *set)
{
    const struct xel *max = set ? xel_child(set, "max", NS_RSM) : NULL;
    if (!max)
        return PAGE_DEFAULT;
    char *end;
    long n = strtol(xel_text(max), &end, 10);
    return end != xel_text(max) && !*end && n >= 0 ? (n > PAGE_MAX ? PAGE_MAX : n) : -1;
}

static void add_rsm(struct stanza *res, struct xel *q, const struct page *p, size_t shown,
                    size_t total)
{
    struct xel *set = xel_add_child(res, q, "set", NS_RSM);
    if (shown) {
        xel_add_text_child(res, set, "first", p->rows[0].jid);
        xel_add_text_child(res, set, "last", p->rows[shown - 1].jid);
    }
    char n[24];
    snprintf(n, sizeof(n), "%zu", total);
    xel_add_text_child(res, set, "count", n);
}

static int rooms_page(struct muc_mod *m, struct stanza *res, struct xel *q, const struct xel *set)
{
    long max = rsm_max(set);
    const struct xel *after_el = set ? xel_child(set, "after", NS_RSM) : NULL;
    const char *after = after_el ? xel_text(after_el) : NULL;
    if (max < 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct page p = { 0 };
    if (room_list(module_storage(m->srv), true, after, (size_t)max, add_stored, &p,
                  &p.stored_total) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    struct temp_walk w = { &p, after, 0 };
    hmap_each(&m->rooms, add_temporary, &w);
    if (p.n)
        qsort(p.rows, p.n, sizeof(*p.rows), by_jid);
    size_t shown = p.n < (size_t)max ? p.n : (size_t)max;
    for (size_t i = 0; i < shown; i++) {
        struct xel *item = xel_add_child(res, q, "item", NS_DISCO_ITEMS);
        xel_set_attr(res, item, "jid", p.rows[i].jid);
        if (p.rows[i].name[0])
            xel_set_attr(res, item, "name", p.rows[i].name);
    }
    if (set || p.stored_total + w.total > shown)
        add_rsm(res, q, &p, shown, p.stored_total + w.total);
    for (size_t i = 0; i < p.n; i++) {
        free(p.rows[i].jid);
        free(p.rows[i].name);
    }
    free(p.rows);
    return ROUTE_DONE;
}

int muc_disco_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r)
{
    const struct xel *req = xel_first_elem(st->root);
    bool info = strcmp(req->ns, NS_DISCO_INFO) == 0;
    if (st->type != IQ_GET || strcmp(req->name, "query") != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    const char *node = xel_attr(req, "node");
    if (node && node[0])
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct stanza *res = stanza_iq_result(st);
    struct xel *q = xel_add_child(res, res->root, "query", req->ns);
    int rv = ROUTE_DONE;
    if (info && r)
        room_info(res, q, r);
    else if (info)
        service_info(res, q);
    else if (!r)
        rv = rooms_page(m, res, q, xel_child(req, "set", NS_RSM));
    if (rv == ROUTE_DONE)
        router_reply(rc, res);
    stanza_unref(res);
    return rv;
}
