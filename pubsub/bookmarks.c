/* SPDX-License-Identifier: MIT */
/* Bookmarks (XEP-0402) and their older views kept in step (XEP-0411): one item per room in
 * urn:xmpp:bookmarks:1, the whole list in private XML storage (XEP-0048/XEP-0049) and in the
 * storage:bookmarks PEP node when the account has one. A change to any view rewrites the
 * others, so an old client and a new one see and edit the same rooms. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pubsub.h"

#define NS_BOOKMARKS "urn:xmpp:bookmarks:1"
#define NS_LEGACY "storage:bookmarks"
#define LEGACY_FRAGMENT "{storage:bookmarks}storage"

/* A room as XEP-0402 keeps it: <conference xmlns=bookmarks:1 name autojoin><nick/>... from a
 * XEP-0048 <conference jid=...>, under parent. */
static void modern_from_legacy(struct stanza *st, struct xel *parent, const struct xel *old)
{
    struct xel *c = xel_add_child(st, parent, "conference", NS_BOOKMARKS);
    const char *name = xel_attr(old, "name"), *autojoin = xel_attr(old, "autojoin");
    if (name)
        xel_set_attr(st, c, "name", name);
    if (ps_bool(autojoin) == 1)
        xel_set_attr(st, c, "autojoin", "true");
    const struct xel *nick = xel_child(old, "nick", NULL);
    const struct xel *password = xel_child(old, "password", NULL);
    if (nick)
        xel_add_text_child(st, c, "nick", xel_text(nick));
    if (password)
        xel_add_text_child(st, c, "password", xel_text(password));
}

/* The reverse: <conference jid=room ...> in storage:bookmarks from a XEP-0402 item. */
static void legacy_from_modern(struct stanza *st, struct xel *storage, const char *jid,
                               const struct xel *c)
{
    struct xel *old = xel_add_child(st, storage, "conference", NS_LEGACY);
    xel_set_attr(st, old, "jid", jid);
    const char *name = xel_attr(c, "name"), *autojoin = xel_attr(c, "autojoin");
    if (name)
        xel_set_attr(st, old, "name", name);
    xel_set_attr(st, old, "autojoin", ps_bool(autojoin) == 1 ? "true" : "false");
    const struct xel *nick = xel_child(c, "nick", NULL), *pw = xel_child(c, "password", NULL);
    if (nick)
        xel_add_text_child(st, old, "nick", xel_text(nick));
    if (pw)
        xel_add_text_child(st, old, "password", xel_text(pw));
}

/* The XEP-0402 node as <storage xmlns='storage:bookmarks'/> (owned; root the storage). */
static struct stanza *legacy_view(struct pubsub *ps, struct ps_node *node)
{
    struct stanza *st = stanza_new("storage", NS_LEGACY);
    for (struct ps_item *it = node ? node->first : NULL; it; it = it->next) {
        struct stanza *owned;
        const struct xel *c = ps_item_payload(ps, node, it, &owned);
        if (c && c->name && strcmp(c->name, "conference") == 0)
            legacy_from_modern(st, st->root, it->id, c);
        stanza_unref(owned);
    }
    return st;
}

/* The legacy node is written only while it stays private: a client that opened it to its
 * contacts would otherwise publish every room and password the newer view holds. */
static struct ps_node *legacy_node(struct pubsub *ps, const char *owner)
{
    struct ps_node *node = ps_node_find(ps, owner, NS_LEGACY);
    return node && node->cfg.access == PS_WHITELIST ? node : NULL;
}

static void write_legacy(struct pubsub *ps, const char *owner, struct ps_node *modern)
{
    struct stanza *view = legacy_view(ps, modern);
    struct buf b;
    buf_init(&b);
    xel_write(view->root, NULL, &b);
    userdata_put(module_storage(ps->srv), owner, USERDATA_PRIVATE, LEGACY_FRAGMENT, b.data);
    buf_fini(&b);
    struct ps_node *pep = legacy_node(ps, owner);
    if (pep && ps_item_publish(ps, pep, "current", owner, view->root) == PL_OK)
        ps_notify_item(ps, pep, ps_item_find(pep, "current"));
    stanza_unref(view);
}

