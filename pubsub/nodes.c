/* SPDX-License-Identifier: MIT */
/* Services, nodes, items and members in memory, each change written to the store's batch as it
 * is made; read back whole at start, so that serving a node never waits for the store. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pubsub.h"

struct ps_service *ps_service_find(struct pubsub *ps, const char *jid)
{
    return hmap_get(&ps->services, jid);
}

struct ps_service *ps_service_get(struct pubsub *ps, const char *jid, bool pep)
{
    struct ps_service *svc = ps_service_find(ps, jid);
    if (svc)
        return svc;
    svc = xcalloc(1, sizeof(*svc));
    svc->jid = xstrdup(jid);
    svc->pep = pep;
    hmap_init(&svc->nodes);
    hmap_put(&ps->services, svc->jid, svc);
    return svc;
}

struct ps_node *ps_node_find(struct pubsub *ps, const char *service, const char *node)
{
    struct ps_service *svc = ps_service_find(ps, service);
    return svc && node ? hmap_get(&svc->nodes, node) : NULL;
}

static struct ps_node *node_new(struct ps_service *svc, const char *name)
{
    struct ps_node *n = xcalloc(1, sizeof(*n));
    n->name = xstrdup(name);
    n->svc = svc;
    ps_config_defaults(&n->cfg, svc->pep);
    hmap_init(&n->items);
    hmap_init(&n->members);
    hmap_put(&svc->nodes, n->name, n);
    return n;
}

static void item_free(struct ps_item *it)
{
    free(it->id);
    free(it->publisher);
    stanza_unref(it->payload);
    stanza_unref(it->note);
    free(it);
}

static void unlink_item(struct ps_node *n, struct ps_item *it)
{
    *(it->prev ? &it->prev->next : &n->first) = it->next;
    *(it->next ? &it->next->prev : &n->last) = it->prev;
    it->prev = it->next = NULL;
    hmap_del(&n->items, it->id);
    n->n_items--;
}

static void append_item(struct ps_node *n, struct ps_item *it)
{
    it->prev = n->last;
    *(n->last ? &n->last->next : &n->first) = it;
    n->last = it;
    hmap_put(&n->items, it->id, it);
    n->n_items++;
    if (it->seq > n->last_seq)
        n->last_seq = it->seq;
}

static void member_free_cb(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    struct ps_member *m = value;
    free(m->jid);
    free(m);
}

static void node_free(struct ps_node *n)
{
    while (n->first) {
        struct ps_item *it = n->first;
        unlink_item(n, it);
        item_free(it);
    }
    hmap_fini(&n->items);
    hmap_each(&n->members, member_free_cb, NULL);
    hmap_fini(&n->members);
    ps_config_fini(&n->cfg);
    free(n->name);
    free(n);
}

void ps_node_notes_drop(struct ps_node *node)
{
    for (struct ps_item *it = node->first; it; it = it->next) {
        stanza_unref(it->note);
        it->note = NULL;
    }
}

int ps_node_save(struct pubsub *ps, struct ps_node *node)
{
    char *config = ps_config_serialize(&node->cfg);
    struct pubsub_node_row r = { node->svc->jid, node->name, config };
    int rc = pubsub_node_put(module_storage(ps->srv), &r);
    free(config);
    return rc;
}

struct ps_node *ps_node_create(struct pubsub *ps, struct ps_service *svc, const char *name,
                               const struct ps_config *cfg, const char *owner)
{
    struct ps_node *n = node_new(svc, name);
    ps_config_fini(&n->cfg);
    ps_config_copy(&n->cfg, cfg);
    if (ps_node_save(ps, n) != PL_OK ||
        (owner && ps_member_set(ps, n, owner, PS_AFF_OWNER, false) != PL_OK)) {
        hmap_del(&svc->nodes, n->name);
        node_free(n);
        return NULL;
    }
    return n;
}

struct ps_node *ps_pep_node(struct pubsub *ps, const char *owner, const char *name,
                            const struct ps_config *cfg)
{
    struct ps_node *node = ps_node_find(ps, owner, name);
    if (node)
        return node;
    struct ps_config defaults;
    ps_config_defaults(&defaults, true);
    node = ps_node_create(ps, ps_service_get(ps, owner, true), name, cfg ? cfg : &defaults, NULL);
    ps_config_fini(&defaults);
    return node;
}

int ps_node_delete(struct pubsub *ps, struct ps_node *node)
{
    int rc = pubsub_node_delete(module_storage(ps->srv), node->svc->jid, node->name);
    hmap_del(&node->svc->nodes, node->name);
    node_free(node);
    return rc;
}

struct ps_item *ps_item_find(struct ps_node *node, const char *id)
{
    return id ? hmap_get(&node->items, id) : NULL;
}

static int store_item(struct pubsub *ps, struct ps_node *node, const struct ps_item *it,
                      const struct buf *xml)
{
    if (!node->cfg.persist_items) /* a row from when it persisted must not come back */
        return pubsub_item_delete(module_storage(ps->srv), node->svc->jid, node->name, it->id);
    struct pubsub_item_row r = { node->svc->jid, node->name, it->id, it->seq, it->publisher,
                                 xml->data ? xml->data : "", xml->len };
    return pubsub_item_put(module_storage(ps->srv), &r);
}

