/* SPDX-License-Identifier: MIT */
/* Private to the SQLite backend: its state, statement table and bind/step helpers. */
#ifndef PL_SQLITE_INT_H
#define PL_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "hmap.h"
#include "storage.h"

/* Every statement the backend runs; prepared once at open, finalized at close. The SQL for
 * each lives in sq_sql[] in sqlite.c next to the schema. */
enum sq_stmt_id {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_ACCOUNT_INSERT,
    SQ_ACCOUNT_UPDATE,
    SQ_ACCOUNT_DELETE,
    SQ_ACCOUNT_GET,
    SQ_ACCOUNT_LIST,
    SQ_ACCOUNT_ANY,
    SQ_ROSTER_LOAD,
    SQ_ROSTER_PUT,
    SQ_ROSTER_REMOVE,
    SQ_ROSTER_VER_GET,
    SQ_ROSTER_VER_SET,
    SQ_LAST_GET,
    SQ_LAST_SET,
    SQ_PRIVACY_LOAD,
    SQ_PRIVACY_DEFAULT_GET,
    SQ_PRIVACY_LIST_DELETE,
    SQ_PRIVACY_ITEM_INSERT,
    SQ_PRIVACY_DEFAULT_SET,
    SQ_PRIVACY_DEFAULT_CLEAR,
    SQ_PRIVACY_SAVEPOINT,
    SQ_PRIVACY_RELEASE,
    SQ_PRIVACY_ROLLBACK_TO,
    SQ_ARCHIVE_OWNER_ADD,
    SQ_ARCHIVE_OWNER_GET,
    SQ_ARCHIVE_INSERT,
    SQ_ARCHIVE_LAST_KEY,
    SQ_ARCHIVE_AMEND,
    SQ_ARCHIVE_REPLACE,
    SQ_ARCHIVE_PURGE,
    SQ_ARCHIVE_FTS_UPTO,
    SQ_ARCHIVE_FTS_NEXT,
    SQ_ARCHIVE_FTS_ADD,
    SQ_ARCHIVE_FTS_SET,
    SQ_ARCHIVE_PREFS_GET,
    SQ_ARCHIVE_PREFS_PUT,
    SQ_ARCHIVE_PREF_JIDS,
    SQ_ARCHIVE_PREF_JID_GET,
    SQ_ARCHIVE_PREF_JIDS_CLEAR,
    SQ_ARCHIVE_PREF_JID_PUT,
    SQ_OFFLINE_COUNT,
    SQ_OFFLINE_PUT,
    SQ_OFFLINE_LOAD,
    SQ_OFFLINE_DELETE,
    SQ_ROOM_GET,
    SQ_ROOM_AFFS,
    SQ_ROOM_PUT,
    SQ_ROOM_DELETE,
    SQ_ROOM_AFFS_DELETE,
    SQ_ROOM_AFF_PUT,
    SQ_ROOM_AFF_REMOVE,
    SQ_ROOM_LIST,
    SQ_ROOM_LIST_LISTED,
    SQ_ROOM_COUNT,
    SQ_ROOM_COUNT_LISTED,
    SQ_ROOM_ARCHIVE_DELETE,
    SQ_ROOM_OWNER_DROP,
    SQ_ROOM_PREFS_DELETE,
    SQ_USERDATA_GET,
    SQ_USERDATA_PUT,
    SQ_USERDATA_DELETE,
    SQ_USERDATA_COUNT,
    SQ_PUBSUB_NODES,
    SQ_PUBSUB_ITEMS,
    SQ_PUBSUB_MEMBERS,
    SQ_PUBSUB_NODE_PUT,
    SQ_PUBSUB_NODE_DELETE,
    SQ_PUBSUB_ITEM_PUT,
    SQ_PUBSUB_ITEM_DELETE,
    SQ_PUBSUB_ITEM_GET,
    SQ_PUBSUB_ITEMS_PURGE,
    SQ_PUBSUB_MEMBER_PUT,
    SQ_PUBSUB_MEMBER_DELETE,
    SQ_PUBSUB_MEMBERS_DELETE,
    SQ_STMT_COUNT
};

/* sqlite_schema.c: the schema steps (sq_migrations[i] takes user_version i to i + 1) and the
 * SQL of each statement. */
extern const char *const sq_migrations[];
extern const size_t sq_migrations_count;
extern const char *const sq_sql[SQ_STMT_COUNT];

