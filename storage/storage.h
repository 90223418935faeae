/* SPDX-License-Identifier: MIT */
/* Typed, domain-level storage interface; backends are tables of function pointers. */
#ifndef PL_STORAGE_H
#define PL_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "scram.h"

struct storage;

/* One privacy list item as stored (strings borrowed for the call). type, action and kinds
 * are privacy/rules.h values, opaque to storage. */
struct privacy_row {
    const char *list;
    unsigned order;
    int type;
    const char *value; /* NULL for fall-through items */
    bool allow;
    unsigned kinds;
};

/* One roster item as stored (all strings borrowed for the call). */
struct roster_row {
    const char *contact; /* the contact's bare JID */
    const char *name;    /* NULL: none */
    const char *groups;  /* group names joined by '\n'; "" for none */
    unsigned state;      /* subscription bits (roster/subscription.h), opaque to storage */
    bool in_roster;      /* false: only a pending inbound request, not shown to the owner */
    const char *status;  /* the pending inbound request's <status/>, NULL for none */
};


/* ---- message archive (XEP-0313) ------------------------------------------------------------ */

/* Archive preference defaults (XEP-0313 <prefs default=''/>). */
enum archive_mode { ARCHIVE_ALWAYS, ARCHIVE_NEVER, ARCHIVE_ROSTER };

/* One archived message as written: a single row that the sender's and the recipient's
 * archives share (strings borrowed for the call). Its stanza-id, the same in both archives,
 * is archive_sid_format(key, tag). */
struct archive_msg {
    long long key;          /* from archive_new_key: unique, and the archiving time in us */
    unsigned long long tag; /* ARCHIVE_TAG_BITS random bits that keep the stanza-id unguessable */
    const char *sender, *rcpt;         /* bare JIDs */
    const char *sender_res, *rcpt_res; /* their resources, NULL for none */
    bool sender_keeps, rcpt_keeps;     /* whose archives hold it (at least one) */
    const char *msg_id;    /* the stanza's id attribute, NULL for none */
    const char *origin_id; /* XEP-0359 origin-id, NULL for none */
    const char *body;      /* searchable text, NULL for none */
    const char *xml;       /* the serialized message */
};

/* Stanza-ids of archived messages: the key in 14 hex digits, then the tag in 8 URL-safe
 * base64 characters, so ids sort in archive order. parse fails (false) on anything else. */
#define ARCHIVE_TAG_BITS 48
#define ARCHIVE_SID_LEN 22
void archive_sid_format(long long key, unsigned long long tag, char out[ARCHIVE_SID_LEN + 1]);
bool archive_sid_parse(const char *sid, long long *key, unsigned long long *tag);

/* What an archive query selects in owner's archive; strings borrowed for the submit call
 * (the backend copies what it keeps). Bounds on ids exclude the id itself; an id that is not
 * in the archive fails the query with PL_ENOTFOUND. */
struct archive_filter {
    const char *owner;
    const char *with;     /* peer bare JID, NULL: any */
    const char *with_res; /* with a full JID: its resource, NULL: any */
    long long start_us;   /* 0: no lower time bound (inclusive) */
    long long end_us;     /* 0: no upper time bound (inclusive) */
    const char *after[2]; /* up to two lower id bounds (after-id, RSM after), NULL: unused */
    const char *before[2]; /* up to two upper id bounds (before-id, RSM before) */
    const char *const *ids; /* n_ids: only these stanza ids (unknown ones are skipped) */
    size_t n_ids;
    const char *fulltext; /* words that must all occur in the body, NULL: no search */
    unsigned max;         /* page size (the caller applies its cap) */
    bool from_end;        /* the page closest to the end (RSM <before/>), else to the start */
};

/* One archived message as read (owned by the page it is in). */
struct archive_item {
    char *stanza_id;
    long long ts_us;
    bool sent;
    char *peer;
    char *xml;
};

/* A query's answer, borrowed by the done callback for the call. rc is PL_OK, PL_ENOTFOUND
 * (an id bound is not in the archive), PL_EINVAL (a bad search) or PL_EIO. items are in
 * archive order; complete says the page reaches the end (forward) or start (from_end) of
 * the selection; count is the size of the whole selection, or -1 when not cheap to know. */