void ps_bookmarks_defaults(struct pubsub *ps, const char *name, struct ps_config *cfg)
{
    bool modern = strcmp(name, NS_BOOKMARKS) == 0;
    if (!modern && strcmp(name, NS_LEGACY) != 0)
        return;
    cfg->access = PS_WHITELIST; /* rooms and their passwords are the account's alone */
    if (modern) { /* XEP-0402 §4: every room kept, none sent at login */
        cfg->max_items = ps->opts.max_items;
        cfg->send_last = PS_LAST_NEVER;
    }
}

static struct ps_node *modern_node(struct pubsub *ps, const char *owner)
{
    struct ps_config cfg;
    ps_config_defaults(&cfg, true);
    ps_bookmarks_defaults(ps, NS_BOOKMARKS, &cfg);
    struct ps_node *node = ps_pep_node(ps, owner, NS_BOOKMARKS, &cfg);
    ps_config_fini(&cfg);
    return node;
}

static bool same_payload(struct pubsub *ps, struct ps_node *node, struct ps_item *it,
                         const struct xel *want)
{
    struct stanza *owned;
    const struct xel *have = it ? ps_item_payload(ps, node, it, &owned) : NULL;
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    if (have)
        xel_write(have, NULL, &a);
    xel_write(want, NULL, &b);
    bool same = have && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
    buf_fini(&a);
    buf_fini(&b);
    if (it)
        stanza_unref(owned);
    return same;
}

static bool is_room(const struct xel *c)
{
    return c->name && strcmp(c->name, "conference") == 0 && xel_attr(c, "jid");
}

static bool listed(const struct xel *storage, const char *jid)
{
    for (const struct xel *c = storage->first; c; c = c->next)
        if (is_room(c) && strcmp(xel_attr(c, "jid"), jid) == 0)
            return true;
    return false;
}

static void publish_room(struct pubsub *ps, struct ps_node *node, const char *owner,
                         const struct xel *c)
{
    struct stanza *one = stanza_new("room", NULL);
    modern_from_legacy(one, one->root, c);
    const struct xel *m = xel_first_elem(one->root);
    const char *jid = xel_attr(c, "jid");
    if (!same_payload(ps, node, ps_item_find(node, jid), m) &&
        ps_item_publish(ps, node, jid, owner, m) == PL_OK)
        ps_notify_item(ps, node, ps_item_find(node, jid));
    stanza_unref(one);
}

/* The rooms of a XEP-0048 <storage/> become the XEP-0402 node's items: changed ones published,
 * missing ones retracted, each with its notification. */
static void modern_from_storage(struct pubsub *ps, const char *owner, const struct xel *storage)
{
    struct ps_node *node = modern_node(ps, owner);
    for (struct ps_item *it = node ? node->first : NULL, *next; it; it = next) {
        next = it->next;
        if (listed(storage, it->id))
            continue;
        char *id = xstrdup(it->id);
        ps_item_retract(ps, node, it);
        ps_notify_retract(ps, node, id);
        free(id);
    }
    for (const struct xel *c = storage->first; node && c; c = c->next)
        if (is_room(c))
            publish_room(ps, node, owner, c);
}

void ps_bookmarks_changed(struct pubsub *ps, const char *owner, const char *name)
{
    struct ps_node *node = ps_node_find(ps, owner, name);
    if (strcmp(name, NS_BOOKMARKS) == 0) {
        write_legacy(ps, owner, node);
    } else if (strcmp(name, NS_LEGACY) == 0 && node && node->last) {
        struct stanza *owned;
        const struct xel *storage = ps_item_payload(ps, node, node->last, &owned);
        if (storage && strcmp(storage->name, "storage") == 0) {
            modern_from_storage(ps, owner, storage);
            write_legacy(ps, owner, ps_node_find(ps, owner, NS_BOOKMARKS));
        }
        stanza_unref(owned);
    }
}

void ps_bookmarks_stored(struct pubsub *ps, const char *owner, const struct xel *storage)
{
    modern_from_storage(ps, owner, storage);
    struct ps_node *pep = legacy_node(ps, owner);
    if (pep && ps_item_publish(ps, pep, "current", owner, storage) == PL_OK)
        ps_notify_item(ps, pep, ps_item_find(pep, "current"));
}
