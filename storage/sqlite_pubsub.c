/* SPDX-License-Identifier: MIT */
/* SQLite backend ops for publish-subscribe (XEP-0060, XEP-0163): nodes, items and members. */
#include <stdint.h>
#include <stdlib.h>

#include "base.h"
#include "sqlite_int.h"

/* Result columns of SQ_PUBSUB_NODES, SQ_PUBSUB_ITEMS and SQ_PUBSUB_MEMBERS: each starts with
 * service and node. */
enum { COL_SERVICE, COL_NODE };
enum { NODE_CONFIG = 2 };
enum { ITEM_ID = 2, ITEM_SEQ, ITEM_PUBLISHER, ITEM_XML, ITEM_XML_LEN };
enum { MEMBER_JID = 2, MEMBER_AFFILIATION, MEMBER_SUBSCRIPTION };

static const char *col_text(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

/* Statement id with service, node and (unless NULL) key bound as ?1..?3; NULL when busy. */
static sqlite3_stmt *keyed(struct sq_store *s, enum sq_stmt_id id, const char *service,
                           const char *node, const char *key)
{
    sqlite3_stmt *q = sq_get(s, id);
    if (!q)
        return NULL;
    sq_bind_text(s, q, 1, service);
    sq_bind_text(s, q, 2, node);
    if (key)
        sq_bind_text(s, q, 3, key);
    return q;
}

/* A NULL in a NOT NULL column means SQLite ran out of memory reading it. Failing the load
 * rather than skipping the row: pubsub/ would take a node or item it never saw as absent. */
static int load_nodes(struct sq_store *s, const struct pubsub_loader *l)
{
    sqlite3_stmt *q = sq_get(s, SQ_PUBSUB_NODES);
    if (!q)
        return PL_EIO;
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct pubsub_node_row r = {
            .service = col_text(q, COL_SERVICE),
            .node = col_text(q, COL_NODE),
            .config = col_text(q, NODE_CONFIG),
        };
        if (!r.service || !r.node || !r.config) {
            rc = sq_fail(s, "pubsub load: nodes");
            break;
        }
        l->node(l->ctx, &r);
    }
    sqlite3_reset(q); /* ends the read transaction so WAL checkpoints can proceed */
    return rc;
}

static int load_items(struct sq_store *s, const struct pubsub_loader *l)
{
    sqlite3_stmt *q = sq_get(s, SQ_PUBSUB_ITEMS);
    if (!q)
        return PL_EIO;
    sq_bind_int64(s, q, 1, l->max_xml > INT64_MAX ? INT64_MAX : (sqlite3_int64)l->max_xml);
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct pubsub_item_row r = {
            .service = col_text(q, COL_SERVICE),
            .node = col_text(q, COL_NODE),
            .id = col_text(q, ITEM_ID),
            .seq = sqlite3_column_int64(q, ITEM_SEQ),
            .publisher = col_text(q, ITEM_PUBLISHER),
            .xml = col_text(q, ITEM_XML),
            .xml_len = (size_t)sqlite3_column_int64(q, ITEM_XML_LEN),
        };
        if (!r.service || !r.node || !r.id || (!r.xml && r.xml_len <= l->max_xml)) {
            rc = sq_fail(s, "pubsub load: items");
            break;
        }
        l->item(l->ctx, &r);
    }
    sqlite3_reset(q);
    return rc;
}

static int load_members(struct sq_store *s, const struct pubsub_loader *l)
{
    sqlite3_stmt *q = sq_get(s, SQ_PUBSUB_MEMBERS);
    if (!q)
        return PL_EIO;
    int rc;
    while ((rc = sq_step(s, q)) == SQ_ROW) {
        struct pubsub_member_row r = {
            .service = col_text(q, COL_SERVICE),
            .node = col_text(q, COL_NODE),
            .jid = col_text(q, MEMBER_JID),
            .affiliation = (int)sqlite3_column_int64(q, MEMBER_AFFILIATION),
            .subscription = (int)sqlite3_column_int64(q, MEMBER_SUBSCRIPTION),
        };
        if (!r.service || !r.node || !r.jid) {
            rc = sq_fail(s, "pubsub load: members");
            break;
        }
        l->member(l->ctx, &r);
    }
    sqlite3_reset(q);
    return rc;
}

