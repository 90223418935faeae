/* SPDX-License-Identifier: MIT */
/* Private to roster/: the in-memory rosters, the module state and what its files share. */
#ifndef PL_ROSTER_INT_H
#define PL_ROSTER_INT_H

#include <stdbool.h>

#include "buf.h"
#include "hmap.h"
#include "module.h"
#include "roster.h"
#include "storage.h"
#include "subscription.h"

/* One contact in an owner's roster; owned by its struct roster. */
struct roster_item {
    char *jid;      /* the contact's bare JID, the map key */
    char *name;     /* NULL: none */
    char **groups;  /* n_groups owned names */
    size_t n_groups;
    unsigned state; /* enum sub_bits */
    bool in_roster; /* false: only a pending inbound request, hidden from the owner */
    char *status;   /* the pending inbound request's <status/>, NULL for none */
    size_t bytes;   /* what it counts toward the roster's bound (roster_item_bytes) */
};

/* An account's roster, loaded while one of its resources is bound. */
struct roster {
    char *owner;
    struct hmap items; /* contact bare JID -> struct roster_item */
    long long ver;     /* XEP-0237 version: bumped by every stored change */
    unsigned holders;  /* sessions keeping it loaded, from open to the end of their close */
    size_t bytes;      /* sum of the items' bytes, for the max_bytes bound */
};

/* The [roster] options: bounds on one account's roster (documented in conf/parley.conf). */
struct roster_opts {
    long max_bytes;       /* the items as serialized, pending requests' texts included */
    long max_items;
    long max_groups;      /* per item */
    long max_group_bytes;
    long max_name_bytes;
};

/* A presence serialized once, without 'to' (each send splices one in), and what privacy policy
 * is asked with for every recipient. */
struct pres_out {
    struct buf bytes;
    size_t head;                  /* where 'to' goes: just after the element name */
    const struct stanza *st;      /* what bytes hold (borrowed, or own), for privacy checks */
    struct stanza *own;           /* a job's own copy of st; NULL when borrowed */
    const struct session *sender; /* the session it comes from; NULL: the account */
    struct jid *from;             /* st's parsed 'from' (owned) */
};

/* Per-contact work of a presence change that can reach a whole roster, done a slice of contacts
 * per loop turn (presence.c). Owned by the session's struct roster_sess. */
struct pres_job {
    struct pres_out out; /* a broadcast's presence (unused by the login job) */
    char **keys;         /* contacts' bare JIDs, owned copies: roster changes meanwhile are safe */
    size_t n, pos;       /* keys[pos..n) are still to do */
};

/* Per-session state in the module's session slot. */
struct roster_sess {
    bool interested;       /* asked for the roster: gets pushes (RFC 6121 §2.1.6) */
    struct hmap directed;  /* JIDs sent directed presence: each value an owned copy of its key */
    char *gone_status;     /* <status/> of an explicit unavailable, for last activity */
    struct pres_job *bcast; /* the session's latest presence, still going to subscribers */
    struct pres_job *login; /* initial presence: probe answers and pending requests to come */
    bool queued;            /* its full JID is on roster_mod.pending */
    bool holds;             /* counted in its roster's holders: only when open found one */
};

/* The roster module's state. */
struct roster_mod {
    struct server *srv;
    struct roster_opts opts;
    int slot;
    struct hmap rosters;  /* owner bare JID -> struct roster, for accounts online */
    struct roster *loose; /* the last roster read for an offline owner (roster_peek) */
    struct pres_out out;  /* the presence being sent within this call */
    struct buf head;      /* the element name and 'to' for one recipient */
    char **pending;       /* full JIDs of sessions with presence jobs (owned), in order */
    size_t n_pending;
    bool tick_armed;      /* presence_tick is queued for the next loop turn */
    unsigned long push_id; /* ids of roster pushes */
    /* A roster set in progress (roster_tx_begin/_end): what it sends waits for its commit. */
    bool holding;
    struct buf held;                /* the held bytes, in order */
    struct held_out *held_to;       /* who gets which part of held */
    size_t n_held;
    int store_err;                  /* the first storage error since roster_tx_begin */
};

/* A part of roster_mod.held: bytes [off, off + len) for sess. */
struct held_out {
    struct session *sess;
    struct stanza *st; /* a reference to the stanza the bytes are */
    size_t off, len;
};

extern const struct module roster_module;

/* ---- items.c: rosters in memory, kept in step with storage ---- */

/* The roster of an online owner, loaded on first use; NULL for unknown accounts. */
struct roster *roster_acquire(struct roster_mod *m, const char *owner);
/* Forgets owner's roster (its last resource has gone). */
void roster_release(struct roster_mod *m, const char *owner);
/* Forgets every roster (module shutdown). */
void roster_release_all(struct roster_mod *m);
/* Owner's roster, loaded or read for the moment (valid until the next roster_peek). NULL
 * when owner is not a local account. */
