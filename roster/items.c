/* SPDX-License-Identifier: MIT */
/* Rosters in memory: loaded lazily from storage, O(1) contact lookup, written through. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "roster_int.h"

static void item_free(struct roster_item *it)
{
    if (!it)
        return;
    for (size_t i = 0; i < it->n_groups; i++)
        free(it->groups[i]);
    free(it->groups);
    free(it->name);
    free(it->status);
    free(it->jid);
    free(it);
}

static void item_free_cb(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    item_free(value);
}

/* A large roster leaves many small blocks behind: the server is told, so that it gives the
 * pages back to the system rather than keep them for the life of the process. */
static void roster_free(struct roster_mod *m, struct roster *r)
{
    if (!r)
        return;
    module_memory_released(m->srv, r->bytes);
    hmap_each(&r->items, item_free_cb, NULL);
    hmap_fini(&r->items);
    free(r->owner);
    free(r);
}

/* Groups are stored joined by '\n', which the roster set refuses inside a group name. */
static void split_groups(struct roster_item *it, const char *joined)
{
    const char *p = joined;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            it->groups = xrealloc(it->groups, (it->n_groups + 1) * sizeof(*it->groups));
            char *g = xmalloc(n + 1);
            memcpy(g, p, n);
            g[n] = '\0';
            it->groups[it->n_groups++] = g;
        }
        p += n + (nl != NULL);
    }
}

/* Rows are taken as stored, even past today's bounds: such a roster stays readable and can
 * be shrunk. */
static void load_row(void *ctx, const struct roster_row *row)
{
    struct roster *r = ctx;
    struct roster_item *it = roster_item_get(r, row->contact);
    it->name = row->name ? xstrdup(row->name) : NULL;
    it->state = row->state;
    it->in_roster = row->in_roster;
    it->status = row->status ? xstrdup(row->status) : NULL;
    split_groups(it, row->groups);
    it->bytes = roster_item_bytes(it);
    r->bytes += it->bytes;
}

static struct roster *load(struct roster_mod *m, const char *owner)
{
    if (!module_account_exists(m->srv, owner))
        return NULL;
    struct roster *r = xcalloc(1, sizeof(*r));
    r->owner = xstrdup(owner);
    hmap_init(&r->items);
    /* A failed read leaves what was read: the owner sees a partial roster rather than none,
     * and storage has logged why. */
    roster_load(module_storage(m->srv), owner, &r->ver, load_row, r);
    return r;
}

struct roster *roster_acquire(struct roster_mod *m, const char *owner)
{
    struct roster *r = hmap_get(&m->rosters, owner);
    if (r)
        return r;
    if (m->loose && strcmp(m->loose->owner, owner) == 0) {
        r = m->loose; /* read a moment ago for an offline owner: adopt it */
        m->loose = NULL;
    } else {
        r = load(m, owner);
    }
    if (r)
        hmap_put(&m->rosters, r->owner, r);
    return r;
}

void roster_release(struct roster_mod *m, const char *owner)
{
    roster_free(m, hmap_del(&m->rosters, owner));
}

static void roster_free_cb(void *ctx, const char *key, void *value)
{
    (void)key;
    roster_free(ctx, value);
}

void roster_release_all(struct roster_mod *m)
{
    hmap_each(&m->rosters, roster_free_cb, m);
    hmap_fini(&m->rosters);
    roster_free(m, m->loose);
    m->loose = NULL;
}

/* A roster stored past today's bound (before it was set) is kept for an offline owner only
 * for the loop turn that read it: it could be many times the bound. */
static void drop_oversized_loose(void *arg)
{
    struct roster_mod *m = arg;
    if (m->loose && m->loose->bytes > (size_t)m->opts.max_bytes) {
        roster_free(m, m->loose);
        m->loose = NULL;
    }
}

struct roster *roster_peek(struct roster_mod *m, const char *owner)
{
    struct roster *r = hmap_get(&m->rosters, owner);
    if (r)
        return r;
    if (m->loose && strcmp(m->loose->owner, owner) == 0)
        return m->loose;
    roster_free(m, m->loose);
    m->loose = load(m, owner);
    if (m->loose && m->loose->bytes > (size_t)m->opts.max_bytes)
        module_defer(m->srv, drop_oversized_loose, m);
    return m->loose;
}

struct roster_item *roster_item_find(struct roster *r, const char *contact)
{
    return hmap_get(&r->items, contact);
}