/* Three statements rather than one join: nodes come before the items that name them, and
 * each table is read in its own key order. */
int sq_pubsub_load(struct storage *st, const struct pubsub_loader *l)
{
    struct sq_store *s = sq_store(st);
    int rc = load_nodes(s, l);
    if (rc == PL_OK)
        rc = load_items(s, l);
    if (rc == PL_OK)
        rc = load_members(s, l);
    return rc;
}

int sq_pubsub_node_put(struct storage *st, const struct pubsub_node_row *r)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, SQ_PUBSUB_NODE_PUT, r->service, r->node, NULL);
    if (!q)
        return PL_EIO;
    sq_bind_text(s, q, 3, r->config ? r->config : "");
    return sq_run(s, q);
}

/* A node must not lose only some of its rows: when a step fails, the whole batch is lost
 * (the flush rolls it back and reports it). */
int sq_pubsub_node_delete(struct storage *st, const char *service, const char *node)
{
    static const enum sq_stmt_id steps[] = {
        SQ_PUBSUB_ITEMS_PURGE,
        SQ_PUBSUB_MEMBERS_DELETE,
        SQ_PUBSUB_NODE_DELETE,
    };
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        sqlite3_stmt *q = keyed(s, steps[i], service, node, NULL);
        if (!q || sq_run(s, q) != PL_OK) {
            s->batch_lost = true;
            return PL_EIO;
        }
    }
    return PL_OK;
}

int sq_pubsub_item_put(struct storage *st, const struct pubsub_item_row *r)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, SQ_PUBSUB_ITEM_PUT, r->service, r->node, r->id);
    if (!q)
        return PL_EIO;
    sq_bind_int64(s, q, 4, r->seq);
    sq_bind_text(s, q, 5, r->publisher);
    sq_bind_text_n(s, q, 6, r->xml, r->xml_len);
    return sq_run(s, q);
}

int sq_pubsub_item_delete(struct storage *st, const char *service, const char *node,
                          const char *id)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, SQ_PUBSUB_ITEM_DELETE, service, node, id);
    return q ? sq_run(s, q) : PL_EIO;
}

int sq_pubsub_items_purge(struct storage *st, const char *service, const char *node)
{
    struct sq_store *s = sq_store(st);
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, SQ_PUBSUB_ITEMS_PURGE, service, node, NULL);
    return q ? sq_run(s, q) : PL_EIO;
}

int sq_pubsub_item_get(struct storage *st, const char *service, const char *node,
                       const char *id, char **xml)
{
    struct sq_store *s = sq_store(st);
    sqlite3_stmt *q = keyed(s, SQ_PUBSUB_ITEM_GET, service, node, id);
    if (!q)
        return PL_EIO;
    int rc = sq_step(s, q);
    if (rc == SQ_ROW) {
        const char *v = col_text(q, 0);
        *xml = v ? xstrdup(v) : NULL;
        rc = v ? PL_OK : sq_fail(s, "pubsub item get");
    } else if (rc == PL_OK) {
        rc = PL_ENOTFOUND;
    }
    sqlite3_reset(q); /* ends the read transaction so WAL checkpoints can proceed */
    return rc;
}

int sq_pubsub_member_put(struct storage *st, const struct pubsub_member_row *r)
{
    struct sq_store *s = sq_store(st);
    bool none = r->affiliation == 0 && r->subscription == 0;
    if (sq_batch_begin(s) != PL_OK)
        return PL_EIO;
    sqlite3_stmt *q = keyed(s, none ? SQ_PUBSUB_MEMBER_DELETE : SQ_PUBSUB_MEMBER_PUT, r->service,
                            r->node, r->jid);
    if (!q)
        return PL_EIO;
    if (!none) {
        sq_bind_int64(s, q, 4, r->affiliation);
        sq_bind_int64(s, q, 5, r->subscription);
    }
    return sq_run(s, q);
}