/* Keeps what the payload was written as; a large one of a persistent node is only in the
 * store. */
static void keep_payload(struct pubsub *ps, struct ps_node *node, struct ps_item *it,
                         const struct xel *payload, size_t bytes)
{
    it->bytes = bytes;
    it->cached = !payload || !node->cfg.persist_items || (long)bytes <= ps->opts.cache_item_bytes;
    if (payload && it->cached) {
        struct stanza *st = stanza_new_empty();
        st->root = xel_copy_into(st, NULL, payload);
        it->payload = stanza_compact(st);
        stanza_unref(st);
    }
}

static int trim(struct pubsub *ps, struct ps_node *node)
{
    int rc = PL_OK;
    while (rc == PL_OK && (long)node->n_items > node->cfg.max_items)
        rc = ps_item_retract(ps, node, node->first);
    return rc;
}

int ps_item_publish(struct pubsub *ps, struct ps_node *node, const char *id,
                    const char *publisher, const struct xel *payload)
{
    struct ps_item *old = ps_item_find(node, id);
    if (old) {
        unlink_item(node, old);
        item_free(old);
    }
    struct ps_item *it = xcalloc(1, sizeof(*it));
    it->id = xstrdup(id);
    it->publisher = xstrdup(publisher);
    it->seq = node->last_seq + 1;
    struct buf xml;
    buf_init(&xml);
    if (payload)
        xel_write(payload, NULL, &xml);
    keep_payload(ps, node, it, payload, xml.len);
    int rc = store_item(ps, node, it, &xml);
    buf_fini(&xml);
    append_item(node, it);
    return rc == PL_OK ? trim(ps, node) : rc;
}

int ps_item_retract(struct pubsub *ps, struct ps_node *node, struct ps_item *it)
{
    int rc = pubsub_item_delete(module_storage(ps->srv), node->svc->jid, node->name, it->id);
    unlink_item(node, it);
    item_free(it);
    return rc;
}

int ps_items_purge(struct pubsub *ps, struct ps_node *node)
{
    int rc = pubsub_items_purge(module_storage(ps->srv), node->svc->jid, node->name);
    while (node->first) {
        struct ps_item *it = node->first;
        unlink_item(node, it);
        item_free(it);
    }
    return rc;
}

const struct xel *ps_item_payload(struct pubsub *ps, struct ps_node *node, struct ps_item *it,
                                  struct stanza **owned)
{
    *owned = NULL;
    if (it->cached)
        return it->payload ? it->payload->root : NULL;
    char *xml = NULL;
    if (pubsub_item_get(module_storage(ps->srv), node->svc->jid, node->name, it->id, &xml) !=
        PL_OK)
        return NULL;
    *owned = stanza_parse(xml, strlen(xml));
    free(xml);
    return *owned ? (*owned)->root : NULL;
}

struct ps_member *ps_member_find(const struct ps_node *node, const char *jid)
{
    return jid ? hmap_get(&node->members, jid) : NULL;
}

int ps_member_set(struct pubsub *ps, struct ps_node *node, const char *jid,
                  enum ps_affiliation aff, bool subscribed)
{
    struct ps_member *m = ps_member_find(node, jid);
    if (!m && (aff != PS_AFF_NONE || subscribed)) {
        m = xcalloc(1, sizeof(*m));
        m->jid = xstrdup(jid);
        hmap_put(&node->members, m->jid, m);
    }
    if (m) {
        m->aff = aff;
        m->subscribed = subscribed;
    }
    if (m && aff == PS_AFF_NONE && !subscribed) {
        hmap_del(&node->members, m->jid);
        member_free_cb(NULL, NULL, m);
    }
    struct pubsub_member_row r = { node->svc->jid, node->name, jid, aff, subscribed };
    return pubsub_member_put(module_storage(ps->srv), &r);
}

struct count_ctx {
    const char *owner;
    size_t n;
};

