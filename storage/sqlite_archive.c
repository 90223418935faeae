/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for archive writes (append, amend, replace, purge) and archive preferences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "sqlite_int.h"

/* One integer from a one-row statement (NULL reads as 0). */
static int read_int(struct sq_store *s, sqlite3_stmt *q, long long *v)
{
    int rc = sq_step(s, q);
    *v = rc == SQ_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : rc == PL_OK ? PL_EIO : rc;
}

int sq_archive_new_key(struct storage *st, long long now_us, long long *key)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q;
    if (!s->archive_last_key &&
        (!(q = sq_get(s, SQ_ARCHIVE_LAST_KEY)) || read_int(s, q, &s->archive_last_key) != PL_OK))
        return PL_EIO;
    /* Remembered even if the batch is later rolled back: a gap in keys costs nothing. */
    *key = s->archive_last_key = now_us > s->archive_last_key ? now_us : s->archive_last_key + 1;
    return PL_OK;
}

/* Opens the batch, or finds it still open: after some errors SQLite rolls a transaction
 * back by itself, and what this store remembers of it (owner numbers, the index mark) must
 * not be used for writes that would then commit on their own. */
static int archive_batch(struct sq_store *s)
{
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    if (sqlite3_get_autocommit(s->db)) {
        sq_archive_forget(s);
        return PL_EIO; /* the batch is lost: its commit will say so */
    }
    return PL_OK;
}

/* Writes prefix and v (an owner number, not negative) in decimal at p; returns the end.
 * Built by hand: every archived message needs two tokens. */
static char *put_token(char *p, char prefix, long long v)
{
    char digits[24];
    int n = 0;
    unsigned long long u = (unsigned long long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while (u /= 10);
    *p++ = prefix;
    while (n)
        *p++ = digits[--n];
    return p;
}

#define KEYS_COLUMN "keys : "

/* Writes the MATCH phrase for one token of the keys column at p; returns the end. */
static char *put_phrase(char *p, char prefix, long long v)
{
    memcpy(p, KEYS_COLUMN, sizeof(KEYS_COLUMN) - 1);
    return put_token(p + sizeof(KEYS_COLUMN) - 1, prefix, v);
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Rows that name party v, whether it keeps them or not. */
static char *put_party(char *p, long long v)
{
    p = put_str(p, "(");
    p = put_phrase(p, 'o', v);
    p = put_str(p, " OR ");
    p = put_phrase(p, 'p', v);
    return put_str(p, ")");
}

void sq_conv_match(long long a, long long b, char out[SQ_MATCH_LEN])
{
    char *p = out;
    if (a == b) {
        p = put_phrase(p, 's', a);
    } else {
        p = put_party(p, a);
        p = put_str(p, " AND ");
        p = put_party(p, b);
    }
    *p = '\0';
}

void sq_owner_match(long long oid, char out[SQ_MATCH_LEN])
{
    *put_phrase(out, 'o', oid) = '\0';
}

void sq_archive_keys(long long sender, long long rcpt, int keep, char out[SQ_KEYS_LEN])
{
    char *p = out;
    if (sender == rcpt) { /* a note to self: its one party keeps it */
        p = put_token(p, 'o', sender);
        *p++ = ' ';
        p = put_token(p, 's', sender);
    } else {
        p = put_token(p, keep & 1 ? 'o' : 'p', sender);
        *p++ = ' ';
        p = put_token(p, keep & 2 ? 'o' : 'p', rcpt);
    }
    *p = '\0';
}

/* archive_keys(sender, rcpt, keep) in SQL, for the account-deletion trigger. */
static void keys_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char keys[SQ_KEYS_LEN];
    (void)argc;
    sq_archive_keys(sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]),
                    sqlite3_value_int(argv[2]), keys);
    sqlite3_result_text(ctx, keys, -1, SQLITE_TRANSIENT);
}

int sq_archive_functions(sqlite3 *db)
{
    return sqlite3_create_function_v2(db, "archive_keys", 3,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      NULL, keys_function, NULL, NULL, NULL) == SQLITE_OK
               ? PL_OK
               : PL_EIO;
}

/* An archive owner's number, remembered with its JID (the map's key). */
struct sq_owner {
    long long oid;
    char jid[];
};

static void free_owner(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    free(value);
}

void sq_archive_forget(struct sq_store *s)
{
    s->archive_upto_known = false;
    hmap_each(&s->archive_owners, free_owner, NULL);
    hmap_fini(&s->archive_owners);
    hmap_init(&s->archive_owners);
}

/* jid's owner number, made at its first archived message; remembered, so an append costs no
 * lookup. */
