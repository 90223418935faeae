/* SPDX-License-Identifier: MIT */
/* The SQLite backend's schema steps and the SQL of every statement it prepares. */
#include "sqlite_int.h"

#include "base.h"

/*
 * Schema steps: sq_migrations[i] takes user_version i to i + 1 in one transaction. Append rows,
 * never edit one. Multi-line SQL here and in sq_sql[] sits in parentheses so that clang's
 * -Wstring-concatenation (the fuzz build) does not take it for a missing comma.
 */
/* In the account-deletion trigger: the archive rows of the deleted account's owner number,
 * and its side's bits in one row's keep (1: it sent the row, 2: it received it). */
#define GONE_OID "(SELECT oid FROM archive_owners WHERE jid = OLD.jid)"
#define GONE_ROWS                                                                              \
    "SELECT rowid FROM archive_index WHERE archive_index MATCH 'keys : o' || " GONE_OID         \
    " UNION ALL SELECT id FROM archive_msgs WHERE id > (SELECT upto FROM archive_fts_state)"    \
    " AND (sender = " GONE_OID " OR rcpt = " GONE_OID ")"
#define GONE_BITS "((sender = " GONE_OID ") | (rcpt = " GONE_OID ") * 2)"
/* archive_msgs' columns but the last (keys), as migrations 7 and 8 make the table. */
#define ARCHIVE_MSGS_COLUMNS                                                                   \
    " id INTEGER PRIMARY KEY, tag INTEGER NOT NULL, sender INTEGER NOT NULL,"                  \
    " rcpt INTEGER NOT NULL, keep INTEGER NOT NULL, sender_res TEXT, rcpt_res TEXT,"           \
    " msg_id TEXT, origin_id TEXT, body TEXT, xml TEXT NOT NULL,"
/* The archive's triggers, as migration 7 made them and 8 makes them again over the new
 * table: an indexed row leaves the index with the keys and body it went in with. */
#define INDEX_DEL_TRIGGER                                                                      \
    "CREATE TRIGGER archive_index_del AFTER DELETE ON archive_msgs"                             \
    " WHEN OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"                               \
    " INSERT INTO archive_index (archive_index, rowid, keys, body)"                            \
    " VALUES ('delete', OLD.id, OLD.keys, OLD.body);"                                          \
    " END;"
#define INDEX_UPD_BODY                                                                         \
    " WHEN OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"                               \
    " INSERT INTO archive_index (archive_index, rowid, keys, body)"                            \
    " VALUES ('delete', OLD.id, OLD.keys, OLD.body);"                                          \
    " INSERT INTO archive_index (rowid, keys, body) VALUES (NEW.id, NEW.keys, NEW.body);"      \
    " END;"
/* The update trigger as migrations 8 and 9 make it, keys being a column of its own. */
#define INDEX_UPD_TRIGGER                                                                      \
    "CREATE TRIGGER archive_index_upd AFTER UPDATE OF keep, keys, body ON archive_msgs"        \
    INDEX_UPD_BODY
/* UPDATE_KEEP: how the rows that the deleted account no longer keeps are updated. */
#define ACCOUNT_GONE_TRIGGER(UPDATE_KEEP)                                                      \
    "CREATE TRIGGER archive_account_gone AFTER DELETE ON accounts"                             \
    " WHEN EXISTS (SELECT 1 FROM archive_owners WHERE jid = OLD.jid) BEGIN"                    \
    " DELETE FROM archive_msgs WHERE id IN (" GONE_ROWS ") AND keep & ~" GONE_BITS " = 0;"     \
    " " UPDATE_KEEP " WHERE id IN (" GONE_ROWS ");"                                            \
    " DELETE FROM archive_prefs WHERE owner = OLD.jid;"                                        \
    " DELETE FROM archive_pref_jids WHERE owner = OLD.jid;"                                    \
    " END"

