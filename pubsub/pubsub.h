/* SPDX-License-Identifier: MIT */
/* Private to pubsub/: one publish-subscribe engine (XEP-0060) with two faces, every account's
 * PEP service (XEP-0163) at its bare JID and the generic service at pubsub_domain. */
#ifndef PL_PUBSUB_H
#define PL_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "hmap.h"
#include "module.h"
#include "router.h"
#include "storage.h"

#define NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"
#define NS_PUBSUB_OWNER "http://jabber.org/protocol/pubsub#owner"
#define NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define NS_PUBSUB_CONFIG "http://jabber.org/protocol/pubsub#node_config"
#define NS_PUBSUB_OPTIONS "http://jabber.org/protocol/pubsub#publish-options"
#define NS_PUBSUB_META "http://jabber.org/protocol/pubsub#meta-data"

/* Stored values (storage keeps them as numbers): never renumber. */
enum ps_access { PS_OPEN, PS_PRESENCE, PS_ROSTER, PS_WHITELIST };
enum ps_affiliation { PS_AFF_NONE, PS_AFF_OWNER, PS_AFF_PUBLISHER, PS_AFF_MEMBER, PS_AFF_OUTCAST };
enum ps_publish_model { PS_PUB_PUBLISHERS, PS_PUB_SUBSCRIBERS, PS_PUB_OPEN };
enum ps_send_last { PS_LAST_NEVER, PS_LAST_ON_SUB, PS_LAST_ON_SUB_AND_PRESENCE };

/* A node's configuration (the pubsub#node_config form's fields). */
struct ps_config {
    char *title; /* NULL: none */
    bool persist_items, notify_retract, notify_delete, deliver_payloads, deliver_notifications;
    long max_items;
    enum ps_access access;
    enum ps_publish_model publish_model;
    enum ps_send_last send_last;
    char **groups; /* roster_groups_allowed: n_groups owned names */
    size_t n_groups;
};

/* An item, in a node's publish order. Its payload stays in storage when it is larger than
 * [pubsub] cache_item_bytes (payload NULL, cached false). */
struct ps_item {
    char *id; /* the node's map key */
    long long seq;
    char *publisher;
    struct stanza *payload; /* root: the payload element; NULL when none or not cached */
    bool cached;
    size_t bytes;                   /* the payload as stored */
    struct stanza *note;            /* its notification message without 'to', built lazily */
    struct ps_item *prev, *next;    /* oldest first */
};

/* A member: an affiliation and (on the generic service) a subscription. */
struct ps_member {
    char *jid; /* the node's map key: a bare JID, or a full one for a subscription */
    enum ps_affiliation aff;
    bool subscribed;
};

struct ps_service;
struct ps_node {
    char *name; /* the service's map key */
    struct ps_service *svc;
    struct ps_config cfg;
    struct hmap items; /* id -> struct ps_item */
    struct ps_item *first, *last;
    size_t n_items;
    long long last_seq;
    struct hmap members; /* jid -> struct ps_member */
};

/* A PEP service (jid a local account's bare JID) or the generic service (the domain). */
struct ps_service {
    char *jid; /* the module's map key */
    bool pep;
    struct hmap nodes; /* name -> struct ps_node */
};

/* The [pubsub] options (documented in conf/parley.conf). */
struct ps_opts {
    long max_item_bytes;
    long max_items;       /* the bound of a node's max_items ("max") */
    long max_nodes;       /* nodes per PEP account, and per creator on the service */
    long cache_item_bytes;
    long fanout_per_turn;
    long caps_cache_entries;
    char *node_creators; /* bare JIDs that may create nodes on the service; "": every account */
};

struct caps_cache;
struct ps_job;

/* The module's state. */
struct pubsub {
    struct server *srv;
    struct ps_opts opts;
    int slot;
    struct hmap services; /* jid -> struct ps_service */
    struct caps_cache *caps;
    struct ps_job *jobs, *jobs_tail; /* fan-out and last-item work, a slice per loop turn */
    bool tick_armed;
    size_t queued_bytes; /* the jobs' JID lists (notify.c) */
    struct fanout fan;
    struct stanza *fan_st; /* what fan holds (a reference), NULL: nothing yet */
    unsigned long next_id;
};

/* Per-session state in the module's slot. */
struct ps_sess {
    struct caps_entry *caps; /* what its capabilities say it wants; NULL: nothing */
    char *waiting_ver;             /* the capabilities being verified for it */
};

extern const struct module pubsub_module;

/* ---- config.c: node configuration ---- */

void ps_config_defaults(struct ps_config *c, bool pep);
void ps_config_fini(struct ps_config *c);
void ps_config_copy(struct ps_config *dst, const struct ps_config *src);
/* Applies a submitted node_config or publish-options form's fields to c: ROUTE_DONE, or
 * ROUTE_ERROR(not-acceptable) for a value out of range (nothing changed then). */
