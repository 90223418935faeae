/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite group chat room ops (storage/sqlite_muc.c) and archive_replace on a temp
 * file: rooms, affiliations, listing, deletion with the room's archive, and I/O faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "archive_fx.h"
#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "sqlite_int.h"
#include "tmp_store.h"

/* What room_load or room_list reported, one line per room and affiliation. */
struct seen {
    char text[2048];
    size_t rooms, affs;
};

static void seen_add(struct seen *s, const char *line)
{
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof(s->text) - len, "%s\n", line);
}

static const char *or_dash(const char *v) { return v ? v : "-"; }

static void room_collect(void *ctx, const struct room_row *r)
{
    struct seen *s = ctx;
    char line[512];
    snprintf(line, sizeof(line), "room %s|%s|%d|%s|%s|%s|%lld", r->jid, r->name, r->listed,
             r->config, or_dash(r->subject), or_dash(r->subject_by), r->created);
    s->rooms++;
    seen_add(s, line);
}

static void aff_collect(void *ctx, const struct room_aff_row *a)
{
    struct seen *s = ctx;
    char line[256];
    snprintf(line, sizeof(line), "aff %s|%d|%s|%s", a->jid, a->affiliation, or_dash(a->nick),
             or_dash(a->reason));
    s->affs++;
    seen_add(s, line);
}

/* room_load into a fresh struct seen; rc is the load's answer. */
static struct seen load(struct fx *f, const char *jid, int *rc)
{
    struct seen s = { .rooms = 0 };
    *rc = room_load(&f->st, jid, room_collect, aff_collect, &s);
    return s;
}

/* room_list's JIDs joined by ',' in s->text. */
static void jid_collect(void *ctx, const struct room_row *r)
{
    struct seen *s = ctx;
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof(s->text) - len, "%s%s", len ? "," : "", r->jid);
    s->rooms++;
}

static struct seen list(struct fx *f, bool listed_only, const char *after, size_t max,
                        size_t *total)
{
    struct seen s = { .rooms = 0 };
    *total = 99;
    assert_int_equal(room_list(&f->st, listed_only, after, max, jid_collect, &s, total), PL_OK);
    return s;
}

static void put_room(struct fx *f, const char *jid, bool listed)
{
    struct room_row r = { .jid = jid, .name = "", .listed = listed, .config = "c" };
    assert_int_equal(room_put(&f->st, &r), PL_OK);
}

static int set_aff(struct fx *f, const char *room, const char *jid, int aff, const char *nick)
{
    struct room_aff_row a = { .jid = jid, .affiliation = aff, .nick = nick };
    return room_aff_set(&f->st, room, &a);
}

/* Appends message n to room's archive as muc/ would: a note to self of the room from an
 * occupant's nick; key n seconds and tag n like afx_put's, so sid_of(n) names it. */
static int room_msg(struct fx *f, const char *room, int n, const char *body)
{
    char xml[160];
    snprintf(xml, sizeof(xml), "<message type='groupchat'><body>%s</body></message>", body);
    struct archive_msg m = { .key = n * 1000000LL, .tag = (unsigned long long)n, .sender = room,
                             .rcpt = room, .sender_res = "nick", .rcpt_keeps = true,
                             .body = body, .xml = xml };
    return archive_append(&f->st, &m);
}

/* The ids of owner's archive (all of it, or the rows matching words). */
static struct got archive_of(struct fx *f, const char *owner, const char *words)
{
    struct archive_filter q = { .owner = owner, .fulltext = words, .max = 50 };
    struct got g = afx_query(f, &q);
    assert_int_equal(g.rc, PL_OK);
    return g;
}

/* The xml of message n in owner's archive. */
static struct got message(struct fx *f, const char *owner, int n)
{
    const char *ids[] = { sid_of(n) };
    struct archive_filter q = { .owner = owner, .ids = ids, .n_ids = 1, .max = 1 };
    struct got g = afx_query(f, &q);
    assert_int_equal(g.n, 1);
    return g;
}