static int owner_number(struct sq_store *s, const char *jid, long long *oid)
{
    struct sq_owner *o = hmap_get(&s->archive_owners, jid);
    sqlite3_stmt *q;
    if (o) {
        *oid = o->oid;
        return PL_OK;
    }
    if (!(q = sq_get(s, SQ_ARCHIVE_OWNER_ADD)))
        return PL_EIO;
    sq_bind_text(s, q, 1, jid);
    if (sq_run(s, q) != PL_OK || !(q = sq_get(s, SQ_ARCHIVE_OWNER_GET)))
        return PL_EIO;
    sq_bind_text(s, q, 1, jid);
    if (read_int(s, q, oid) != PL_OK)
        return PL_EIO;
    size_t n = strlen(jid) + 1;
    o = xmalloc(sizeof(*o) + n);
    o->oid = *oid;
    memcpy(o->jid, jid, n);
    hmap_put(&s->archive_owners, o->jid, o);
    return PL_OK;
}

/* The archive index's high-water mark, read once and then kept in step. */
static int index_upto(struct sq_store *s, long long *upto)
{
    sqlite3_stmt *q;
    if (!s->archive_upto_known) {
        if (!(q = sq_get(s, SQ_ARCHIVE_FTS_UPTO)) || read_int(s, q, &s->archive_upto) != PL_OK)
            return PL_EIO;
        s->archive_upto_known = true;
    }
    *upto = s->archive_upto;
    return PL_OK;
}

/* Indexes the rows with keys in (after, upto]. */
static int index_range(struct sq_store *s, long long after, long long upto)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_FTS_ADD);
    if (!q)
        return PL_EIO;
    sq_bind_int64(s, q, 1, after);
    sq_bind_int64(s, q, 2, upto);
    return sq_run(s, q);
}

/* m's strings are bound without copies: they stay put until the insert has run. */
static int insert_msg(struct sq_store *s, const struct archive_msg *m)
{
    long long sender, rcpt;
    int keep = (m->sender_keeps ? 1 : 0) | (m->rcpt_keeps ? 2 : 0);
    char keys[SQ_KEYS_LEN];
    sqlite3_stmt *q;
    if (owner_number(s, m->sender, &sender) != PL_OK || owner_number(s, m->rcpt, &rcpt) != PL_OK ||
        !(q = sq_get(s, SQ_ARCHIVE_INSERT)))
        return PL_EIO;
    sq_archive_keys(sender, rcpt, keep, keys);
    sq_bind_int64(s, q, 1, m->key);
    sq_bind_int64(s, q, 2, (long long)m->tag);
    sq_bind_int64(s, q, 3, sender);
    sq_bind_int64(s, q, 4, rcpt);
    sq_bind_int64(s, q, 5, keep);
    sq_bind_text_static(s, q, 6, m->sender_res);
    sq_bind_text_static(s, q, 7, m->rcpt_res);
    sq_bind_text_static(s, q, 8, m->msg_id);
    sq_bind_text_static(s, q, 9, m->origin_id);
    sq_bind_text_static(s, q, 10, m->body);
    sq_bind_text_static(s, q, 11, m->xml);
    sq_bind_text_static(s, q, 12, keys);
    return sq_run(s, q);
}

/* The strings of a queued message, in struct archive_msg's order. */
enum { Q_SENDER, Q_RCPT, Q_SENDER_RES, Q_RCPT_RES, Q_MSG_ID, Q_ORIGIN_ID, Q_BODY, Q_XML, Q_STRS };

/* A message waiting for the batch's commit; its strings are in the queue's bytes. */
struct sq_queued {
    long long key;
    unsigned long long tag;
    bool sender_keeps, rcpt_keeps;
    size_t str[Q_STRS]; /* offset + 1 into the bytes, 0 for NULL */
};

/* Appends wait in memory and go in together, just before the batch commits or anything else
 * reads or changes the archive: one tight run of inserts keeps SQLite's code and pages in
 * the CPU's caches, where one insert per delivered message ran cold each time. The queue is
 * bounded; a full one is written at once. */
#define QUEUE_ROWS 1024
#define QUEUE_BYTES (1 << 20)

static void queue_str(struct sq_archive_queue *aq, size_t *at, const char *v)
{
    *at = 0;
    if (v) {
        *at = aq->bytes.len + 1;
        buf_append(&aq->bytes, v, strlen(v) + 1);
    }
}

static const char *queued_str(const struct sq_archive_queue *aq, size_t at)
{
    return at ? (const char *)aq->bytes.data + at - 1 : NULL;
}

static void queue_drop(struct sq_archive_queue *aq)
{
    aq->n = 0;
    buf_reset(&aq->bytes);
}