struct archive_page {
    int rc;
    struct archive_item *items;
    size_t n;
    bool complete;
    long long count;
};

/* The first and last message of an archive (XEP-0313 metadata); ids NULL when empty. */
struct archive_meta {
    int rc;
    char *first_id, *last_id;
    long long first_us, last_us;
};

/* Called for each address in an archive preference list. */
typedef void (*archive_pref_fn)(void *ctx, const char *jid, bool always);

/* One offline message as stored (strings borrowed for the call). */
struct offline_row {
    long long id;          /* arrival order, given by the store (ignored by offline_put) */
    long long stamp;       /* when it was stored, seconds since the epoch */
    const char *stanza_id; /* the message's identity for owner, NULL when it has none */
    const char *xml;       /* the serialized stanza */
    size_t xml_len;
};

/* ---- group chat rooms (XEP-0045) ----------------------------------------------------------- */

/* A room's messages are archived with archive_append as notes to self of the room's JID
 * (sender and rcpt both the room, kept by it), so the room's archive is the archive whose
 * owner is the room's JID: archive_query, archive_meta and archive_replace read and change it
 * like any other owner's. */

/* A stored room (strings borrowed for the call). config is the room's configuration as muc/
 * encodes it, opaque to storage. */
struct room_row {
    const char *jid;        /* room@service, prepared */
    const char *name;       /* "" for none */
    bool listed;            /* public: listed in disco#items */
    const char *config;     /* opaque text */
    const char *subject;    /* NULL: none */
    const char *subject_by; /* the nick that set it, NULL: none */
    long long created;      /* seconds since the epoch */
};

/* Affiliations (XEP-0045 §5.2) as stored; none is never stored. */
enum room_affiliation {
    ROOM_AFF_NONE = 0,
    ROOM_AFF_OUTCAST = 1,
    ROOM_AFF_MEMBER = 2,
    ROOM_AFF_ADMIN = 3,
    ROOM_AFF_OWNER = 4,
};

/* One affiliation as stored (strings borrowed for the call). */
struct room_aff_row {
    const char *jid; /* a bare JID (or a domain) */
    int affiliation; /* enum room_affiliation, never ROOM_AFF_NONE */
    const char *nick;   /* reserved nick, NULL: none */
    const char *reason; /* NULL: none */
};

/* ---- publish-subscribe (XEP-0060, XEP-0163) ------------------------------------------------ */

/* A pubsub service's node, item and member rows. service is a local account's bare JID (its
 * PEP service) or the pubsub domain; strings are borrowed for the call. config, affiliation
 * and subscription are pubsub/ values, opaque to storage. */
struct pubsub_node_row {
    const char *service, *node;
    const char *config; /* the node's configuration, serialized by pubsub/ */
};
struct pubsub_item_row {
    const char *service, *node, *id;
    long long seq;          /* publish order within the node (given by pubsub/) */
    const char *publisher;  /* the publisher's bare JID */
    const char *xml;        /* the item's payload, serialized by pubsub/ ("" for none); NULL
                             * on load when longer than max_xml */
    size_t xml_len;
};
struct pubsub_member_row {
    const char *service, *node, *jid;
    int affiliation;  /* 0 and subscription 0: no row */
    int subscription;
};
/* What pubsub_load calls, row by row: every node first, then every item (of each node in seq
 * order), then every member. Items longer than max_xml bytes come without their xml. */
struct pubsub_loader {
    void *ctx;
    size_t max_xml;
    void (*node)(void *ctx, const struct pubsub_node_row *r);
    void (*item)(void *ctx, const struct pubsub_item_row *r);
    void (*member)(void *ctx, const struct pubsub_member_row *r);
};

/* A backend. Every function returns PL_OK or a negative enum pl_err. Account keys are
 * prepared bare JIDs ("user@domain"). */
/* What kind of account data a userdata fragment is (stored values: never renumber). */
enum userdata_kind { USERDATA_VCARD = 1, USERDATA_PRIVATE = 2 };

