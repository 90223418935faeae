/* SPDX-License-Identifier: MIT */
/* The room archive: group chat stamped with a stanza-id by the room (XEP-0359) and kept in
 * the message archive under the room's JID, one row per message. */
#include "muc.h"

#include <string.h>

void muc_archive_stamp(struct muc_room *r, struct stanza *st, long long *ts_us)
{
    long long key;
    unsigned long long tag;
    if (!r->cfg.archive || module_archive_key(r->mod->srv, &key, &tag) != PL_OK)
        return;
    char sid[ARCHIVE_SID_LEN + 1];
    archive_sid_format(key, tag, sid);
    struct xel *el = xel_add_child(st, st->root, "stanza-id", NS_SID);
    xel_set_attr(st, el, "id", sid);
    xel_set_attr(st, el, "by", r->jid);
    *ts_us = key; /* the key is the archiving time */
}

/* The stanza-id the room stamped on st, or NULL. */
const char *muc_archive_sid(const struct muc_room *r, const struct stanza *st)
{
    for (const struct xel *c = st->root->first; c; c = c->next) {
        const char *by = c->name && strcmp(c->name, "stanza-id") == 0 && c->ns &&
                                 strcmp(c->ns, NS_SID) == 0
                             ? xel_attr(c, "by")
                             : NULL;
        if (by && strcmp(by, r->jid) == 0)
            return xel_attr(c, "id");
    }
    return NULL;
}

void muc_archive_store(struct muc_room *r, const struct muc_occupant *occ,
                       const struct stanza *st)
{
    const char *sid = muc_archive_sid(r, st);
    struct archive_msg am = { 0 };
    if (!sid || !archive_sid_parse(sid, &am.key, &am.tag))
        return;
    const struct xel *origin = xel_child(st->root, "origin-id", NS_SID);
    struct buf xml;
    buf_init(&xml);
    stanza_write(st, &xml);
    am.sender = am.rcpt = r->jid;
    am.sender_res = occ->nick;
    am.sender_keeps = am.rcpt_keeps = true;
    am.msg_id = st->id;
    am.origin_id = origin ? xel_attr(origin, "id") : NULL;
    am.body = xel_text(xel_child(st->root, "body", NULL));
    am.xml = xml.data;
    if (archive_append(module_storage(r->mod->srv), &am) == PL_OK) {
        module_storage_dirty_later(r->mod->srv);
        module_archive_appended(r->mod->srv);
    } else
        module_log(LOG_ERROR, "muc", "room %s: a message could not be archived", r->jid);
    buf_fini(&xml);
}