static int insert_queued(struct sq_store *s, const struct sq_queued *q, long long upto)
{
    const struct sq_archive_queue *aq = &s->archive_queue;
    struct archive_msg m = {
        .key = q->key,
        .tag = q->tag,
        .sender = queued_str(aq, q->str[Q_SENDER]),
        .rcpt = queued_str(aq, q->str[Q_RCPT]),
        .sender_res = queued_str(aq, q->str[Q_SENDER_RES]),
        .rcpt_res = queued_str(aq, q->str[Q_RCPT_RES]),
        .sender_keeps = q->sender_keeps,
        .rcpt_keeps = q->rcpt_keeps,
        .msg_id = queued_str(aq, q->str[Q_MSG_ID]),
        .origin_id = queued_str(aq, q->str[Q_ORIGIN_ID]),
        .body = queued_str(aq, q->str[Q_BODY]),
        .xml = queued_str(aq, q->str[Q_XML]),
    };
    int rc = insert_msg(s, &m);
    /* A key the index already passed (given before a later one that was appended first)
     * goes into the index now: queries scan only the rows after the mark. */
    if (rc == PL_OK && m.key <= upto)
        rc = index_range(s, m.key - 1, m.key);
    return rc;
}

int sq_archive_drain(struct sq_store *s)
{
    struct sq_archive_queue *aq = &s->archive_queue;
    long long upto;
    size_t done = 0;
    if (!aq->n)
        return PL_OK;
    /* The first failure ends it: the batch is lost, and SQLite may have rolled it back
     * already, when further inserts would commit on their own. */
    if (archive_batch(s) == PL_OK && index_upto(s, &upto) == PL_OK)
        while (done < aq->n && insert_queued(s, &aq->v[done], upto) == PL_OK)
            done++;
    bool lost = done < aq->n;
    if (lost) {
        sq_log(s, STORAGE_LOG_ERROR, "archive: a batch of %zu messages was lost", aq->n);
        s->batch_lost = true;
    }
    queue_drop(aq);
    buf_shrink(&aq->bytes, QUEUE_BYTES);
    return lost ? PL_EIO : PL_OK;
}

void sq_archive_discard(struct sq_store *s)
{
    queue_drop(&s->archive_queue);
}

void sq_archive_queue_free(struct sq_store *s)
{
    free(s->archive_queue.v);
    buf_fini(&s->archive_queue.bytes);
    memset(&s->archive_queue, 0, sizeof(s->archive_queue));
}

int sq_archive_append(struct storage *st, const struct archive_msg *m)
{
    struct sq_store *s = sq_store(st);
    struct sq_archive_queue *aq = &s->archive_queue;
    if (aq->n == aq->cap) {
        aq->cap = aq->cap ? aq->cap * 2 : 64;
        aq->v = xrealloc(aq->v, aq->cap * sizeof(*aq->v));
    }
    struct sq_queued *q = &aq->v[aq->n++];
    const char *strs[Q_STRS] = { m->sender, m->rcpt,      m->sender_res, m->rcpt_res,
                                 m->msg_id, m->origin_id, m->body,       m->xml };
    q->key = m->key;
    q->tag = m->tag;
    q->sender_keeps = m->sender_keeps;
    q->rcpt_keeps = m->rcpt_keeps;
    for (int i = 0; i < Q_STRS; i++)
        queue_str(aq, &q->str[i], strs[i]);
    if (aq->n >= QUEUE_ROWS || aq->bytes.len >= QUEUE_BYTES)
        return sq_archive_drain(s);
    return PL_OK;
}

int sq_archive_amend(struct storage *st, const char *sender, const char *rcpt, const char *ref,
                     const char *body, const char *xml)
{
    struct sq_store *s = sq_store(st);
    long long from, to;
    char match[SQ_MATCH_LEN];
    sqlite3_stmt *q;
    if (sq_archive_drain(s) != PL_OK || archive_batch(s) != PL_OK ||
        owner_number(s, sender, &from) != PL_OK ||
        owner_number(s, rcpt, &to) != PL_OK || !(q = sq_get(s, SQ_ARCHIVE_AMEND)))
        return PL_EIO;
    sq_conv_match(from, to, match);
    sq_bind_int64(s, q, 1, from);
    sq_bind_int64(s, q, 2, to);
    sq_bind_text(s, q, 3, ref);
    sq_bind_text(s, q, 4, match);
    sq_bind_text(s, q, 5, body);
    sq_bind_text(s, q, 6, xml);
    return sq_run_changed(s, q);
}