struct storage_ops {
    const char *name;
    /* Opens (creating and migrating) the store at path. */
    int (*open)(struct storage *st, const char *path);
    void (*close)(struct storage *st);
    /* PL_EEXIST when the account exists. */
    int (*account_create)(struct storage *st, const char *bare, const struct scram_creds *c);
    /* PL_ENOTFOUND when the account does not exist. */
    int (*account_set_creds)(struct storage *st, const char *bare, const struct scram_creds *c);
    int (*account_delete)(struct storage *st, const char *bare);
    /* PL_ENOTFOUND when the account does not exist. */
    int (*creds_get)(struct storage *st, const char *bare, struct scram_creds *out);
    /* Calls fn for each account in JID order. */
    int (*account_list)(struct storage *st, void (*fn)(void *ctx, const char *bare), void *ctx);
    /* Sets *any to whether at least one account exists (one row read, whatever the count). */
    int (*accounts_exist)(struct storage *st, bool *any);
    /* Commits writes batched during this loop turn. */
    int (*flush)(struct storage *st);
    /* Milliseconds a flush due now had better wait (0: none): a commit while the store is
     * finishing a checkpoint would keep its log from being reused. The store gives a bounded
     * wait, so flushes are late by a short while at most. Optional (NULL: never). */
    int (*flush_delay_ms)(struct storage *st);
    /* Gives back the memory of cached pages that nothing is using (after a burst of reads,
     * e.g. a large roster that is gone again). Optional (NULL: nothing to give). */
    void (*release_memory)(struct storage *st);
    /* Drops writes batched during this loop turn (a request that failed half-way). */
    int (*rollback)(struct storage *st);
    /* Roster of owner: calls fn for each item and sets *ver to the roster version (0 when
     * none). Writes join the loop turn's batch and set the roster version to ver. */
    int (*roster_load)(struct storage *st, const char *owner, long long *ver,
                       void (*fn)(void *ctx, const struct roster_row *row), void *ctx);
    int (*roster_put)(struct storage *st, const char *owner, const struct roster_row *row,
                      long long ver);
    int (*roster_remove)(struct storage *st, const char *owner, const char *contact,
                         long long ver);
    /* Last logout of an account (XEP-0012): PL_ENOTFOUND when never seen offline; *status is
     * owned by the caller (NULL when none). last_set joins the batch. */
    int (*last_get)(struct storage *st, const char *bare, long long *when, char **status);
    int (*last_set)(struct storage *st, const char *bare, long long when, const char *status);
    /* Privacy lists (XEP-0016) of owner: calls fn for every item of every list, by list name
     * then order, and sets *default_name (owned by the caller, NULL when none). */
    int (*privacy_load)(struct storage *st, const char *owner, char **default_name,
                        void (*fn)(void *ctx, const struct privacy_row *row), void *ctx);
    /* Replaces list `name` by rows (n == 0 removes it); joins the loop turn's batch. */
    int (*privacy_list_set)(struct storage *st, const char *owner, const char *name,
                            const struct privacy_row *rows, size_t n);
    /* Sets the default list name (NULL: none); joins the batch. */
    int (*privacy_default_set)(struct storage *st, const char *owner, const char *name);
    /*
     * Message archive. Writes (archive_new_key, archive_append, archive_amend, archive_prefs_set,
     * archive_purge, archive_index) are synchronous and join the loop turn's batch. archive_prefs_get and
     * archive_pref_check are synchronous reads (key lookups). archive_query and archive_meta
     * are ASYNCHRONOUS: they return at once (PL_OK: queued) and the backend runs them on its
     * own reader thread(s) and connection(s); done is called later on the caller's thread,
     * from storage_run_completions, with a result borrowed for the call. The backend calls the
     * wake function (set_wake) from any thread when completions are ready; the caller then
     * runs storage_run_completions on its own thread. Queries still pending at close are
     * dropped without calling done. Reads see what was committed (flushed) before them.
     */
    void (*set_wake)(struct storage *st, void (*wake)(void *ctx), void *ctx);
    void (*run_completions)(struct storage *st);
    /* A fresh archive key: now_us, or just after the newest key given when that is not
     * earlier (keys grow strictly, so archive order is time order). */
    int (*archive_new_key)(struct storage *st, long long now_us, long long *key);
    /* Queues m (copied) in the batch: it is written when the batch commits, or first when
     * the archive is next read or changed through this store. PL_OK, or PL_EIO when a full
     * queue could not be written. A write that fails loses the batch: flush answers PL_EIO. */
    int (*archive_append)(struct storage *st, const struct archive_msg *m);
    /* Replaces body and xml of the newest message from sender to rcpt whose message id or
     * origin-id is ref (a correction or a retraction), in both archives that hold it.
     * PL_ENOTFOUND when there is none. */
    int (*archive_amend)(struct storage *st, const char *sender, const char *rcpt,
                         const char *ref, const char *body, const char *xml);
    /* Deletes up to max messages archived before cutoff_us (oldest first); *n says how many
     * (fewer than max: nothing older is left). */
    int (*archive_purge)(struct storage *st, long long cutoff_us, unsigned max, unsigned *n);
    /* Adds up to max messages appended since the last call to the archive's index (its
     * owners, conversations and words; queries find the rest by a scan of the newest rows, a
     * search finds only indexed ones); *n says how many (fewer than max: all are indexed). */
    int (*archive_index)(struct storage *st, unsigned max, unsigned *n);
    int (*archive_query)(struct storage *st, const struct archive_filter *f,
                         void (*done)(void *ctx, const struct archive_page *page), void *ctx);
    int (*archive_meta)(struct storage *st, const char *owner,
                        void (*done)(void *ctx, const struct archive_meta *meta), void *ctx);
    /* Preferences: *mode is left as the caller set it (its default) when none are stored;
     * fn gets each listed JID. */
    int (*archive_prefs_get)(struct storage *st, const char *owner, enum archive_mode *mode,
                             archive_pref_fn fn, void *ctx);
    /* Replaces them (jids[i] with always[i]). */
    int (*archive_prefs_set)(struct storage *st, const char *owner, enum archive_mode mode,
                             const char *const *jids, const bool *always, size_t n);
    /* The stored default mode (*mode untouched when none) and the rule for peer: *rule 1
     * always, 0 never, -1 not listed. */
    int (*archive_pref_check)(struct storage *st, const char *owner, const char *peer,
                              enum archive_mode *mode, int *rule);
    /* Offline messages (XEP-0160) of owner, kept in arrival order (ids grow). offline_count
     * sets *n to how many are stored. offline_put stores one (joins the batch); PL_EEXIST
     * when owner already has one with this stanza_id (NULL: never clashes), nothing is
     * stored then. offline_load calls fn for at most max messages with ids above after_id,
     * in id order. offline_delete removes those up to and including upto_id (joins the
     * batch). */
    int (*offline_count)(struct storage *st, const char *owner, size_t *n);
    int (*offline_put)(struct storage *st, const char *owner, const struct offline_row *row);
    int (*offline_load)(struct storage *st, const char *owner, long long after_id, size_t max,
                        void (*fn)(void *ctx, const struct offline_row *row), void *ctx);
    int (*offline_delete)(struct storage *st, const char *owner, long long upto_id);
    /* Group chat rooms. room_load calls room_fn once with the room, then aff_fn for each of
     * its affiliations (JID order); PL_ENOTFOUND when no such room is stored (neither is
     * called then); the callbacks must not call room_load again (that call fails with
     * PL_EIO). room_put inserts or replaces the room row (its affiliations stay).
     * room_delete removes the room, its affiliations and its archive (the messages archived
     * with the room's JID as owner, i.e. its notes to self, see the section on rooms above;
     * and its archive preferences); PL_OK also when none of it was stored. room_aff_set sets one affiliation
     * of room (affiliation 0 removes it; the room row need not be stored yet). room_list
     * calls fn for up to max rooms in JID order with JIDs after `after` (NULL: from the
     * start), only listed ones when listed_only, and sets *total to how many rooms match in
     * all, whatever after and max (for RSM counts). Writes join the loop turn's batch. */
    int (*room_load)(struct storage *st, const char *jid,
                     void (*room_fn)(void *ctx, const struct room_row *row),
                     void (*aff_fn)(void *ctx, const struct room_aff_row *row), void *ctx);
    int (*room_put)(struct storage *st, const struct room_row *row);
    int (*room_delete)(struct storage *st, const char *jid);
    int (*room_aff_set)(struct storage *st, const char *room, const struct room_aff_row *row);
    int (*room_list)(struct storage *st, bool listed_only, const char *after, size_t max,
                     void (*fn)(void *ctx, const struct room_row *row), void *ctx,
                     size_t *total);
    /* Replaces body and xml of the message whose stanza-id is sid in owner's archive (a
     * moderator's retraction leaves a tombstone; body NULL: nothing to search). PL_ENOTFOUND
     * when owner's archive has no such message (an id owner does not keep, or not a
     * stanza-id at all). Joins the batch. */
    int (*archive_replace)(struct storage *st, const char *owner, const char *sid,
                           const char *body, const char *xml);
    /* XML an account keeps on the server, one fragment per (kind, name): its vCard (name "")
     * and its private XML (XEP-0049, name "{namespace}element"). userdata_get sets *xml
     * (malloc'd, the caller frees) or answers PL_ENOTFOUND; userdata_put inserts or replaces
     * the fragment, or removes it when xml is NULL (PL_OK also when there was none), joining
     * the batch; userdata_count sets *n to the account's fragments of that kind. A deleted
     * account's fragments go with it. */
    int (*userdata_get)(struct storage *st, const char *owner, enum userdata_kind kind,
                        const char *name, char **xml);
    int (*userdata_put)(struct storage *st, const char *owner, enum userdata_kind kind,
                        const char *name, const char *xml);
    int (*userdata_count)(struct storage *st, const char *owner, enum userdata_kind kind,
                          long long *n);
    /* Publish-subscribe. pubsub_load reads everything back (struct pubsub_loader). The writes
     * join the batch: node_put inserts or replaces a node's config; node_delete removes a node
     * with its items and members; item_put inserts or replaces an item (by id); item_delete
     * and items_purge remove one or all of a node's items (PL_OK also when there were none);
     * member_put sets a member's affiliation and subscription (both 0 removes it).
     * item_get sets *xml (malloc'd) or answers PL_ENOTFOUND. A deleted account's services
     * and its memberships go with it. */
    int (*pubsub_load)(struct storage *st, const struct pubsub_loader *l);
    int (*pubsub_node_put)(struct storage *st, const struct pubsub_node_row *r);
    int (*pubsub_node_delete)(struct storage *st, const char *service, const char *node);
    int (*pubsub_item_put)(struct storage *st, const struct pubsub_item_row *r);
    int (*pubsub_item_delete)(struct storage *st, const char *service, const char *node,
                              const char *id);
    int (*pubsub_items_purge)(struct storage *st, const char *service, const char *node);
    int (*pubsub_item_get)(struct storage *st, const char *service, const char *node,
                           const char *id, char **xml);
    int (*pubsub_member_put)(struct storage *st, const struct pubsub_member_row *r);
};

/* Where a backend's messages go. The backend never prints: the program that opens the store
 * decides (the server's logger adds time and level). msg is one line, borrowed for the call. */
enum storage_log_level { STORAGE_LOG_WARN, STORAGE_LOG_ERROR };
struct storage_logger {
    void (*fn)(void *ctx, enum storage_log_level level, const char *msg); /* NULL: stderr */
    void *ctx;
};

/* A store: its backend, the backend's private state and its logger (set before opening). */
struct storage {
    const struct storage_ops *ops;
    void *impl;
    struct storage_logger log;
};

extern const struct storage_ops storage_sqlite_ops;

/* Opens the SQLite store at path into st. Returns PL_OK or PL_EIO. */
int storage_open_sqlite(struct storage *st, const char *path);

/* The calls every user of a store makes, one per backend operation. */
#include "storage_calls.h"

#endif