const char *const sq_migrations[] = {
    /* 1: accounts with SCRAM credentials for both hashes; the password is never stored. */
    ("CREATE TABLE accounts ("
     " jid TEXT PRIMARY KEY NOT NULL,"
     " salt BLOB NOT NULL,"
     " iterations INTEGER NOT NULL,"
     " stored_key_sha1 BLOB NOT NULL,"
     " server_key_sha1 BLOB NOT NULL,"
     " stored_key_sha256 BLOB NOT NULL,"
     " server_key_sha256 BLOB NOT NULL,"
     " created INTEGER NOT NULL)"),
    /* 2: rosters (items with their subscription state and any pending inbound request),
     * roster versions (XEP-0237) and last logouts (XEP-0012). */
    ("CREATE TABLE roster_items ("
     " owner TEXT NOT NULL,"
     " contact TEXT NOT NULL,"
     " name TEXT,"
     " groups TEXT NOT NULL DEFAULT '',"
     " state INTEGER NOT NULL,"
     " in_roster INTEGER NOT NULL,"
     " status TEXT,"
     " PRIMARY KEY (owner, contact)) WITHOUT ROWID;"
     "CREATE TABLE roster_versions ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " ver INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE last_activity ("
     " jid TEXT PRIMARY KEY NOT NULL,"
     " seconds INTEGER NOT NULL,"
     " status TEXT) WITHOUT ROWID;"
     /* A deleted account takes its roster and history along (parleyctl deluser). */
     "CREATE TRIGGER roster_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM roster_items WHERE owner = OLD.jid;"
     " DELETE FROM roster_versions WHERE owner = OLD.jid;"
     " DELETE FROM last_activity WHERE jid = OLD.jid;"
     " END"),
    /* 3: privacy lists (XEP-0016; the XEP-0191 blocklist is one of them): a list exists while
     * it has items; kinds are the item's stanza-kind bits; the default list per account. */
    ("CREATE TABLE privacy_items ("
     " owner TEXT NOT NULL,"
     " list TEXT NOT NULL,"
     " ord INTEGER NOT NULL,"
     " type INTEGER NOT NULL,"
     " value TEXT,"
     " allow INTEGER NOT NULL,"
     " kinds INTEGER NOT NULL,"
     " PRIMARY KEY (owner, list, ord)) WITHOUT ROWID;"
     "CREATE TABLE privacy_defaults ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " list TEXT NOT NULL) WITHOUT ROWID"),
    /* 4: a deleted account takes its privacy lists along, like its roster (migration 2); rows
     * left by accounts deleted before this step go now, so a new account of the same name
     * does not inherit them. */
    ("DELETE FROM privacy_items WHERE owner NOT IN (SELECT jid FROM accounts);"
     "DELETE FROM privacy_defaults WHERE owner NOT IN (SELECT jid FROM accounts);"
     "CREATE TRIGGER privacy_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM privacy_items WHERE owner = OLD.jid;"
     " DELETE FROM privacy_defaults WHERE owner = OLD.jid;"
     " END"),
    /* 5: the message archive (XEP-0313). Owners are numbered (archive_owners) so that rows and
     * indexes stay small; ts is strictly increasing in id order (the backend ensures it), so
     * time order, id order and FTS rowid order agree. archive_fts indexes the body with the
     * owner's number as a column, so a search is one MATCH that skips other owners' rows.
     * IF NOT EXISTS: a file rewound to an older version by hand keeps working. */
    ("CREATE TABLE IF NOT EXISTS archive_owners ("
     " oid INTEGER PRIMARY KEY,"
     " jid TEXT NOT NULL UNIQUE);"
     "CREATE TABLE IF NOT EXISTS archive ("
     " id INTEGER PRIMARY KEY,"
     " owner INTEGER NOT NULL,"
     " stanza_id TEXT NOT NULL,"
     " peer TEXT NOT NULL,"
     " peer_res TEXT NOT NULL DEFAULT '',"
     " ts INTEGER NOT NULL,"
     " sent INTEGER NOT NULL,"
     " msg_id TEXT,"
     " origin_id TEXT,"
     " body TEXT,"
     " xml TEXT NOT NULL);"
     "CREATE UNIQUE INDEX IF NOT EXISTS archive_by_sid ON archive (owner, stanza_id);"
     "CREATE INDEX IF NOT EXISTS archive_by_peer ON archive (owner, peer, ts);"
     "CREATE INDEX IF NOT EXISTS archive_by_ts ON archive (owner, ts);"
     "CREATE INDEX IF NOT EXISTS archive_by_origin_id ON archive (owner, peer, origin_id)"
     " WHERE origin_id IS NOT NULL;"
     "CREATE VIRTUAL TABLE IF NOT EXISTS archive_fts USING fts5(owner, body, content='archive',"
     " content_rowid='id');"
     /* Rows up to archive_fts_state.upto are in the index; archive_index adds the newer ones
      * in batches (one FTS5 segment per small commit would cost every message dearly). */
     "CREATE TABLE IF NOT EXISTS archive_fts_state ("
     " k INTEGER PRIMARY KEY CHECK (k = 0),"
     " upto INTEGER NOT NULL);"
     "INSERT OR IGNORE INTO archive_fts_state (k, upto) VALUES (0, 0);"
     "CREATE TRIGGER IF NOT EXISTS archive_fts_del AFTER DELETE ON archive"
     " WHEN OLD.body IS NOT NULL AND OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"
     " INSERT INTO archive_fts (archive_fts, rowid, owner, body)"
     " VALUES ('delete', OLD.id, OLD.owner, OLD.body);"
     " END;"
     /* One trigger for both steps: SQLite does not promise an order between triggers. */
     "CREATE TRIGGER IF NOT EXISTS archive_fts_upd AFTER UPDATE OF body ON archive"
     " WHEN OLD.id <= (SELECT upto FROM archive_fts_state) BEGIN"
     " INSERT INTO archive_fts (archive_fts, rowid, owner, body)"
     " SELECT 'delete', OLD.id, OLD.owner, OLD.body WHERE OLD.body IS NOT NULL;"
     " INSERT INTO archive_fts (rowid, owner, body)"
     " SELECT NEW.id, NEW.owner, NEW.body WHERE NEW.body IS NOT NULL;"
     " END;"
     "CREATE TABLE IF NOT EXISTS archive_prefs ("
     " owner TEXT PRIMARY KEY NOT NULL,"
     " mode INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE IF NOT EXISTS archive_pref_jids ("
     " owner TEXT NOT NULL,"
     " jid TEXT NOT NULL,"
     " always INTEGER NOT NULL,"
     " PRIMARY KEY (owner, jid)) WITHOUT ROWID;"
     /* A deleted account takes its archive and preferences along. */
     "CREATE TRIGGER IF NOT EXISTS archive_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM archive WHERE owner = (SELECT oid FROM archive_owners WHERE jid = OLD.jid);"
     " DELETE FROM archive_owners WHERE jid = OLD.jid;"
     " DELETE FROM archive_prefs WHERE owner = OLD.jid;"
     " DELETE FROM archive_pref_jids WHERE owner = OLD.jid;"
     " END"),
    /* 6: offline messages (XEP-0160) in arrival order; AUTOINCREMENT so that an id is never
     * given twice, even after every row went; a stanza-id is stored once per owner, so the
     * same message kept again (e.g. after a stream-management session expired) is ignored.
     * A deleted account takes them along, like its roster (migration 2). */
    ("CREATE TABLE offline_messages ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " owner TEXT NOT NULL,"
     " stamp INTEGER NOT NULL,"
     " stanza_id TEXT,"
     " xml BLOB NOT NULL,"
     " UNIQUE (owner, stanza_id));"
     "CREATE INDEX offline_by_owner ON offline_messages (owner, id);"
     "CREATE TRIGGER offline_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM offline_messages WHERE owner = OLD.jid;"
     " END"),
    /* 7: the archive keeps one row per message, shared by the sender's and the recipient's
     * archives (keep says whose), keyed by its archive key (the archiving time in us, which
     * its stanza-id spells). Every lookup goes through one FTS5 index, filled in batches:
     * each row's generated keys column gives tokens for the owners that keep it (o<owner>)
     * and for its conversation (c<lower>x<higher>); the body column gives the words. Rows not yet indexed (after
     * archive_fts_state.upto) are few, and queries scan them. Separate B-tree indexes per
     * owner and conversation cost every message a written page each per commit; this costs
     * one append. Rows of the old table come along (their stanza-ids change). */
    ("CREATE TABLE archive_msgs (" ARCHIVE_MSGS_COLUMNS
     " keys TEXT GENERATED ALWAYS AS ("
     "  CASE WHEN keep & 1 THEN 'o' || sender || ' ' ELSE '' END"
     "  || CASE WHEN keep & 2 AND (rcpt <> sender OR keep = 2) THEN 'o' || rcpt || ' ' ELSE '' END"
     "  || 'c' || min(sender, rcpt) || 'x' || max(sender, rcpt)) VIRTUAL);"
     "INSERT OR IGNORE INTO archive_owners (jid) SELECT DISTINCT peer FROM archive;"
     "INSERT INTO archive_msgs (id, tag, sender, rcpt, keep, sender_res, rcpt_res, msg_id,"
     " origin_id, body, xml)"
     " SELECT a.ts, 0, CASE WHEN a.sent THEN a.owner ELSE p.oid END,"
     " CASE WHEN a.sent THEN p.oid ELSE a.owner END, CASE WHEN a.sent THEN 1 ELSE 2 END,"
     " CASE WHEN a.sent THEN NULL ELSE nullif(a.peer_res, '') END,"
     " CASE WHEN a.sent THEN nullif(a.peer_res, '') ELSE NULL END, a.msg_id, a.origin_id,"
     " a.body, a.xml FROM archive a JOIN archive_owners p ON p.jid = a.peer ORDER BY a.id;"
     "DROP TRIGGER archive_account_gone;"
     "DROP TRIGGER archive_fts_del;"
     "DROP TRIGGER archive_fts_upd;"
     "DROP TABLE archive_fts;"
     "DROP TABLE archive;"
     "UPDATE archive_fts_state SET upto = 0;"
     "CREATE VIRTUAL TABLE archive_index USING fts5(keys, body, content='archive_msgs',"
     " content_rowid='id', columnsize=0);"
     /* Segments merge 8 at a time rather than 4: half the rewriting for each message, and
      * a lookup still reads only a few dozen segments. */
     "INSERT INTO archive_index (archive_index, rank) VALUES ('automerge', 8);"
     INDEX_DEL_TRIGGER
     /* One trigger for both steps: SQLite does not promise an order between triggers. */
     "CREATE TRIGGER archive_index_upd AFTER UPDATE OF keep, body ON archive_msgs" INDEX_UPD_BODY
     /* A deleted account's archive goes: rows only it kept are deleted, and it no longer
     * keeps the others. Owner numbers stay (the other party's rows name it). */
     ACCOUNT_GONE_TRIGGER("UPDATE archive_msgs SET keep = keep & ~" GONE_BITS)),
    /* 8: keys becomes a plain column that the insert writes (sq_archive_keys), no longer a
     * generated one: SQLite evaluated the generated expression on every insert and again for
     * the index, a fifth of an archived message's write cost. The account-deletion trigger
     * recomputes it with the same C code, through the SQL function archive_keys (registered
     * on the writing connection). Rows keep their ids and keys, so the index stays valid. */
    ("DROP TRIGGER archive_account_gone;"
     "CREATE TABLE archive_msgs_8 (" ARCHIVE_MSGS_COLUMNS " keys TEXT NOT NULL);"
     "INSERT INTO archive_msgs_8 SELECT id, tag, sender, rcpt, keep, sender_res, rcpt_res,"
     " msg_id, origin_id, body, xml, keys FROM archive_msgs ORDER BY id;"
     "DROP TABLE archive_msgs;"
     "ALTER TABLE archive_msgs_8 RENAME TO archive_msgs;"
     INDEX_DEL_TRIGGER
     INDEX_UPD_TRIGGER
     ACCOUNT_GONE_TRIGGER("UPDATE archive_msgs SET keep = keep & ~" GONE_BITS
                          ", keys = archive_keys(sender, rcpt, keep & ~" GONE_BITS ")")),
    /* 9: a row's tokens name each party, o<owner> when it keeps the row and p<owner> when
     * not (a note to self: o<owner> s<owner>), and no longer the conversation: its token
     * (c<lower>x<higher>) was a new term of the index for nearly every message, a third of
     * the index's cost, and a conversation is the rows naming both parties. The index is
     * made again from the same rows, in one pass rather than a delete and an insert each. */
    ("DROP TRIGGER archive_index_upd;"
     "UPDATE archive_msgs SET keys = archive_keys(sender, rcpt, keep);"
     "INSERT INTO archive_index (archive_index) VALUES ('delete-all');"
     "INSERT INTO archive_index (rowid, keys, body) SELECT id, keys, body FROM archive_msgs"
     " WHERE id <= (SELECT upto FROM archive_fts_state);"
     INDEX_UPD_TRIGGER),
    /* 10: group chat rooms (XEP-0045): the room with muc/'s configuration as opaque text, and
     * its affiliations, one row per JID (a JID without one has none). A room's messages are
     * archived in archive_msgs as notes to self of the room's JID, so they need no table.
     * rooms_listed holds only the public rooms: a disco#items page and its count read those
     * alone, however many private rooms there are. IF NOT EXISTS: a file rewound to an older
     * version by hand keeps working. */
    ("CREATE TABLE IF NOT EXISTS rooms ("
     " jid TEXT PRIMARY KEY NOT NULL,"
     " name TEXT NOT NULL,"
     " listed INTEGER NOT NULL,"
     " config TEXT NOT NULL,"
     " subject TEXT,"
     " subject_by TEXT,"
     " created INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX IF NOT EXISTS rooms_listed ON rooms (jid) WHERE listed = 1;"
     "CREATE TABLE IF NOT EXISTS room_affiliations ("
     " room TEXT NOT NULL,"
     " jid TEXT NOT NULL,"
     " affiliation INTEGER NOT NULL,"
     " nick TEXT,"
     " reason TEXT,"
     " PRIMARY KEY (room, jid)) WITHOUT ROWID"),
    /* 11: XML an account keeps on the server (vCard, private XML storage), one row per
     * fragment; a deleted account takes its fragments along. */
    ("CREATE TABLE IF NOT EXISTS userdata ("
     " owner TEXT NOT NULL,"
     " kind INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " xml TEXT NOT NULL,"
     " PRIMARY KEY (owner, kind, name)) WITHOUT ROWID;"
     "CREATE TRIGGER IF NOT EXISTS userdata_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM userdata WHERE owner = OLD.jid;"
     " END"),
    /* 12: publish-subscribe (XEP-0060; XEP-0163 PEP services are an account's bare JID):
     * nodes with pubsub/'s configuration as opaque text, items, and members (affiliation and
     * subscription; a JID without a row has neither). Items keep a rowid: their XML can fill
     * pages, and SQLite advises against WITHOUT ROWID for large rows. Loading reads items in
     * publish order (pubsub_items_by_seq). A deleted account takes its PEP service along and
     * leaves every node it was a member of, by bare or full JID (pubsub_members_by_jid finds
     * those rows: '0' follows '/'). */
    ("CREATE TABLE IF NOT EXISTS pubsub_nodes ("
     " service TEXT NOT NULL,"
     " node TEXT NOT NULL,"
     " config TEXT NOT NULL,"
     " PRIMARY KEY (service, node)) WITHOUT ROWID;"
     "CREATE TABLE IF NOT EXISTS pubsub_items ("
     " service TEXT NOT NULL,"
     " node TEXT NOT NULL,"
     " id TEXT NOT NULL,"
     " seq INTEGER NOT NULL,"
     " publisher TEXT,"
     " xml TEXT NOT NULL,"
     " PRIMARY KEY (service, node, id));"
     "CREATE INDEX IF NOT EXISTS pubsub_items_by_seq ON pubsub_items (service, node, seq);"
     "CREATE TABLE IF NOT EXISTS pubsub_members ("
     " service TEXT NOT NULL,"
     " node TEXT NOT NULL,"
     " jid TEXT NOT NULL,"
     " affiliation INTEGER NOT NULL,"
     " subscription INTEGER NOT NULL,"
     " PRIMARY KEY (service, node, jid)) WITHOUT ROWID;"
     "CREATE INDEX IF NOT EXISTS pubsub_members_by_jid ON pubsub_members (jid);"
     "CREATE TRIGGER IF NOT EXISTS pubsub_account_gone AFTER DELETE ON accounts BEGIN"
     " DELETE FROM pubsub_items WHERE service = OLD.jid;"
     " DELETE FROM pubsub_members WHERE service = OLD.jid;"
     " DELETE FROM pubsub_nodes WHERE service = OLD.jid;"
     " DELETE FROM pubsub_members WHERE jid = OLD.jid"
     " OR (jid > OLD.jid || '/' AND jid < OLD.jid || '0');"
     " END"),
};

/* The room statements' result columns, in the order sqlite_muc.c reads them. listed is
 * written as 0 or 1, so "listed = 1" selects what rooms_listed holds. */
#define ROOM_SELECT "SELECT jid, name, listed, config, subject, subject_by, created FROM rooms"
/* The archive rows not indexed yet (queries scan them). */
#define ARCHIVE_TAIL "archive_msgs WHERE id > (SELECT upto FROM archive_fts_state)"

/* One row per enum sq_stmt_id. Insert and update share ?1..?7 (jid, salt, iterations, the four
 * keys), so one bind helper serves both. */
const char *const sq_sql[SQ_STMT_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_ACCOUNT_INSERT] = ("INSERT INTO accounts (jid, salt, iterations, stored_key_sha1,"
                           " server_key_sha1, stored_key_sha256, server_key_sha256, created)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
    [SQ_ACCOUNT_UPDATE] = ("UPDATE accounts SET salt = ?2, iterations = ?3, stored_key_sha1 = ?4,"
                           " server_key_sha1 = ?5, stored_key_sha256 = ?6,"
                           " server_key_sha256 = ?7 WHERE jid = ?1"),
    [SQ_ACCOUNT_DELETE] = "DELETE FROM accounts WHERE jid = ?1",
    [SQ_ACCOUNT_GET] = ("SELECT salt, iterations, stored_key_sha1, server_key_sha1,"
                        " stored_key_sha256, server_key_sha256 FROM accounts WHERE jid = ?1"),
    [SQ_ACCOUNT_LIST] = "SELECT jid FROM accounts ORDER BY jid",
    [SQ_ACCOUNT_ANY] = "SELECT 1 FROM accounts LIMIT 1",
    [SQ_ROSTER_LOAD] = ("SELECT contact, name, groups, state, in_roster, status FROM roster_items"
                        " WHERE owner = ?1"),
    [SQ_ROSTER_PUT] = ("INSERT OR REPLACE INTO roster_items (owner, contact, name, groups, state,"
                       " in_roster, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    [SQ_ROSTER_REMOVE] = "DELETE FROM roster_items WHERE owner = ?1 AND contact = ?2",
    [SQ_ROSTER_VER_GET] = "SELECT ver FROM roster_versions WHERE owner = ?1",
    [SQ_ROSTER_VER_SET] = "INSERT OR REPLACE INTO roster_versions (owner, ver) VALUES (?1, ?2)",
    [SQ_LAST_GET] = "SELECT seconds, status FROM last_activity WHERE jid = ?1",
    [SQ_LAST_SET] = ("INSERT OR REPLACE INTO last_activity (jid, seconds, status)"
                     " VALUES (?1, ?2, ?3)"),
    [SQ_PRIVACY_LOAD] = ("SELECT list, ord, type, value, allow, kinds FROM privacy_items"
                         " WHERE owner = ?1 ORDER BY list, ord"),
    [SQ_PRIVACY_DEFAULT_GET] = "SELECT list FROM privacy_defaults WHERE owner = ?1",
    [SQ_PRIVACY_LIST_DELETE] = "DELETE FROM privacy_items WHERE owner = ?1 AND list = ?2",
    [SQ_PRIVACY_ITEM_INSERT] = ("INSERT INTO privacy_items (owner, list, ord, type, value, allow,"
                                " kinds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    [SQ_PRIVACY_DEFAULT_SET] = ("INSERT OR REPLACE INTO privacy_defaults (owner, list)"
                                " VALUES (?1, ?2)"),
    [SQ_PRIVACY_DEFAULT_CLEAR] = "DELETE FROM privacy_defaults WHERE owner = ?1",
    [SQ_PRIVACY_SAVEPOINT] = "SAVEPOINT privacy_list",
    [SQ_PRIVACY_RELEASE] = "RELEASE privacy_list",
    [SQ_PRIVACY_ROLLBACK_TO] = "ROLLBACK TO privacy_list",
    [SQ_ARCHIVE_OWNER_ADD] = "INSERT OR IGNORE INTO archive_owners (jid) VALUES (?1)",
    [SQ_ARCHIVE_OWNER_GET] = "SELECT oid FROM archive_owners WHERE jid = ?1",
    [SQ_ARCHIVE_INSERT] = ("INSERT INTO archive_msgs (id, tag, sender, rcpt, keep, sender_res,"
                           " rcpt_res, msg_id, origin_id, body, xml, keys)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
    [SQ_ARCHIVE_LAST_KEY] = "SELECT max(id) FROM archive_msgs",
    /* The candidates: the newest 10,000 indexed rows of the conversation (?4; XEP-0308
     * corrects the last message, a retraction is rarely older) and the rows not indexed yet.
     * ?1 and ?2 are the sender's and recipient's numbers. */
    [SQ_ARCHIVE_AMEND] = ("UPDATE archive_msgs SET body = ?5, xml = ?6 WHERE id = (SELECT max(id)"
                          " FROM archive_msgs WHERE id IN (SELECT id FROM (SELECT rowid AS id"
                          " FROM archive_index WHERE archive_index MATCH ?4 ORDER BY rowid DESC"
                          " LIMIT 10000) UNION ALL SELECT id FROM archive_msgs WHERE"
                          " id > (SELECT upto FROM archive_fts_state)) AND sender = ?1"
                          " AND rcpt = ?2 AND (msg_id = ?3 OR origin_id = ?3))"),
    /* ?1 and ?2: the key and tag a stanza-id spells; ?3 the owner whose archive keeps it. */
    [SQ_ARCHIVE_REPLACE] = ("UPDATE archive_msgs SET body = ?4, xml = ?5 WHERE id = ?1"
                            " AND tag = ?2 AND EXISTS (SELECT 1 FROM archive_owners o"
                            " WHERE o.jid = ?3 AND ((sender = o.oid AND keep & 1)"
                            " OR (rcpt = o.oid AND keep & 2)))"),
    /* Oldest first by key (the time order): stops at the first row still young enough. */
    [SQ_ARCHIVE_PURGE] = ("DELETE FROM archive_msgs WHERE id IN (SELECT id FROM archive_msgs"
                          " ORDER BY id LIMIT ?2) AND id < ?1"),
    [SQ_ARCHIVE_FTS_UPTO] = "SELECT upto FROM archive_fts_state",
    [SQ_ARCHIVE_FTS_NEXT] = ("SELECT max(id), count(*) FROM (SELECT id FROM archive_msgs WHERE id > ?1"
                             " ORDER BY id LIMIT ?2)"),
    [SQ_ARCHIVE_FTS_ADD] = ("INSERT INTO archive_index (rowid, keys, body) SELECT id, keys, body"
                            " FROM archive_msgs WHERE id > ?1 AND id <= ?2"),
    [SQ_ARCHIVE_FTS_SET] = "UPDATE archive_fts_state SET upto = ?1",
    [SQ_ARCHIVE_PREFS_GET] = "SELECT mode FROM archive_prefs WHERE owner = ?1",
    [SQ_ARCHIVE_PREFS_PUT] = ("INSERT OR REPLACE INTO archive_prefs (owner, mode)"
                              " VALUES (?1, ?2)"),
    [SQ_ARCHIVE_PREF_JIDS] = ("SELECT jid, always FROM archive_pref_jids WHERE owner = ?1"
                              " ORDER BY jid"),
    [SQ_ARCHIVE_PREF_JID_GET] = ("SELECT always FROM archive_pref_jids WHERE owner = ?1"
                                 " AND jid = ?2"),
    [SQ_ARCHIVE_PREF_JIDS_CLEAR] = "DELETE FROM archive_pref_jids WHERE owner = ?1",
    [SQ_ARCHIVE_PREF_JID_PUT] = ("INSERT OR REPLACE INTO archive_pref_jids (owner, jid, always)"
                                 " VALUES (?1, ?2, ?3)"),
    [SQ_OFFLINE_COUNT] = "SELECT count(*) FROM offline_messages WHERE owner = ?1",
    [SQ_OFFLINE_PUT] = ("INSERT INTO offline_messages (owner, stamp, stanza_id, xml)"
                        " VALUES (?1, ?2, ?3, ?4)"),
    [SQ_OFFLINE_LOAD] = ("SELECT id, stamp, stanza_id, xml FROM offline_messages"
                         " WHERE owner = ?1 AND id > ?2 ORDER BY id LIMIT ?3"),
    [SQ_OFFLINE_DELETE] = "DELETE FROM offline_messages WHERE owner = ?1 AND id <= ?2",
    [SQ_ROOM_GET] = (ROOM_SELECT " WHERE jid = ?1"),
    [SQ_ROOM_AFFS] = ("SELECT jid, affiliation, nick, reason FROM room_affiliations"
                      " WHERE room = ?1 ORDER BY jid"),
    [SQ_ROOM_PUT] = ("INSERT OR REPLACE INTO rooms (jid, name, listed, config, subject,"
                     " subject_by, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
    [SQ_ROOM_DELETE] = "DELETE FROM rooms WHERE jid = ?1",
    [SQ_ROOM_AFFS_DELETE] = "DELETE FROM room_affiliations WHERE room = ?1",
    [SQ_ROOM_AFF_PUT] = ("INSERT OR REPLACE INTO room_affiliations (room, jid, affiliation, nick,"
                         " reason) VALUES (?1, ?2, ?3, ?4, ?5)"),
    [SQ_ROOM_AFF_REMOVE] = "DELETE FROM room_affiliations WHERE room = ?1 AND jid = ?2",
    /* Pages by JID: ?1 is the last JID of the previous page ("" for the first). */
    [SQ_ROOM_LIST] = (ROOM_SELECT " WHERE jid > ?1 ORDER BY jid LIMIT ?2"),
    [SQ_ROOM_LIST_LISTED] = (ROOM_SELECT " WHERE listed = 1 AND jid > ?1 ORDER BY jid LIMIT ?2"),
    [SQ_ROOM_COUNT] = "SELECT count(*) FROM rooms",
    [SQ_ROOM_COUNT_LISTED] = "SELECT count(*) FROM rooms WHERE listed = 1",
    /* A room's archive: its notes to self (?1 the room's owner number), found like the
     * account-deletion trigger finds rows, through the index (?2: the MATCH for them) and
     * in the unindexed tail. The delete trigger takes indexed rows out of the index. */
    [SQ_ROOM_ARCHIVE_DELETE] = ("DELETE FROM archive_msgs WHERE id IN (SELECT rowid FROM"
                                " archive_index WHERE archive_index MATCH ?2 UNION ALL SELECT id"
                                " FROM " ARCHIVE_TAIL " AND sender = ?1) AND sender = ?1"
                                " AND rcpt = ?1"),
    /* The number goes only when no row names it any more (o: keeps it, p: does not), e.g.
     * no private message sent through the room: those rows are their other party's. */
    [SQ_ROOM_OWNER_DROP] = ("DELETE FROM archive_owners WHERE oid = ?1 AND NOT EXISTS"
                            " (SELECT 1 FROM archive_index WHERE archive_index MATCH"
                            " 'keys : o' || ?1 || ' OR keys : p' || ?1) AND NOT EXISTS"
                            " (SELECT 1 FROM " ARCHIVE_TAIL " AND (sender = ?1 OR rcpt = ?1))"),
    [SQ_ROOM_PREFS_DELETE] = "DELETE FROM archive_prefs WHERE owner = ?1",
    [SQ_USERDATA_GET] = "SELECT xml FROM userdata WHERE owner = ?1 AND kind = ?2 AND name = ?3",
    [SQ_USERDATA_PUT] = ("INSERT OR REPLACE INTO userdata (owner, kind, name, xml)"
                         " VALUES (?1, ?2, ?3, ?4)"),
    [SQ_USERDATA_DELETE] = "DELETE FROM userdata WHERE owner = ?1 AND kind = ?2 AND name = ?3",
    [SQ_USERDATA_COUNT] = "SELECT count(*) FROM userdata WHERE owner = ?1 AND kind = ?2",
    [SQ_PUBSUB_NODES] = "SELECT service, node, config FROM pubsub_nodes ORDER BY service, node",
    /* ?1: the loader's max_xml. Lengths in bytes: length() of text counts characters. */
    [SQ_PUBSUB_ITEMS] = ("SELECT service, node, id, seq, publisher,"
                         " CASE WHEN length(CAST(xml AS BLOB)) <= ?1 THEN xml END,"
                         " length(CAST(xml AS BLOB)) FROM pubsub_items"
                         " ORDER BY service, node, seq"),
    [SQ_PUBSUB_MEMBERS] = ("SELECT service, node, jid, affiliation, subscription"
                           " FROM pubsub_members ORDER BY service, node, jid"),
    [SQ_PUBSUB_NODE_PUT] = ("INSERT OR REPLACE INTO pubsub_nodes (service, node, config)"
                            " VALUES (?1, ?2, ?3)"),
    [SQ_PUBSUB_NODE_DELETE] = "DELETE FROM pubsub_nodes WHERE service = ?1 AND node = ?2",
    [SQ_PUBSUB_ITEM_PUT] = ("INSERT OR REPLACE INTO pubsub_items (service, node, id, seq,"
                            " publisher, xml) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
    [SQ_PUBSUB_ITEM_DELETE] = ("DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2"
                               " AND id = ?3"),
    [SQ_PUBSUB_ITEM_GET] = ("SELECT xml FROM pubsub_items WHERE service = ?1 AND node = ?2"
                            " AND id = ?3"),
    [SQ_PUBSUB_ITEMS_PURGE] = "DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2",
    [SQ_PUBSUB_MEMBER_PUT] = ("INSERT OR REPLACE INTO pubsub_members (service, node, jid,"
                              " affiliation, subscription) VALUES (?1, ?2, ?3, ?4, ?5)"),
    [SQ_PUBSUB_MEMBER_DELETE] = ("DELETE FROM pubsub_members WHERE service = ?1 AND node = ?2"
                                 " AND jid = ?3"),
    [SQ_PUBSUB_MEMBERS_DELETE] = "DELETE FROM pubsub_members WHERE service = ?1 AND node = ?2",
};

const size_t sq_migrations_count = ARRAY_LEN(sq_migrations);