/* Archived messages waiting for the batch's commit (sqlite_archive.c). */
struct sq_archive_queue {
    struct sq_queued *v;
    size_t n, cap;
    struct buf bytes; /* their strings, NUL-terminated */
};

/* The backend's state behind struct storage.impl; owned by the store. */
struct sq_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_STMT_COUNT];
    int bind_rc;   /* first bind failure since sq_get, reported by the next step */
    bool in_batch; /* a BEGIN IMMEDIATE is open; flush commits it */
    bool batch_lost; /* queued writes failed: the batch must not commit (flush rolls back) */
    struct storage_logger log; /* copied from struct storage at open */
    char *path;                /* the database file, for the readers' own connections */
    struct sq_readers *readers; /* archive reader threads, started at the first query */
    long long archive_last_key; /* newest archive key given (0: not read yet) */
    long long archive_upto;     /* archive_fts_state.upto as written, when known */
    bool archive_upto_known;    /* forgotten at a rollback */
    struct hmap archive_owners; /* jid -> struct sq_owner; forgotten with a lost batch */
    struct sq_archive_queue archive_queue; /* appends not written yet, part of the batch */
    void (*wake)(void *ctx);   /* set_wake's function and context */
    void *wake_ctx;
    struct sq_checkpointer *checkpointer; /* WAL checkpoint thread, started at the first need */
    bool checkpointer_failed;             /* it could not start: the writer checkpoints */
    int checkpoint_frames;                /* WAL frames that call for a checkpoint */
    uint64_t quiet_since_ms; /* when commits began to wait for a checkpoint pass (0: not) */
};

/* WAL bytes between checkpoints: a page that many commits wrote is copied back once. */
#define SQ_CHECKPOINT_BYTES (8 << 20)

/* WAL checkpoints (sqlite_checkpoint.c). init replaces SQLite's automatic checkpoint on the
 * writer's connection by a thread that starts when the WAL first reaches SQ_CHECKPOINT_BYTES;
 * stop ends that thread (before the writer's connection closes). */
void sq_checkpoint_init(struct sq_store *s, long page_bytes);
void sq_checkpoint_stop(struct sq_store *s);
/* storage_ops.flush_delay_ms: a commit waits while a checkpoint pass runs (bounded). */
int sq_checkpoint_flush_delay_ms(struct storage *st);

/* Step result meaning "a row is ready"; PL_OK means the statement is done. */
#define SQ_ROW 1

/* The store behind st (borrowed). */
static inline struct sq_store *sq_store(struct storage *st) { return st->impl; }

/* Borrows statement id reset and with cleared bindings. NULL (logged) when it is still
 * running, i.e. when called re-entrantly from a row callback of the same statement. */
sqlite3_stmt *sq_get(struct sq_store *s, enum sq_stmt_id id);

/* Bind helpers (1-based index). A failure is remembered and returned by the next step, so
 * an op binds everything and checks once. Text and blobs are copied by SQLite. */
void sq_bind_text(struct sq_store *s, sqlite3_stmt *q, int i, const char *v);
/* Binds v without a copy: v must stay unchanged until the statement has been stepped. */
void sq_bind_text_static(struct sq_store *s, sqlite3_stmt *q, int i, const char *v);
/* Binds the n bytes at v as text (copied), for text that comes with its length. */
void sq_bind_text_n(struct sq_store *s, sqlite3_stmt *q, int i, const char *v, size_t n);
void sq_bind_blob(struct sq_store *s, sqlite3_stmt *q, int i, const void *v, size_t n);
void sq_bind_int64(struct sq_store *s, sqlite3_stmt *q, int i, sqlite3_int64 v);

/* Steps q once: SQ_ROW with a row ready, PL_OK when done, PL_EEXIST on a primary-key or
 * unique constraint, PL_EIO otherwise (logged). On failure q is already reset. */