int ps_config_apply(struct ps_config *c, const struct xel *form, const struct ps_opts *o);
/* Does c already have every value the publish-options form asks for? */
bool ps_config_matches(const struct ps_config *c, const struct xel *form,
                       const struct ps_opts *o);
/* Writes c as a node_config form of type (form or result) under parent. */
void ps_config_form(struct stanza *st, struct xel *parent, const struct ps_config *c,
                    const char *type);
/* c as one line per field for storage (owned), and back. */
char *ps_config_serialize(const struct ps_config *c);
void ps_config_parse(struct ps_config *c, const char *text, const struct ps_opts *o);
const char *ps_access_name(enum ps_access a);
/* An XEP-0004 boolean (1/true, 0/false): 1, 0, or -1 for anything else. */
int ps_bool(const char *v);

/* ---- nodes.c: services, nodes and items in memory, kept in step with storage ---- */

struct ps_service *ps_service_find(struct pubsub *ps, const char *jid);
struct ps_service *ps_service_get(struct pubsub *ps, const char *jid, bool pep);
struct ps_node *ps_node_find(struct pubsub *ps, const char *service, const char *node);
/* Creates node with cfg (copied), owned by owner: stored, in memory. */
struct ps_node *ps_node_create(struct pubsub *ps, struct ps_service *svc, const char *name,
                               const struct ps_config *cfg, const char *owner);
/* owner's PEP node name, created by the server itself when absent (with cfg, NULL: the
 * defaults; no bound on nodes applies); NULL when it cannot be stored. */
struct ps_node *ps_pep_node(struct pubsub *ps, const char *owner, const char *name,
                            const struct ps_config *cfg);
/* Forgets the notifications built for node's items (its configuration changed). */
void ps_node_notes_drop(struct ps_node *node);
/* Stores node's configuration after a change. */
int ps_node_save(struct pubsub *ps, struct ps_node *node);
int ps_node_delete(struct pubsub *ps, struct ps_node *node);
struct ps_item *ps_item_find(struct ps_node *node, const char *id);
/* Adds or replaces item id with payload (an element of any stanza, NULL: none), as the
 * newest, and drops the oldest past max_items. */
int ps_item_publish(struct pubsub *ps, struct ps_node *node, const char *id,
                    const char *publisher, const struct xel *payload);
int ps_item_retract(struct pubsub *ps, struct ps_node *node, struct ps_item *it);
int ps_items_purge(struct pubsub *ps, struct ps_node *node);
/* The item's payload (borrowed from the item, or read from storage into *owned). NULL when
 * it has none or it cannot be read. */
const struct xel *ps_item_payload(struct pubsub *ps, struct ps_node *node, struct ps_item *it,
                                  struct stanza **owned);
struct ps_member *ps_member_find(const struct ps_node *node, const char *jid);
int ps_member_set(struct pubsub *ps, struct ps_node *node, const char *jid,
                  enum ps_affiliation aff, bool subscribed);
size_t ps_service_nodes_of(const struct ps_service *svc, const char *owner);
/* Forgets bare's PEP service and its memberships on every service (the store dropped them
 * with the account). */
void ps_forget_account(struct pubsub *ps, const char *bare);
/* Reads every service back from storage. */
int ps_load(struct pubsub *ps);
void ps_free_all(struct pubsub *ps);

/* ---- access.c: who may do what ---- */

enum ps_affiliation ps_affiliation_of(const struct ps_node *node, const char *bare);
/* An affiliation's name in XEP-0060, and back (-1: none such). */
const char *ps_affiliation_name(enum ps_affiliation a);
int ps_affiliation_parse(const char *name);
/* May bare (a local account or any JID) see node's items and notifications? subscriber says
 * that bare is known to be subscribed to the PEP owner's presence (no roster to ask then,
 * unless the roster model needs its groups). */
bool ps_may_see(struct pubsub *ps, const struct ps_node *node, const char *bare,
                bool subscriber);
/* The error for one who may not see node (XEP-0060 §6.5.9). */
int ps_refuse_access(struct route_ctx *rc, const struct stanza *st, const struct ps_node *node,
                     const char *bare);
bool ps_may_publish(const struct ps_node *node, const char *bare);
/* A request's error already sent (ps_error): its handler is done. Handlers return it, ROUTE_DONE
 * or ROUTE_ERROR; the route's entry turns it into ROUTE_DONE. */
#define PS_ANSWERED 2
/* Sends the error reply to st with a pubsub#errors condition app (NULL: none); PS_ANSWERED. */
int ps_error(struct route_ctx *rc, const struct stanza *st, enum stanza_cond cond,
             const char *app);