struct roster_item *roster_item_get(struct roster *r, const char *contact)
{
    struct roster_item *it = hmap_get(&r->items, contact);
    if (it)
        return it;
    it = xcalloc(1, sizeof(*it));
    it->jid = xstrdup(contact);
    hmap_put(&r->items, it->jid, it);
    return it;
}

static void join_groups(const struct roster_item *it, struct buf *b)
{
    buf_reset(b);
    buf_append(b, "", 1); /* data is "" even with no groups */
    b->len = 0;
    for (size_t i = 0; i < it->n_groups; i++) {
        if (i)
            buf_append(b, "\n", 1);
        buf_puts(b, it->groups[i]);
    }
}

/* Callers that ignore a write's result (subscription steps) still fail the roster set around
 * them: roster_tx_end looks at the first error. */
static int note_error(struct roster_mod *m, int rc)
{
    if (rc != PL_OK && m->store_err == PL_OK)
        m->store_err = rc;
    return rc;
}

int roster_item_save(struct roster_mod *m, struct roster *r, struct roster_item *it)
{
    if (!it->in_roster && !(it->state & (SUB_STATE_MASK | SUB_APPROVED)))
        return roster_item_drop(m, r, it);
    struct buf groups;
    buf_init(&groups);
    join_groups(it, &groups);
    struct roster_row row = { .contact = it->jid, .name = it->name, .groups = groups.data,
                              .state = it->state, .in_roster = it->in_roster,
                              .status = it->status };
    int rc = roster_put(module_storage(m->srv), r->owner, &row, ++r->ver);
    size_t bytes = roster_item_bytes(it);
    r->bytes = r->bytes - it->bytes + bytes;
    it->bytes = bytes;
    module_storage_dirty(m->srv);
    buf_fini(&groups);
    return note_error(m, rc);
}

int roster_item_drop(struct roster_mod *m, struct roster *r, struct roster_item *it)
{
    hmap_del(&r->items, it->jid);
    r->bytes -= it->bytes;
    int rc = roster_remove(module_storage(m->srv), r->owner, it->jid, ++r->ver);
    module_storage_dirty(m->srv);
    item_free(it);
    return note_error(m, rc);
}

void roster_reload(struct roster_mod *m, const char *owner)
{
    struct roster *r = hmap_del(&m->rosters, owner);
    if (r) {
        roster_free(m, r);
        r = load(m, owner);
        if (r)
            hmap_put(&m->rosters, r->owner, r);
    } else if (m->loose && strcmp(m->loose->owner, owner) == 0) {
        roster_free(m, m->loose);
        m->loose = NULL; /* read again when next asked for */
    }
}

void roster_item_set_info(struct roster_item *it, const char *name, const char *const *groups,
                          size_t n_groups)
{
    for (size_t i = 0; i < it->n_groups; i++)
        free(it->groups[i]);
    free(it->groups);
    free(it->name);
    it->name = name && *name ? xstrdup(name) : NULL;
    it->groups = n_groups ? xcalloc(n_groups, sizeof(*it->groups)) : NULL;
    for (size_t i = 0; i < n_groups; i++)
        it->groups[i] = xstrdup(groups[i]);
    it->n_groups = n_groups;
}

static const char *sub_name(unsigned state)
{
    static const char *const names[] = { "none", "to", "from", "both" };
    return names[state & (SUB_TO | SUB_FROM)];
}

void roster_item_write(struct stanza *st, struct xel *query, const struct roster_item *it,
                       bool removed)
{
    struct xel *item = xel_add_child(st, query, "item", NS_ROSTER);
    xel_set_attr(st, item, "jid", it->jid);
    if (removed) {
        xel_set_attr(st, item, "subscription", "remove");
        return;
    }
    if (it->name)
        xel_set_attr(st, item, "name", it->name);
    xel_set_attr(st, item, "subscription", sub_name(it->state));
    if (it->state & SUB_PENDING_OUT)
        xel_set_attr(st, item, "ask", "subscribe");
    if (it->state & SUB_APPROVED)
        xel_set_attr(st, item, "approved", "true");
    for (size_t i = 0; i < it->n_groups; i++)
        xel_add_text_child(st, item, "group", it->groups[i]);
}

size_t roster_item_bytes(const struct roster_item *it)
{
    struct stanza *st = stanza_new("query", NS_ROSTER);
    struct buf b;
    buf_init(&b);
    roster_item_write(st, st->root, it, false);
    xel_write(st->root->first, NS_ROSTER, &b);
    size_t n = b.len + (it->status ? strlen(it->status) : 0);
    buf_fini(&b);
    stanza_unref(st);
    return n;
}