static void count_owned(void *ctx, const char *key, void *value)
{
    (void)key;
    struct count_ctx *c = ctx;
    c->n += !c->owner || ps_affiliation_of(value, c->owner) == PS_AFF_OWNER;
}

size_t ps_service_nodes_of(const struct ps_service *svc, const char *owner)
{
    struct count_ctx c = { owner, 0 };
    hmap_each(&svc->nodes, count_owned, &c);
    return c.n;
}

/* ---- reading back ---- */

static bool is_pep(struct pubsub *ps, const char *service)
{
    return strcmp(service, module_pubsub_domain(ps->srv)) != 0;
}

static void load_node(void *ctx, const struct pubsub_node_row *r)
{
    struct pubsub *ps = ctx;
    struct ps_node *n = node_new(ps_service_get(ps, r->service, is_pep(ps, r->service)), r->node);
    ps_config_parse(&n->cfg, r->config, &ps->opts);
}

static void load_item(void *ctx, const struct pubsub_item_row *r)
{
    struct pubsub *ps = ctx;
    struct ps_node *n = ps_node_find(ps, r->service, r->node);
    if (!n || ps_item_find(n, r->id))
        return;
    struct ps_item *it = xcalloc(1, sizeof(*it));
    it->id = xstrdup(r->id);
    it->publisher = xstrdup(r->publisher ? r->publisher : "");
    it->seq = r->seq;
    struct stanza *payload = r->xml && r->xml_len ? stanza_parse(r->xml, r->xml_len) : NULL;
    it->bytes = r->xml_len;
    it->cached = r->xml != NULL;
    it->payload = payload;
    append_item(n, it);
}

static void load_member(void *ctx, const struct pubsub_member_row *r)
{
    struct pubsub *ps = ctx;
    struct ps_node *n = ps_node_find(ps, r->service, r->node);
    if (!n || ps_member_find(n, r->jid))
        return;
    struct ps_member *m = xcalloc(1, sizeof(*m));
    m->jid = xstrdup(r->jid);
    bool known = r->affiliation >= PS_AFF_NONE && r->affiliation <= PS_AFF_OUTCAST;
    m->aff = known ? (enum ps_affiliation)r->affiliation : PS_AFF_NONE;
    m->subscribed = r->subscription != 0;
    hmap_put(&n->members, m->jid, m);
}

int ps_load(struct pubsub *ps)
{
    struct pubsub_loader l = { ps, (size_t)ps->opts.cache_item_bytes, load_node, load_item,
                               load_member };
    return pubsub_load(module_storage(ps->srv), &l);
}

static void free_node_cb(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    node_free(value);
}

static void free_service_cb(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    struct ps_service *svc = value;
    hmap_each(&svc->nodes, free_node_cb, NULL);
    hmap_fini(&svc->nodes);
    free(svc->jid);
    free(svc);
}

void ps_free_all(struct pubsub *ps)
{
    hmap_each(&ps->services, free_service_cb, NULL);
    hmap_fini(&ps->services);
}

/* ---- a deleted account (the store dropped its rows) ---- */

struct forget_ctx {
    const char *bare;
    size_t n;
    char **gone;
    size_t n_gone;
};

static void collect_members(void *ctx, const char *key, void *value)
{
    (void)value;
    struct forget_ctx *f = ctx;
    if (strncmp(key, f->bare, f->n) == 0 && (key[f->n] == '\0' || key[f->n] == '/')) {
        f->gone = xrealloc(f->gone, (f->n_gone + 1) * sizeof(*f->gone));
        f->gone[f->n_gone++] = (char *)key;
    }
}

static void forget_in_node(void *ctx, const char *key, void *value)
{
    (void)key;
    struct forget_ctx *f = ctx;
    struct ps_node *node = value;
    f->n_gone = 0;
    hmap_each(&node->members, collect_members, f);
    for (size_t i = 0; i < f->n_gone; i++)
        member_free_cb(NULL, NULL, hmap_del(&node->members, f->gone[i]));
}

static void forget_in_service(void *ctx, const char *key, void *value)
{
    (void)key;
    struct ps_service *svc = value;
    hmap_each(&svc->nodes, forget_in_node, ctx);
}

void ps_forget_account(struct pubsub *ps, const char *bare)
{
    struct ps_service *svc = hmap_del(&ps->services, bare);
    if (svc)
        free_service_cb(NULL, NULL, svc);
    /* its affiliations and subscriptions on every other service, the others' PEP too */
    struct forget_ctx f = { bare, strlen(bare), NULL, 0 };
    hmap_each(&ps->services, forget_in_service, &f);
    free(f.gone);
}