/* ---- notify.c: notifications, a slice of recipients per loop turn ---- */

/* Events to everyone entitled: an item published, an item retracted, the node's "delete" or
 * "purge". */
void ps_notify_item(struct pubsub *ps, struct ps_node *node, struct ps_item *it);
void ps_notify_retract(struct pubsub *ps, struct ps_node *node, const char *id);
void ps_notify_node(struct pubsub *ps, struct ps_node *node, const char *what);
/* Appends <item id=...> (with its payload when payload) under parent, in parent's namespace. */
void ps_write_item(struct pubsub *ps, struct stanza *r, struct xel *parent, struct ps_node *node,
                   struct ps_item *it, bool payload);
/* The last item of node to the session (a notification, as on initial presence). */
void ps_send_last(struct pubsub *ps, struct ps_node *node, struct session *sess);
/* Sends the last items sess's interests name, from its own account and every contact it is
 * subscribed to (only interests not in old, NULL: all). */
void ps_send_last_items(struct pubsub *ps, struct session *sess, const struct caps_entry *old);
void ps_jobs_fini(struct pubsub *ps);
/* Is the queue of notifications to send full? A publish waits for it to drain. */
bool ps_jobs_full(const struct pubsub *ps);
/* ps_jobs_fini, and the fan's last stanza let go (module shutdown). */
void ps_jobs_release(struct pubsub *ps);
/* Does sess's capabilities ask for node's notifications (XEP-0163 node+notify)? */
bool ps_wants(const struct session *sess, int slot, const char *node);

/* ---- caps_cache.c: contacts' entity capabilities (XEP-0115), bounded ---- */

struct caps_cache *caps_cache_new(size_t max_entries);
void caps_cache_free(struct caps_cache *c);
/* The nodes an entry wants notifications of (node+notify): whether it names node, how many,
 * the i-th. */
bool caps_entry_wants(const struct caps_entry *e, const char *node);
size_t caps_entry_count(const struct caps_entry *e);
const char *caps_entry_node(const struct caps_entry *e, size_t i);
/* The session's presence changed: finds its capabilities (asking it with disco#info on a miss)
 * and sends the last items of any new interest. */
void ps_caps_presence(struct pubsub *ps, struct session *sess);
/* A disco#info result or error to the server: ROUTE_DONE when it answered one of our
 * queries, ROUTE_PASS otherwise. */
int ps_caps_answer(struct route_ctx *rc, struct stanza *st);
void ps_caps_release(struct pubsub *ps, struct ps_sess *s);

/* ---- the request handlers ---- */

/* The service a request goes to (the account's, or the domain's), NULL for the server. */
const char *ps_service_of(const struct route_ctx *rc);
/* Commits the request's changes (stored: what writing them gave) before its answer:
 * ROUTE_DONE, or internal-server-error with the batch rolled back (nothing of the request
 * stays in the store). */
int ps_commit(struct route_ctx *rc, int stored);
/* The sender's bare JID. */
const char *ps_sender(const struct route_ctx *rc);
int ps_handle_pubsub(struct route_ctx *rc, struct stanza *st);     /* publish.c */
int ps_handle_items(struct route_ctx *rc, struct stanza *st, const struct xel *req);
int ps_handle_owner(struct route_ctx *rc, struct stanza *st);      /* owner.c */
int ps_handle_subscribe(struct route_ctx *rc, struct stanza *st, const struct xel *req);
int ps_handle_disco(struct route_ctx *rc, struct stanza *st);      /* disco.c */
int ps_service_route(struct route_ctx *rc, struct stanza *st);

/* ---- bookmarks.c and avatar.c: the views kept in step ---- */

/* Node name of owner's PEP service changed (or was deleted): the views derived from it follow
 * (avatar.c). */
void ps_views_node_changed(struct pubsub *ps, const char *owner, const char *name);
/* bookmarks.c: XEP-0402 or the legacy PEP node changed; XEP-0048 storage was stored. */
void ps_bookmarks_changed(struct pubsub *ps, const char *owner, const char *name);
void ps_bookmarks_stored(struct pubsub *ps, const char *owner, const struct xel *storage);
/* The defaults of a new node name of a PEP service where it is a bookmarks node (private,
 * and for XEP-0402 every room kept); other names are left as they are. */
void ps_bookmarks_defaults(struct pubsub *ps, const char *name, struct ps_config *cfg);
/* owner stored a vCard or private XML fragment (el): the PEP nodes derived from it follow. */
void ps_views_userdata(struct pubsub *ps, const char *owner, enum userdata_kind kind,
                       const char *name, const struct xel *el);
/* XEP-0398: the avatar hash in sess's outgoing presence. */
void ps_avatar_presence(struct pubsub *ps, struct session *sess, struct stanza *st);

#endif