static void test_room_round_trip(void **state)
{
    struct fx *f = *state;
    int rc;
    struct room_row full = { .jid = "lobby@muc.x", .name = "The Lobby", .listed = true,
                             .config = "members_only=0\npersistent=1", .subject = "Welcome",
                             .subject_by = "alice", .created = 1700000000 };
    struct room_row bare = { .jid = "quiet@muc.x", .name = "", .config = "", .created = 5 };
    struct seen s = load(f, "lobby@muc.x", &rc);
    assert_int_equal(rc, PL_ENOTFOUND);
    assert_int_equal(s.rooms + s.affs, 0);
    assert_int_equal(room_put(&f->st, &full), PL_OK);
    assert_int_equal(room_put(&f->st, &bare), PL_OK);
    s = load(f, "lobby@muc.x", &rc); /* the batch is visible before its commit */
    assert_int_equal(rc, PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    s = load(f, "lobby@muc.x", &rc);
    assert_int_equal(rc, PL_OK);
    assert_string_equal(s.text, "room lobby@muc.x|The Lobby|1|members_only=0\npersistent=1"
                                "|Welcome|alice|1700000000\n");
    assert_int_equal(s.affs, 0);
    s = load(f, "quiet@muc.x", &rc);
    assert_string_equal(s.text, "room quiet@muc.x||0||-|-|5\n");
    full.subject = full.subject_by = NULL; /* a replacement clears what it leaves out */
    full.name = NULL;                      /* NULL name stored as none */
    assert_int_equal(room_put(&f->st, &full), PL_OK);
    s = load(f, "lobby@muc.x", &rc);
    assert_string_equal(s.text,
                        "room lobby@muc.x||1|members_only=0\npersistent=1|-|-|1700000000\n");
    s = load(f, "LOBBY@muc.x", &rc); /* JIDs come prepared: no folding here */
    assert_int_equal(rc, PL_ENOTFOUND);
    assert_int_equal(s.rooms, 0);
}

static void test_room_affiliations(void **state)
{
    struct fx *f = *state;
    int rc;
    put_room(f, "r@m", true);
    put_room(f, "other@m", true);
    assert_int_equal(set_aff(f, "r@m", "zed@x", 10, NULL), PL_OK); /* not in JID order */
    struct room_aff_row bob = { .jid = "bob@x", .affiliation = 20, .reason = "trusted" };
    assert_int_equal(room_aff_set(&f->st, "r@m", &bob), PL_OK);
    assert_int_equal(set_aff(f, "r@m", "alice@x", 30, "Al"), PL_OK);
    assert_int_equal(set_aff(f, "r@m", "evil.example", 40, NULL), PL_OK); /* a domain */
    assert_int_equal(set_aff(f, "other@m", "alice@x", 50, NULL), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct seen s = load(f, "r@m", &rc);
    assert_int_equal(rc, PL_OK);
    assert_string_equal(s.text, "room r@m||1|c|-|-|0\naff alice@x|30|Al|-\naff bob@x|20|-|trusted\n"
                                "aff evil.example|40|-|-\naff zed@x|10|-|-\n");
    assert_int_equal(set_aff(f, "r@m", "alice@x", 20, "Alice"), PL_OK); /* replaces */
    assert_int_equal(set_aff(f, "r@m", "bob@x", 0, NULL), PL_OK);       /* removes */
    assert_int_equal(set_aff(f, "r@m", "carol@x", 0, NULL), PL_OK);     /* none: no-op */
    struct room_row again = { .jid = "r@m", .name = "Renamed", .config = "c2", .created = 7 };
    assert_int_equal(room_put(&f->st, &again), PL_OK); /* the affiliations stay */
    assert_int_equal(storage_flush(&f->st), PL_OK);
    s = load(f, "r@m", &rc);
    assert_string_equal(s.text, "room r@m|Renamed|0|c2|-|-|7\naff alice@x|20|Alice|-\n"
                                "aff evil.example|40|-|-\naff zed@x|10|-|-\n");
    s = load(f, "other@m", &rc);
    assert_string_equal(s.text, "room other@m||1|c|-|-|0\naff alice@x|50|-|-\n");
}

/* EXPLAIN QUERY PLAN of sql on the file at path, its lines joined by ';'. */
static void query_plan(const char *path, const char *sql, char *out, size_t len)
{
    char eqp[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &q, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(q) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s;", (const char *)sqlite3_column_text(q, 3));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* A listed-only page and its count read the partial index alone, in JID order. */
static void test_room_list_plan(void **state)
{
    struct fx *f = *state;
    char plan[512];
    query_plan(f->path, sq_sql[SQ_ROOM_LIST_LISTED], plan, sizeof(plan));
    assert_non_null(strstr(plan, "rooms_listed (jid>?)"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    query_plan(f->path, sq_sql[SQ_ROOM_COUNT_LISTED], plan, sizeof(plan));
    assert_non_null(strstr(plan, "rooms_listed"));
    query_plan(f->path, sq_sql[SQ_ROOM_LIST], plan, sizeof(plan));
    assert_null(strstr(plan, "TEMP B-TREE"));
}

/* Pages of rooms a..e@m, of which a, c and d are listed: what room_list gives, and its total. */
static const struct {
    bool listed_only;
    const char *after;
    size_t max;
    const char *jids;
    size_t total;
} pages[] = {
    { false, NULL, 10, "a@m,b@m,c@m,d@m,e@m", 5 }, { false, NULL, 2, "a@m,b@m", 5 },
    { false, "b@m", 2, "c@m,d@m", 5 },             { false, "d@m", 2, "e@m", 5 },
    { false, "e@m", 2, "", 5 },                    { false, NULL, 0, "", 5 },
    { true, NULL, 2, "a@m,c@m", 3 },               { true, "c@m", 2, "d@m", 3 },
    { true, "b@m", 9, "c@m,d@m", 3 },  /* after a room that is not listed */
    { true, "bz@m", 9, "c@m,d@m", 3 }, /* after a JID that is not stored */
    { true, "d@m", 9, "", 3 },         { false, NULL, SIZE_MAX, "a@m,b@m,c@m,d@m,e@m", 5 },
};

static void test_room_list(void **state)
{
    struct fx *f = *state;
    size_t total;
    struct seen s = list(f, true, NULL, 10, &total);
    assert_string_equal(s.text, "");
    assert_int_equal(total, 0);
    put_room(f, "d@m", true); /* put out of order */
    put_room(f, "b@m", false);
    put_room(f, "a@m", true);
    put_room(f, "e@m", false);
    put_room(f, "c@m", true);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    for (size_t i = 0; i < ARRAY_LEN(pages); i++) {
        s = list(f, pages[i].listed_only, pages[i].after, pages[i].max, &total);
        if (strcmp(s.text, pages[i].jids) != 0 || total != pages[i].total)
            print_message("page %zu\n", i);
        assert_string_equal(s.text, pages[i].jids);
        assert_int_equal(total, pages[i].total);
    }
    put_room(f, "a@m", false); /* a replacement moves rooms in and out of the listing */
    put_room(f, "b@m", true);
    s = list(f, true, NULL, 10, &total);
    assert_string_equal(s.text, "b@m,c@m,d@m");
    assert_int_equal(total, 3);
}

/* Room r@m with two affiliations and messages 1..3, 8 and (queued) 10; room keep@m with one
 * and messages 4, 5 and 9; a@x's message 6 to b@x and a private message 7 that reached a@x
 * through r@m (a@x's, naming the room); 1..7 indexed. r@m has archive preferences. */
static void fill_rooms(struct fx *f)
{
    put_room(f, "r@m", true);
    put_room(f, "keep@m", true);
    assert_int_equal(set_aff(f, "r@m", "a@x", 1, NULL), PL_OK);
    assert_int_equal(set_aff(f, "r@m", "b@x", 2, NULL), PL_OK);
    assert_int_equal(set_aff(f, "keep@m", "a@x", 1, NULL), PL_OK);
    for (int n = 1; n <= 3; n++)
        assert_int_equal(room_msg(f, "r@m", n, "gossip"), PL_OK);
    assert_int_equal(room_msg(f, "keep@m", 4, "gossip kept"), PL_OK);
    assert_int_equal(room_msg(f, "keep@m", 5, "gossip kept"), PL_OK);
    assert_int_equal(afx_put(f, "a@x", "b@x", 6, "gossip direct"), PL_OK);
    struct archive_msg pm = { .key = 7000000, .tag = 7, .sender = "r@m", .sender_res = "nick",
                              .rcpt = "a@x", .rcpt_keeps = true, .body = "gossip private",
                              .xml = "<pm/>" };
    assert_int_equal(archive_append(&f->st, &pm), PL_OK);
    const char *jids[] = { "a@x" };
    bool always[] = { true };
    assert_int_equal(archive_prefs_set(&f->st, "r@m", ARCHIVE_NEVER, jids, always, 1), PL_OK);
    afx_index_all(f);
    assert_int_equal(room_msg(f, "r@m", 8, "gossip"), PL_OK);
    assert_int_equal(room_msg(f, "keep@m", 9, "gossip kept"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(room_msg(f, "r@m", 10, "gossip"), PL_OK); /* still queued */
}

static void pref_count(void *ctx, const char *jid, bool always)
{
    (void)jid, (void)always;
    ++*(int *)ctx;
}

static long long owner_rows(struct fx *f, const char *jid)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM archive_owners WHERE jid = '%s'", jid);
    return raw_int_file(f->path, sql);
}

/* After test_room_delete's first deletion (of r@m): nothing else names keep@m, so its owner
 * number goes too, and a room made again under its JID starts an archive of its own. */
static void delete_unnamed_room(struct fx *f)
{
    assert_int_equal(room_delete(&f->st, "keep@m"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(owner_rows(f, "keep@m"), 0);
    assert_int_equal(archive_of(f, "keep@m", NULL).n, 0);
    assert_int_equal(room_msg(f, "keep@m", 11, "reborn"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_string_equal(archive_of(f, "keep@m", NULL).ids, "s11");
    assert_int_equal(room_delete(&f->st, "never@m"), PL_OK); /* nothing stored: no error */
    assert_int_equal(storage_flush(&f->st), PL_OK);
    afx_index_all(f);
    assert_string_equal(archive_of(f, "keep@m", "reborn").ids, "s11");
    assert_string_equal(archive_of(f, "a@x", "gossip").ids, "s6,s7");
    afx_check_index(f);
}

/* A deleted room takes its row, affiliations, archive and preferences along; other archives
 * keep theirs, including a@x's private message from the room. */
static void test_room_delete(void **state)
{
    struct fx *f = *state;
    int rc;
    enum archive_mode mode = ARCHIVE_ALWAYS;
    int prefs = 0;
    fill_rooms(f);
    assert_int_equal(room_delete(&f->st, "r@m"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    load(f, "r@m", &rc);
    assert_int_equal(rc, PL_ENOTFOUND);
    assert_int_equal(raw_int_file(f->path, "SELECT count(*) FROM room_affiliations"
                                           " WHERE room = 'r@m'"),
                     0);
    assert_int_equal(load(f, "keep@m", &rc).affs, 1);
    assert_int_equal(archive_of(f, "r@m", NULL).n, 0);
    assert_int_equal(archive_of(f, "r@m", "gossip").n, 0);
    assert_string_equal(archive_of(f, "keep@m", NULL).ids, "s4,s5,s9");
    assert_string_equal(archive_of(f, "keep@m", "gossip").ids, "s4,s5,s9");
    assert_string_equal(archive_of(f, "a@x", NULL).ids, "s6,s7");
    assert_string_equal(archive_of(f, "a@x", "private").ids, "s7");
    assert_int_equal(owner_rows(f, "r@m"), 1); /* message 7 still names it */
    assert_int_equal(archive_prefs_get(&f->st, "r@m", &mode, pref_count, &prefs), PL_OK);
    assert_int_equal(mode, ARCHIVE_ALWAYS); /* none stored: the caller's default stays */
    assert_int_equal(prefs, 0);
    afx_check_index(f);
    delete_unnamed_room(f);
}

/* archive_replace's PL_ENOTFOUND cases after test_archive_replace's messages 1..7. */
static void replace_not_found(struct fx *f)
{
    char other_tag[ARCHIVE_SID_LEN + 1];
    archive_sid_format(1000000, 77, other_tag); /* message 1's key with another tag */
    const struct {
        const char *owner, *sid;
    } none[] = {
        { "r@m", sid_of(4) },      /* a@x's message, not the room's */
        { "b@x", sid_of(4) },      /* b@x received it but does not keep it */
        { "c@x", sid_of(7) },      /* c@x sent it to a@x but does not keep it */
        { "nobody@x", sid_of(4) }, /* an owner with no archive */
        { "r@m", sid_of(99) },     /* no such message */
        { "r@m", other_tag },      /* the right key, not the right tag */
        { "r@m", "garbage" },      /* not a stanza-id */
        { "r@m", "" },
    };
    for (size_t i = 0; i < ARRAY_LEN(none); i++)
        assert_int_equal(archive_replace(&f->st, none[i].owner, none[i].sid, "x", "<x/>"),
                         PL_ENOTFOUND);
}

/* A moderator's retraction replaces one message of the room's archive, indexed or not, or
 * still queued; other owners' messages and unknown ids are not found. */
static void test_archive_replace(void **state)
{
    struct fx *f = *state;
    assert_int_equal(room_msg(f, "r@m", 1, "secret one"), PL_OK);
    assert_int_equal(room_msg(f, "r@m", 2, "plain two"), PL_OK);
    afx_index_all(f);
    assert_int_equal(room_msg(f, "r@m", 3, "typo three"), PL_OK);
    assert_int_equal(afx_put(f, "a@x", "b@x", 4, "secret direct"), PL_OK);
    assert_int_equal(afx_put(f, "a@x", "c@x", 7, "secret received"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(archive_replace(&f->st, "r@m", sid_of(1), NULL, "<retracted/>"), PL_OK);
    assert_int_equal(archive_replace(&f->st, "r@m", sid_of(3), "edited three", "<m3b/>"), PL_OK);
    assert_int_equal(room_msg(f, "r@m", 5, "queued five"), PL_OK);
    assert_int_equal(archive_replace(&f->st, "r@m", sid_of(5), "fresh five", "<m5b/>"), PL_OK);
    replace_not_found(f);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_string_equal(archive_of(f, "r@m", NULL).ids, "s1,s2,s3,s5");
    assert_string_equal(message(f, "r@m", 1).xml_last, "<retracted/>");
    assert_string_equal(message(f, "r@m", 3).xml_last, "<m3b/>");
    assert_string_equal(message(f, "r@m", 5).xml_last, "<m5b/>");
    assert_string_equal(message(f, "a@x", 4).xml_last,
                        "<message id='m4'><body>secret direct</body></message>");
    for (int pass = 0; pass < 2; pass++) { /* 3 and 5 scanned, then indexed */
        assert_int_equal(archive_of(f, "r@m", "secret").n, 0);
        assert_int_equal(archive_of(f, "r@m", "typo").n, 0);
        assert_string_equal(archive_of(f, "r@m", "edited").ids, "s3");
        assert_string_equal(archive_of(f, "r@m", "five").ids, "s5");
        assert_string_equal(archive_of(f, "a@x", "secret").ids, "s4,s7");
        afx_index_all(f);
    }
    afx_check_index(f);
}

/* Rooms, affiliations and the room's archive are all there after a reopen. */
static void test_room_reopen(void **state)
{
    struct fx *f = *state;
    int rc;
    struct room_row r = { .jid = "r@m", .name = "Room", .listed = true, .config = "cfg",
                          .subject = "topic", .subject_by = "mod", .created = 42 };
    assert_int_equal(room_put(&f->st, &r), PL_OK);
    put_room(f, "hidden@m", false);
    assert_int_equal(set_aff(f, "r@m", "a@x", 3, "ay"), PL_OK);
    assert_int_equal(room_msg(f, "r@m", 1, "hello"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    storage_close(&f->st);
    assert_int_equal(afx_open(f), 0);
    struct seen s = load(f, "r@m", &rc);
    assert_int_equal(rc, PL_OK);
    assert_string_equal(s.text, "room r@m|Room|1|cfg|topic|mod|42\naff a@x|3|ay|-\n");
    size_t total;
    assert_string_equal(list(f, false, NULL, 10, &total).text, "hidden@m,r@m");
    assert_string_equal(list(f, true, NULL, 10, &total).text, "r@m");
    assert_string_equal(archive_of(f, "r@m", "hello").ids, "s1");
}

static int fault_setup(void **state) { return tmp_store_fault_setup(state, afx_setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, afx_teardown); }

#define FAULT_RUNS 400

/* A room as it is stored: its row, how many affiliations and archived messages. */
struct room_state {
    bool row;
    size_t affs, msgs;
};

static struct room_state room_state(struct fx *f, const char *jid)
{
    int rc;
    struct seen s = load(f, jid, &rc);
    assert_true(rc == PL_OK || rc == PL_ENOTFOUND);
    return (struct room_state){ .row = rc == PL_OK, .affs = s.affs,
                                .msgs = archive_of(f, jid, NULL).n };
}

/* Writes room jid (row, one affiliation, message n) as one request: PL_OK when the flush
 * acknowledged it; after a failure the request's batch is rolled back, as the server does. */
static int write_room(struct fx *f, const char *jid, int n)
{
    struct room_row r = { .jid = jid, .name = "", .config = "c", .created = n };
    int rc = room_put(&f->st, &r);
    if (rc == PL_OK)
        rc = set_aff(f, jid, "a@x", 1, NULL);
    if (rc == PL_OK)
        rc = room_msg(f, jid, n, "fault");
    if (rc == PL_OK)
        rc = storage_flush(&f->st);
    if (rc != PL_OK)
        storage_rollback(&f->st);
    return rc;
}

/* The Nth I/O call fails for every N in turn: a room written in one batch is there whole
 * after a clean reopen when acknowledged, and not at all when not. */
static void test_room_writes_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_RUNS] = { false };
    char jid[32];
    struct capture cap = { 0 };
    unsigned n = 1, failed = 0;
    capture_begin(&cap);
    for (; n < FAULT_RUNS; n++) {
        snprintf(jid, sizeof(jid), "r%u@m", n);
        fault_vfs_arm((int)n);
        acked[n] = write_room(f, jid, (int)n) == PL_OK;
        failed += !acked[n];
        if (!fault_vfs_fired())
            break;
    }
    fault_vfs_arm(0);
    free(capture_end(&cap));
    assert_true(n < FAULT_RUNS); /* some request met no fault at all */
    storage_close(&f->st);
    assert_int_equal(afx_open(f), 0);
    for (unsigned i = 1; i <= n; i++) {
        snprintf(jid, sizeof(jid), "r%u@m", i);
        struct room_state got = room_state(f, jid);
        assert_int_equal(got.row, acked[i]);
        assert_int_equal(got.affs, acked[i]);
        assert_int_equal(got.msgs, acked[i]);
    }
    print_message("room writes: %u fault points, %u answered an error\n", n - 1, failed);
    assert_true(failed > 0);
    afx_check_index(f);
}

/* Room jid with one affiliation and messages 2n and 2n + 1, indexed and committed. */
static void make_room(struct fx *f, const char *jid, int n)
{
    put_room(f, jid, true);
    assert_int_equal(set_aff(f, jid, "a@x", 1, NULL), PL_OK);
    assert_int_equal(room_msg(f, jid, 2 * n, "doomed"), PL_OK);
    assert_int_equal(room_msg(f, jid, 2 * n + 1, "doomed"), PL_OK);
    afx_index_all(f);
}

/* The same for room_delete: an acknowledged deletion took all of the room, an unacknowledged
 * one none of it (the request's batch rolled back), and the index stays consistent. */
static void test_room_delete_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_RUNS] = { false };
    char jid[32];
    struct capture cap = { 0 };
    unsigned n = 1, failed = 0;
    capture_begin(&cap);
    for (; n < FAULT_RUNS; n++) {
        snprintf(jid, sizeof(jid), "d%u@m", n);
        make_room(f, jid, (int)n);
        fault_vfs_arm((int)n);
        int rc = room_delete(&f->st, jid);
        rc = rc == PL_OK ? storage_flush(&f->st) : rc;
        if (rc != PL_OK)
            storage_rollback(&f->st);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        acked[n] = rc == PL_OK;
        failed += !acked[n];
        if (!fired)
            break;
    }
    free(capture_end(&cap));
    assert_true(n < FAULT_RUNS);
    storage_close(&f->st);
    assert_int_equal(afx_open(f), 0);
    for (unsigned i = 1; i <= n; i++) {
        snprintf(jid, sizeof(jid), "d%u@m", i);
        struct room_state got = room_state(f, jid);
        assert_int_equal(got.row, !acked[i]);
        assert_int_equal(got.affs, !acked[i]);
        assert_int_equal(got.msgs, acked[i] ? 0 : 2);
    }
    print_message("room deletes: %u fault points, %u answered an error\n", n - 1, failed);
    assert_true(failed > 0);
    afx_check_index(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_room_round_trip, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_affiliations, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_list_plan, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_list, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_delete, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_replace, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_reopen, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_room_writes_under_faults, fault_setup,
                                        fault_teardown),
        cmocka_unit_test_setup_teardown(test_room_delete_under_faults, fault_setup,
                                        fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