/* The stanza-id names the row (its key and tag); the statement checks that owner keeps it. */
int sq_archive_replace(struct storage *st, const char *owner, const char *sid, const char *body,
                       const char *xml)
{
    struct sq_store *s = sq_store(st);
    long long key;
    unsigned long long tag;
    sqlite3_stmt *q;
    if (!archive_sid_parse(sid, &key, &tag))
        return PL_ENOTFOUND; /* not one of ours, so in no archive */
    if (sq_archive_drain(s) != PL_OK || archive_batch(s) != PL_OK ||
        !(q = sq_get(s, SQ_ARCHIVE_REPLACE)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, key);
    sq_bind_int64(s, q, 2, (long long)tag);
    sq_bind_text(s, q, 3, owner);
    sq_bind_text(s, q, 4, body);
    sq_bind_text(s, q, 5, xml);
    return sq_run_changed(s, q);
}

int sq_archive_purge(struct storage *st, long long cutoff_us, unsigned max, unsigned *n)
{
    struct sq_store *s = sq_store(st);
    *n = 0;
    if (sq_archive_drain(s) != PL_OK || sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PURGE);
    if (!q)
        return PL_EIO;
    sq_bind_int64(s, q, 1, cutoff_us);
    sq_bind_int64(s, q, 2, max);
    int rc = sq_run(s, q);
    if (rc == PL_OK)
        *n = (unsigned)sqlite3_changes(s->db);
    return rc;
}

/* The rows after the indexed ones, up to max of them, go into the index in one statement, so
 * a batch makes one FTS5 segment. */
int sq_archive_index(struct storage *st, unsigned max, unsigned *n)
{
    struct sq_store *s = sq_store(st);
    long long upto, next;
    sqlite3_stmt *q;
    *n = 0;
    if (sq_archive_drain(s) != PL_OK || archive_batch(s) != PL_OK ||
        index_upto(s, &upto) != PL_OK || !(q = sq_get(s, SQ_ARCHIVE_FTS_NEXT)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, upto);
    sq_bind_int64(s, q, 2, max);
    int rc = sq_step(s, q);
    next = sqlite3_column_int64(q, 0);
    long long rows = sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    if (rc != SQ_ROW)
        return PL_EIO;
    if (!rows)
        return PL_OK; /* nothing new */
    rc = index_range(s, upto, next);
    if (rc == PL_OK && (q = sq_get(s, SQ_ARCHIVE_FTS_SET)) != NULL) {
        sq_bind_int64(s, q, 1, next);
        rc = sq_run(s, q);
        if (rc == PL_OK)
            s->archive_upto = next;
        *n = rc == PL_OK ? (unsigned)rows : 0;
    }
    return q ? rc : PL_EIO;
}

static int read_mode(struct sq_store *s, const char *owner, enum archive_mode *mode)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREFS_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        long long m = sqlite3_column_int64(q, 0);
        *mode = m == ARCHIVE_NEVER || m == ARCHIVE_ROSTER ? (enum archive_mode)m : ARCHIVE_ALWAYS;
        rc = PL_OK;
    }
    sqlite3_reset(q);
    return rc;
}

int sq_archive_prefs_get(struct storage *st, const char *owner, enum archive_mode *mode,
                         archive_pref_fn fn, void *ctx)
{
    struct sq_store *s = sq_store(st);
    if (read_mode(s, owner, mode) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JIDS);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        const char *jid = (const char *)sqlite3_column_text(q, 0);
        if (jid)
            fn(ctx, jid, sqlite3_column_int64(q, 1) != 0);
    }
    sqlite3_reset(q);
    return rc;
}

static int put_jid(struct sq_store *s, const char *owner, const char *jid, bool always)
{
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JID_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, jid);
    sq_bind_int64(s, q, 3, always);
    return sq_run(s, q);
}

int sq_archive_prefs_set(struct storage *st, const char *owner, enum archive_mode mode,
                         const char *const *jids, const bool *always, size_t n)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREFS_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_int64(s, q, 2, mode);
    int rc = sq_run(s, q);
    if (rc == PL_OK) {
        q = sq_get(s, SQ_ARCHIVE_PREF_JIDS_CLEAR);
        if (!q)
            return PL_EIO;
        sq_bind_text(s, q, 1, owner);
        rc = sq_run(s, q);
    }
    for (size_t i = 0; rc == PL_OK && i < n; i++)
        rc = put_jid(s, owner, jids[i], always[i]);
    return rc;
}

int sq_archive_pref_check(struct storage *st, const char *owner, const char *peer,
                          enum archive_mode *mode, int *rule)
{
    struct sq_store *s = sq_store(st);
    *rule = -1;
    if (read_mode(s, owner, mode) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_PREF_JID_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, owner);
    sq_bind_text(s, q, 2, peer);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        *rule = sqlite3_column_int64(q, 0) != 0;
        rc = PL_OK;
    }
    sqlite3_reset(q);
    return rc;
}
