/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for group chat rooms (XEP-0045): rooms, affiliations, room deletion. */
#include <stdint.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_ROOM_GET and the list statements (ROOM_SELECT in sqlite_schema.c). */
enum { COL_JID, COL_NAME, COL_LISTED, COL_CONFIG, COL_SUBJECT, COL_SUBJECT_BY, COL_CREATED };
/* Result columns of SQ_ROOM_AFFS. */
enum { AFF_JID, AFF_AFFILIATION, AFF_NICK, AFF_REASON };

static const char *col_text(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

/* The room in q's current row; false when its JID could not be read (out of memory). */
static bool read_room(sqlite3_stmt *q, struct room_row *row)
{
    const char *name = col_text(q, COL_NAME), *config = col_text(q, COL_CONFIG);
    *row = (struct room_row){
        .jid = col_text(q, COL_JID),
        .name = name ? name : "",
        .listed = sqlite3_column_int64(q, COL_LISTED) != 0,
        .config = config ? config : "",
        .subject = col_text(q, COL_SUBJECT),
        .subject_by = col_text(q, COL_SUBJECT_BY),
        .created = sqlite3_column_int64(q, COL_CREATED),
    };
    return row->jid != NULL;
}

/* Runs statement id with the JID (or room) jid as ?1 and no rows. */
static int run_jid(struct sq_store *s, enum sq_stmt_id id, const char *jid)
{
    sqlite3_stmt *q = sq_get(s, id);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, jid);
    return sq_run(s, q);
}

static int load_affs(struct sq_store *s, const char *room,
                     void (*fn)(void *ctx, const struct room_aff_row *row), void *ctx)
{
    sqlite3_stmt *q = sq_get(s, SQ_ROOM_AFFS);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, room);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct room_aff_row row = {
            .jid = col_text(q, AFF_JID),
            .affiliation = (int)sqlite3_column_int64(q, AFF_AFFILIATION),
            .nick = col_text(q, AFF_NICK),
            .reason = col_text(q, AFF_REASON),
        };
        if (row.jid) /* NOT NULL column: only an allocation failure gets here */
            fn(ctx, &row);
    }
    sqlite3_reset(q);
    return rc;
}

int sq_room_load(struct storage *st, const char *jid,
                 void (*room_fn)(void *ctx, const struct room_row *row),
                 void (*aff_fn)(void *ctx, const struct room_aff_row *row), void *ctx)
{
    struct sq_store *s = sq_store(st);
    struct room_row row;
    sqlite3_stmt *q = sq_get(s, SQ_ROOM_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, jid);
    int rc = sq_step(s, q);
    if (rc == SQ_ROW && !read_room(q, &row))
        rc = sq_fail(s, "room_load");
    else if (rc == SQ_ROW)
        room_fn(ctx, &row);
    sqlite3_reset(q);
    if (rc != SQ_ROW)
        return rc == PL_OK ? PL_ENOTFOUND : rc;
    return load_affs(s, jid, aff_fn, ctx);
}

int sq_room_put(struct storage *st, const struct room_row *row)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, SQ_ROOM_PUT);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, row->jid);
    sq_bind_text(s, q, 2, row->name ? row->name : "");
    sq_bind_int64(s, q, 3, row->listed ? 1 : 0); /* rooms_listed holds listed = 1 */
    sq_bind_text(s, q, 4, row->config ? row->config : "");
    sq_bind_text(s, q, 5, row->subject);
    sq_bind_text(s, q, 6, row->subject_by);
    sq_bind_int64(s, q, 7, row->created);
    return sq_run(s, q);
}

int sq_room_aff_set(struct storage *st, const char *room, const struct room_aff_row *row)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, row->affiliation ? SQ_ROOM_AFF_PUT : SQ_ROOM_AFF_REMOVE);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, room);
    sq_bind_text(s, q, 2, row->jid);
    if (row->affiliation) {
        sq_bind_int64(s, q, 3, row->affiliation);
        sq_bind_text(s, q, 4, row->nick);
        sq_bind_text(s, q, 5, row->reason);
    }
    return sq_run(s, q);
}

/* The room's archive: its notes to self, then its owner number when nothing else names it.
 * Nothing to do when the room never archived a message (no number). */
static int delete_archive(struct sq_store *s, const char *jid)
{
    char match[SQ_MATCH_LEN];
    sqlite3_stmt *q = sq_get(s, SQ_ARCHIVE_OWNER_GET);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 1, jid);
    int rc = sq_step(s, q);
    long long oid = rc == SQ_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (rc != SQ_ROW)
        return rc;
    sq_conv_match(oid, oid, match);
    if (!(q = sq_get(s, SQ_ROOM_ARCHIVE_DELETE)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, oid);
    sq_bind_text(s, q, 2, match);
    if (sq_run(s, q) != PL_OK || !(q = sq_get(s, SQ_ROOM_OWNER_DROP)))
        return PL_EIO;
    sq_bind_int64(s, q, 1, oid);
    if (sq_run(s, q) != PL_OK)
        return PL_EIO;
    /* The cached number must go with the row: a room made again under this JID gets a new
     * one at its first message. */
    if (sqlite3_changes(s->db) > 0)
        sq_archive_forget(s);
    return PL_OK;
}

/* Queued appends go in first: one of them may be the room's, and must not outlive it. */
int sq_room_delete(struct storage *st, const char *jid)
{
    struct sq_store *s = sq_store(st);
    if (sq_archive_drain(s) != PL_OK || sq_batch_begin(s) != PL_OK ||
        run_jid(s, SQ_ROOM_AFFS_DELETE, jid) != PL_OK || run_jid(s, SQ_ROOM_DELETE, jid) != PL_OK ||
        delete_archive(s, jid) != PL_OK || run_jid(s, SQ_ROOM_PREFS_DELETE, jid) != PL_OK ||
        run_jid(s, SQ_ARCHIVE_PREF_JIDS_CLEAR, jid) != PL_OK)
        return PL_EIO;
    return PL_OK;
}

static int count_rooms(struct sq_store *s, bool listed_only, size_t *total)
{
    sqlite3_stmt *q = sq_get(s, listed_only ? SQ_ROOM_COUNT_LISTED : SQ_ROOM_COUNT);
    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    *total = rc == SQ_ROW ? (size_t)sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQ_ROW ? PL_OK : PL_EIO;
}

int sq_room_list(struct storage *st, bool listed_only, const char *after, size_t max,
                 void (*fn)(void *ctx, const struct room_row *row), void *ctx, size_t *total)
{
    struct sq_store *s = sq_store(st);
    struct room_row row;
    if (count_rooms(s, listed_only, total) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = sq_get(s, listed_only ? SQ_ROOM_LIST_LISTED : SQ_ROOM_LIST);
    if (!q)
        return PL_EIO;
    /* Every JID sorts after "": the first page needs no statement of its own. */
    sq_bind_text(s, q, 1, after ? after : "");
    sq_bind_int64(s, q, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        if (read_room(q, &row))
            fn(ctx, &row);
    }
    sqlite3_reset(q);
    return rc;
}