bool roster_item_room(const struct roster_mod *m, const struct roster *r, const char *contact,
                      unsigned state, bool in_roster, const char *status)
{
    if (roster_item_find((struct roster *)r, contact))
        return true;
    struct roster_item cand = { .jid = (char *)contact, .state = state, .in_roster = in_roster,
                                .status = (char *)status };
    return roster_limits_size(&m->opts, r->items.used, r->bytes, 0, roster_item_bytes(&cand),
                              true) == ROUTE_DONE;
}

void roster_contact_get(struct server *srv, const char *owner_bare, const char *contact_bare,
                        struct roster_contact *out)
{
    struct roster_mod *m = module_state(srv, &roster_module);
    struct roster *r = m && owner_bare && contact_bare ? roster_peek(m, owner_bare) : NULL;
    struct roster_item *it = r ? roster_item_find(r, contact_bare) : NULL;
    *out = (struct roster_contact){ .found = it && it->in_roster };
    if (!out->found)
        return;
    out->sub = (enum roster_sub)(it->state & (SUB_TO | SUB_FROM));
    out->groups = (const char *const *)it->groups;
    out->n_groups = it->n_groups;
}

/* Owned copies of JIDs, so that callbacks run after the map walk: a callback may read another
 * roster through roster_peek, which would free the one being walked. */
struct jid_list {
    char **v;
    size_t n, cap;
    unsigned want; /* enum sub_bits an item needs, 0: any key */
};

static void jid_list_add(struct jid_list *l, const char *jid)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = xstrdup(jid);
}

static void jid_list_run(struct jid_list *l, void (*fn)(void *ctx, const char *jid), void *ctx)
{
    for (size_t i = 0; i < l->n; i++) {
        fn(ctx, l->v[i]);
        free(l->v[i]);
    }
    free(l->v);
}

static void collect_subscriber(void *ctx, const char *key, void *value)
{
    struct jid_list *l = ctx;
    const struct roster_item *it = value;
    if (it->state & l->want)
        jid_list_add(l, key);
}

static void for_each_with(struct server *srv, const char *owner_bare, unsigned want,
                          void (*fn)(void *ctx, const char *contact_bare), void *ctx)
{
    struct roster_mod *m = module_state(srv, &roster_module);
    struct roster *r = m && owner_bare ? roster_peek(m, owner_bare) : NULL;
    struct jid_list l = { .want = want };
    if (r)
        hmap_each(&r->items, collect_subscriber, &l);
    jid_list_run(&l, fn, ctx);
}

void roster_for_each_subscriber(struct server *srv, const char *owner_bare,
                                void (*fn)(void *ctx, const char *contact_bare), void *ctx)
{
    for_each_with(srv, owner_bare, SUB_FROM, fn, ctx);
}

void roster_for_each_subscription(struct server *srv, const char *owner_bare,
                                  void (*fn)(void *ctx, const char *contact_bare), void *ctx)
{
    for_each_with(srv, owner_bare, SUB_TO, fn, ctx);
}

struct group_find {
    const char *group;
    bool found;
};

static void find_group(void *ctx, const char *key, void *value)
{
    struct group_find *g = ctx;
    const struct roster_item *it = value;
    (void)key;
    for (size_t i = 0; it->in_roster && i < it->n_groups && !g->found; i++)
        g->found = strcmp(it->groups[i], g->group) == 0;
}

bool roster_has_group(struct server *srv, const char *owner_bare, const char *group)
{
    struct roster_mod *m = module_state(srv, &roster_module);
    struct roster *r = m && owner_bare && group ? roster_peek(m, owner_bare) : NULL;
    struct group_find g = { .group = group };
    if (r)
        hmap_each(&r->items, find_group, &g);
    return g.found;
}

static void collect_key(void *ctx, const char *key, void *value)
{
    (void)value;
    jid_list_add(ctx, key);
}

void roster_for_each_directed(struct server *srv, const struct session *sess,
                              void (*fn)(void *ctx, const char *jid), void *ctx)
{
    struct roster_mod *m = module_state(srv, &roster_module);
    const struct roster_sess *rs = m && sess ? module_session_slot_get(sess, m->slot) : NULL;
    struct jid_list l = { 0 };
    if (rs)
        hmap_each(&rs->directed, collect_key, &l);
    jid_list_run(&l, fn, ctx);
}