struct roster *roster_peek(struct roster_mod *m, const char *owner);
struct roster_item *roster_item_find(struct roster *r, const char *contact);
/* Returns contact's item, created empty (state none, hidden) when absent. */
struct roster_item *roster_item_get(struct roster *r, const char *contact);
/* Stores the item (bumping the version); a hidden item with no state is removed instead. */
int roster_item_save(struct roster_mod *m, struct roster *r, struct roster_item *it);
/* Removes and frees the item (bumping the version). */
int roster_item_drop(struct roster_mod *m, struct roster *r, struct roster_item *it);
/* Replaces the copy of owner's roster in memory by what storage holds (after a rollback). */
void roster_reload(struct roster_mod *m, const char *owner);
/* Replaces name and groups (copied). */
void roster_item_set_info(struct roster_item *it, const char *name, const char *const *groups,
                          size_t n_groups);
/* Appends <item/> for it under query (subscription "remove" when removed). */
void roster_item_write(struct stanza *st, struct xel *query, const struct roster_item *it,
                       bool removed);

/* What it counts toward max_bytes: the <item/> as a roster result serializes it, plus the text
 * of a pending request (kept, though not shown). */
size_t roster_item_bytes(const struct roster_item *it);
/* May contact's item, absent from r, be created with state (enum sub_bits), visibility and
 * status? Existing items may always change. */
bool roster_item_room(const struct roster_mod *m, const struct roster *r, const char *contact,
                      unsigned state, bool in_roster, const char *status);

/* ---- limits.c: the bounds of a roster set (pure) ---- */

/* RFC 6121 §2.3.3 checks of a roster set's name and groups: ROUTE_DONE, not-acceptable for an
 * empty or over-long name or group or too many groups, bad-request for a duplicate group. */
int roster_limits_item(const struct roster_opts *o, const char *name, const char *const *groups,
                       size_t n_groups);
/* May a roster of n_items items and bytes bytes take an item of new_bytes, replacing one of
 * old_bytes (is_new: it adds an item)? ROUTE_DONE or resource-constraint. A roster already
 * past a bound (stored before it was set) may still shrink and change without growing. */
int roster_limits_size(const struct roster_opts *o, size_t n_items, size_t bytes, size_t old_bytes,
                       size_t new_bytes, bool is_new);

/* ---- get.c: roster results ---- */

/* Answers a roster get with every visible item of r: at once when small, else in slices at
 * the reader's pace. ROUTE_DONE or an error condition. */
int roster_result_send(struct roster_mod *m, struct route_ctx *rc, const struct stanza *get,
                       struct roster *r, const char *ver);

/* ---- roster.c: pushes and output held for a commit ---- */

/* Sends bytes to one session, or holds them until the roster set in progress commits. */
void roster_send(struct roster_mod *m, struct session *sess, const struct stanza *st,
                 const void *bytes, size_t n);

/* Sends a roster push of it to owner's interested resources (RFC 6121 §2.1.6). */
void roster_push(struct roster_mod *m, struct roster *r, const struct roster_item *it,
                 bool removed);
/* The session's roster state (NULL before session_open). */
struct roster_sess *roster_sess_get(struct roster_mod *m, struct session *sess);

/* ---- presence.c ---- */

/* Bytes of a subscription request's <status/> kept with it until it is answered. */
#define STATUS_MAX 1024

/* ---- presence.c helpers shared with subscribe.c ---- */

/* Serializes st (no 'to') into o once; sender: its session, NULL when the server speaks for
 * the account (privacy is asked per recipient either way). */
void pres_out_set(struct pres_out *o, const struct stanza *st, const struct session *sender);
/* Sends o to bare's available resources, but except. */
void pres_out_send_account(struct roster_mod *m, const struct pres_out *o, const char *bare,
                           const struct session *except);
/* A presence of type (NULL: available) from from, with an optional <status/>; owned. */
struct stanza *pres_stanza_new(const char *type, const char *from, const char *status);
/* The <status/> of st cut at a character boundary into buf (n bytes), or NULL. */
const char *pres_status_of(const struct stanza *st, char *buf, size_t n);

/* Handles a subscription stanza of type ev (an outbound event) from owner to contact
 * (bare JIDs): both rosters, delivery to the contact, automatic answers. status may be NULL. */
void presence_sub_send(struct roster_mod *m, const char *owner, const char *contact,
                       enum sub_event ev, const char *status);
/* Presence routes and hooks, used by the roster module's tables. */
int presence_route(struct route_ctx *rc, struct stanza *st);
int presence_sub_route(struct route_ctx *rc, struct stanza *st);
int presence_probe_route(struct route_ctx *rc, struct stanza *st);
void presence_session_gone(struct roster_mod *m, struct session *sess);
/* The module's presence state: set up at init, freed at fini (jobs still pending included). */
void presence_init(struct roster_mod *m);
void presence_fini(struct roster_mod *m);
/* Frees the session's presence jobs (session close). */
void presence_sess_fini(struct roster_sess *rs);
/* Forgets the JIDs the session sent directed presence to (their strings are freed). */
void presence_directed_clear(struct roster_sess *rs);

#endif
