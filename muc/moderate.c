/* SPDX-License-Identifier: MIT */
/* Moderated message retraction (XEP-0425): a moderator retracts an occupant's message by its
 * stanza-id; occupants get the retraction, and the archive and the history keep only a
 * tombstone. Both the current protocol (moderate:1) and its fastening form (moderate:0). */
#include "muc.h"

#include <string.h>

#include "datetime.h"

#define NS_RETRACT "urn:xmpp:message-retract:1"
#define NS_RETRACT_0 "urn:xmpp:message-retract:0"

/* A request, whichever form it came in. */
struct moderation {
    const char *sid;
    const char *reason; /* NULL: none */
    bool old;           /* moderate:0 inside <apply-to/> */
};

static bool read_request(const struct stanza *st, struct moderation *mo)
{
    const struct xel *el = xel_child(st->root, "moderate", NS_MODERATE);
    const struct xel *at = el ? NULL : xel_child(st->root, "apply-to", NS_FASTEN);
    if (at)
        el = xel_child(at, "moderate", NS_MODERATE_0);
    if (!el || !xel_child(el, "retract", at ? NS_RETRACT_0 : NS_RETRACT))
        return false;
    const struct xel *reason = xel_child(el, "reason", NULL);
    mo->sid = xel_attr(at ? at : el, "id");
    mo->reason = reason ? xel_text(reason) : NULL;
    mo->old = at != NULL;
    return mo->sid && mo->sid[0];
}

/* The history entry holding sid, or NULL. */
static struct muc_hist *hist_find(struct muc_room *r, const char *sid)
{
    for (size_t i = 0; i < r->hist_n; i++) {
        struct muc_hist *h = &r->hist[(r->hist_start + i) % r->hist_cap];
        const char *other = muc_archive_sid(r, h->st);
        if (other && strcmp(other, sid) == 0)
            return h;
    }
    return NULL;
}

/* What stays of the message: who sent it, its stanza-id and a <retracted/> mark. */
static struct stanza *tombstone(struct muc_room *r, const struct muc_hist *h,
                                const struct moderation *mo, const char *by)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "groupchat");
    stanza_set_from(st, h ? h->st->from : r->jid);
    char stamp[40];
    datetime_format(module_wall_us(), stamp, sizeof(stamp));
    struct xel *rt = xel_add_child(st, st->root, "retracted", NS_RETRACT);
    xel_set_attr(st, rt, "stamp", stamp);
    xel_set_attr(st, xel_add_child(st, rt, "moderated", NS_MODERATE), "by", by);
    if (mo->reason)
        xel_add_text_child(st, rt, "reason", mo->reason);
    struct xel *sid = xel_add_child(st, st->root, "stanza-id", NS_SID);
    xel_set_attr(st, sid, "id", mo->sid);
    xel_set_attr(st, sid, "by", r->jid);
    stanza_summarize(st);
    return st;
}

/* The notice occupants get, in the request's form. */
static struct stanza *notice(struct muc_room *r, const struct moderation *mo, const char *by)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "groupchat");
    stanza_set_from(st, r->jid);
    struct xel *parent;
    if (mo->old) {
        struct xel *at = xel_add_child(st, st->root, "apply-to", NS_FASTEN);
        xel_set_attr(st, at, "id", mo->sid);
        parent = xel_add_child(st, at, "moderated", NS_MODERATE_0);
        xel_set_attr(st, parent, "by", by);
        xel_add_child(st, parent, "retract", NS_RETRACT_0);
    } else {
        parent = xel_add_child(st, st->root, "retract", NS_RETRACT);
        xel_set_attr(st, parent, "id", mo->sid);
        xel_set_attr(st, xel_add_child(st, parent, "moderated", NS_MODERATE), "by", by);
    }
    if (mo->reason)
        xel_add_text_child(st, parent, "reason", mo->reason);
    stanza_summarize(st);
    return st;
}

/* Replaces the message in the archive and in the history; false when neither has it. */
static bool replace(struct muc_room *r, const struct moderation *mo, const struct stanza *stone,
                    struct muc_hist *h)
{
    bool found = false;
    if (r->cfg.archive || r->stored) {
        struct buf xml;
        buf_init(&xml);
        stanza_write(stone, &xml);
        int rc = archive_replace(module_storage(r->mod->srv), r->jid, mo->sid, NULL, xml.data);
        buf_fini(&xml);
        found = rc == PL_OK;
        if (found)
            module_storage_dirty(r->mod->srv);
    }
    if (h) {
        stanza_unref(h->st);
        h->st = stanza_ref((struct stanza *)stone);
        found = true;
    }
    return found;
}

int muc_moderate_iq(struct route_ctx *rc, struct stanza *st, struct muc_room *r)
{
    struct moderation mo;
    if (st->type != IQ_SET || !read_request(st, &mo))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    if (!seat || seat->occ->role != ROLE_MODERATOR)
        return ROUTE_ERROR(COND_FORBIDDEN);
    struct muc_hist *h = hist_find(r, mo.sid);
    struct stanza *stone = tombstone(r, h, &mo, seat->occ->jid);
    bool found = replace(r, &mo, stone, h);
    stanza_unref(stone);
    if (!found)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct stanza *ok = stanza_iq_result(st);
    router_reply(rc, ok);
    stanza_unref(ok);
    struct stanza *n = notice(r, &mo, seat->occ->jid);
    muc_broadcast(r, n);
    stanza_unref(n);
    module_log(LOG_INFO, "muc", "room %s: %s retracted a message", r->jid, seat->occ->nick);
    return ROUTE_DONE;
}