int sq_step(struct sq_store *s, sqlite3_stmt *q);
/* Runs a statement that returns no rows and resets it: PL_OK, PL_EEXIST or PL_EIO. */
int sq_run(struct sq_store *s, sqlite3_stmt *q);
/* The same for a statement that changes one row: PL_ENOTFOUND when it changed none. */
int sq_run_changed(struct sq_store *s, sqlite3_stmt *q);
/* Logs the connection's last error as "what: message" and returns PL_EIO. */
int sq_fail(struct sq_store *s, const char *what);
/* Sends one message to the store's logger. */
void sq_log(const struct sq_store *s, enum storage_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Batching: sq_batch_begin opens one write transaction (no-op when one is open; PL_EIO when
 * SQLite already rolled the open one back by itself) that every
 * later write joins until sq_batch_commit, which storage_flush calls once per loop turn.
 * Returns PL_OK or PL_EIO; a failed commit is rolled back and the batch is lost, so callers
 * acknowledge durable writes only after a successful flush.
 */
int sq_batch_begin(struct sq_store *s);
int sq_batch_commit(struct sq_store *s);
/* Drops the open batch (no-op when none is open). */
int sq_batch_rollback(struct sq_store *s);

/* Account ops (sqlite_accounts.c), with the contracts of struct storage_ops. */
int sq_account_create(struct storage *st, const char *bare, const struct scram_creds *c);
int sq_account_set_creds(struct storage *st, const char *bare, const struct scram_creds *c);
int sq_account_delete(struct storage *st, const char *bare);
int sq_creds_get(struct storage *st, const char *bare, struct scram_creds *out);
int sq_account_list(struct storage *st, void (*fn)(void *ctx, const char *bare), void *ctx);
int sq_accounts_exist(struct storage *st, bool *any);

/* Roster and last-activity ops (sqlite_roster.c), with the contracts of struct storage_ops. */
int sq_roster_load(struct storage *st, const char *owner, long long *ver,
                   void (*fn)(void *ctx, const struct roster_row *row), void *ctx);
int sq_roster_put(struct storage *st, const char *owner, const struct roster_row *row,
                  long long ver);
int sq_roster_remove(struct storage *st, const char *owner, const char *contact, long long ver);
int sq_last_get(struct storage *st, const char *bare, long long *when, char **status);
int sq_last_set(struct storage *st, const char *bare, long long when, const char *status);

/* Privacy list ops (sqlite_privacy.c), with the contracts of struct storage_ops. */
int sq_privacy_load(struct storage *st, const char *owner, char **default_name,
                    void (*fn)(void *ctx, const struct privacy_row *row), void *ctx);
int sq_privacy_list_set(struct storage *st, const char *owner, const char *name,
                        const struct privacy_row *rows, size_t n);
int sq_privacy_default_set(struct storage *st, const char *owner, const char *name);

/* Archive writes and preferences (sqlite_archive.c), with the contracts of struct storage_ops. */
/* Forgets the archive's cached owner numbers (a rollback may have undone new ones). */
void sq_archive_forget(struct sq_store *s);
/* Writes the queued appends into the batch (opening it): before the batch commits, and before
 * anything else reads or changes the archive on this connection. PL_OK, or PL_EIO when some
 * were lost (logged; the batch is then lost too). discard drops them with a rolled-back
 * batch; free releases the queue. */
int sq_archive_drain(struct sq_store *s);
void sq_archive_discard(struct sq_store *s);
void sq_archive_queue_free(struct sq_store *s);
/* The index's tokens of a row (its keys column): each party's owner number, as o<owner> when
 * it keeps the row (keep bit 1: the sender, 2: the recipient) and p<owner> when it does not;
 * a note to self is o<owner> s<owner>. Also the SQL function archive_keys(sender, rcpt, keep)
 * that sq_archive_functions registers on a connection, for the account-deletion trigger and
 * migration 9 (sqlite_schema.c). */
#define SQ_KEYS_LEN 96
void sq_archive_keys(long long sender, long long rcpt, int keep, char out[SQ_KEYS_LEN]);
int sq_archive_functions(sqlite3 *db);
/* The MATCH expressions for the conversation of owners a and b (either order: the rows that
 * name both, or a's notes to self when a is b), and for the rows that owner oid keeps. */
#define SQ_MATCH_LEN 160
void sq_conv_match(long long a, long long b, char out[SQ_MATCH_LEN]);
void sq_owner_match(long long oid, char out[SQ_MATCH_LEN]);
int sq_archive_new_key(struct storage *st, long long now_us, long long *key);
int sq_archive_append(struct storage *st, const struct archive_msg *m);
int sq_archive_amend(struct storage *st, const char *sender, const char *rcpt,
                     const char *ref, const char *body, const char *xml);
int sq_archive_replace(struct storage *st, const char *owner, const char *sid, const char *body,
                       const char *xml);
int sq_archive_purge(struct storage *st, long long cutoff_us, unsigned max, unsigned *n);
int sq_archive_index(struct storage *st, unsigned max, unsigned *n);
int sq_archive_prefs_get(struct storage *st, const char *owner, enum archive_mode *mode,
                         archive_pref_fn fn, void *ctx);
int sq_archive_prefs_set(struct storage *st, const char *owner, enum archive_mode mode,
                         const char *const *jids, const bool *always, size_t n);
int sq_archive_pref_check(struct storage *st, const char *owner, const char *peer,
                          enum archive_mode *mode, int *rule);

/* Archive reads on reader threads (sqlite_archive_read.c), with the contracts of struct
 * storage_ops. sq_readers_stop joins the threads and drops pending work (no done calls). */
void sq_set_wake(struct storage *st, void (*wake)(void *ctx), void *ctx);
void sq_run_completions(struct storage *st);
int sq_archive_query(struct storage *st, const struct archive_filter *f,
                     void (*done)(void *ctx, const struct archive_page *page), void *ctx);
int sq_archive_meta(struct storage *st, const char *owner,
                    void (*done)(void *ctx, const struct archive_meta *meta), void *ctx);
void sq_readers_stop(struct sq_store *s);
/* Runs one query or metadata read on a reader's connection db, filling the result; a failure
 * is described in err for the caller's thread to log (sqlite_archive_query.c). */
void sq_query_run(sqlite3 *db, const struct archive_filter *f, struct archive_page *page,
                  char *err, size_t errlen);
void sq_meta_run(sqlite3 *db, const char *owner, struct archive_meta *m, char *err,
                 size_t errlen);
/* Registers archive_text(body, text) on a reader's connection db: 1 when body holds every
 * word of text as the index would find it, for the rows not indexed yet
 * (sqlite_archive_text.c). PL_OK or PL_EIO. */
int sq_text_functions(sqlite3 *db);
/* The next word of a search text after *p (white space parts words): its start in *word and
 * its length, 0 when none is left; *p moves past it. The index query and archive_text both
 * split a search so, and so agree on its words. */
size_t sq_next_word(const char **p, const char **word);
/* Offline message ops (sqlite_offline.c), with the contracts of struct storage_ops. */
int sq_offline_count(struct storage *st, const char *owner, size_t *n);
int sq_offline_put(struct storage *st, const char *owner, const struct offline_row *row);
int sq_offline_load(struct storage *st, const char *owner, long long after_id, size_t max,
                    void (*fn)(void *ctx, const struct offline_row *row), void *ctx);
int sq_offline_delete(struct storage *st, const char *owner, long long upto_id);

/* Group chat room ops (sqlite_muc.c), with the contracts of struct storage_ops. */
int sq_room_load(struct storage *st, const char *jid,
                 void (*room_fn)(void *ctx, const struct room_row *row),
                 void (*aff_fn)(void *ctx, const struct room_aff_row *row), void *ctx);
/* Account data (sqlite_userdata.c), with the contracts of struct storage_ops. */
int sq_userdata_get(struct storage *st, const char *owner, enum userdata_kind kind,
                    const char *name, char **xml);
int sq_userdata_put(struct storage *st, const char *owner, enum userdata_kind kind,
                    const char *name, const char *xml);
int sq_userdata_count(struct storage *st, const char *owner, enum userdata_kind kind,
                      long long *n);
/* Publish-subscribe (sqlite_pubsub.c), with the contracts of struct storage_ops. */
int sq_pubsub_load(struct storage *st, const struct pubsub_loader *l);
int sq_pubsub_node_put(struct storage *st, const struct pubsub_node_row *r);
int sq_pubsub_node_delete(struct storage *st, const char *service, const char *node);
int sq_pubsub_item_put(struct storage *st, const struct pubsub_item_row *r);
int sq_pubsub_item_delete(struct storage *st, const char *service, const char *node,
                          const char *id);
int sq_pubsub_items_purge(struct storage *st, const char *service, const char *node);
int sq_pubsub_item_get(struct storage *st, const char *service, const char *node,
                       const char *id, char **xml);
int sq_pubsub_member_put(struct storage *st, const struct pubsub_member_row *r);
int sq_room_put(struct storage *st, const struct room_row *row);
int sq_room_delete(struct storage *st, const char *jid);
int sq_room_aff_set(struct storage *st, const char *room, const struct room_aff_row *row);
int sq_room_list(struct storage *st, bool listed_only, const char *after, size_t max,
                 void (*fn)(void *ctx, const struct room_row *row), void *ctx, size_t *total);

#endif
