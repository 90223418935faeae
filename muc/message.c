/* SPDX-License-Identifier: MIT */
/* Messages to a room (XEP-0045 §7.4-7.9, §8.1): group chat reflected to every occupant and
 * archived, subject changes, private messages, invitations and voice requests. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

/* Removes the children of st's root that name the room as their stamper: only the room
 * stamps its stanza-ids. */
static void strip_room_sids(struct stanza *st, const char *room)
{
    struct xel *c = st->root->first;
    while (c) {
        struct xel *next = c->next;
        const char *by = c->name && c->ns && strcmp(c->ns, NS_SID) == 0 ? xel_attr(c, "by")
                                                                        : NULL;
        if (by && strcmp(by, room) == 0)
            xel_unlink(st->root, c);
        c = next;
    }
}

/* The message as the room sends it: from the sender's occupant JID, without 'to'. */
static struct stanza *reflect(const struct muc_occupant *occ, const struct stanza *st)
{
    struct stanza *out = stanza_compact(st);
    stanza_set_to(out, NULL);
    stanza_set_from(out, occ->jid);
    return out;
}

void muc_send_subject(struct muc_room *r, struct session *sess)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "groupchat");
    xel_add_text_child(st, st->root, "subject", r->subject);
    struct buf from;
    buf_init(&from);
    if (r->subject_by)
        buf_printf(&from, "%s/%s", r->jid, r->subject_by);
    else
        buf_puts(&from, r->jid);
    stanza_set_from(st, from.data);
    buf_fini(&from);
    stanza_summarize(st);
    muc_send_to(r, sess, st);
    stanza_unref(st);
}

static int change_subject(struct muc_room *r, const struct muc_occupant *occ,
                          const struct xel *subject)
{
    if (occ->role != ROLE_MODERATOR && !r->cfg.change_subject)
        return ROUTE_ERROR(COND_FORBIDDEN);
    const char *text = xel_text(subject);
    if (strlen(text) > 1024)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    free(r->subject);
    free(r->subject_by);
    r->subject = text[0] ? xstrdup(text) : NULL;
    r->subject_by = text[0] ? xstrdup(occ->nick) : NULL;
    if (r->stored)
        muc_room_save(r);
    return ROUTE_DONE;
}

static int groupchat(struct muc_room *r, struct route_ctx *rc, struct stanza *st)
{
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    if (!seat)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    struct muc_occupant *occ = seat->occ;
    if (occ->role < ROLE_PARTICIPANT)
        return ROUTE_ERROR(COND_FORBIDDEN);
    const struct xel *subject = xel_child(st->root, "subject", NULL);
    const struct xel *body = xel_child(st->root, "body", NULL);
    if (subject && !body) {
        int res = change_subject(r, occ, subject);
        if (res != ROUTE_DONE)
            return res;
    }
    struct stanza *out = reflect(occ, st);
    strip_room_sids(out, r->jid);
    long long ts_us = module_wall_us();
    if (body)
        muc_archive_stamp(r, out, &ts_us);
    muc_broadcast(r, out);
    if (body) {
        muc_archive_store(r, occ, out);
        muc_history_add(r, out, ts_us);
    }
    stanza_unref(out);
    return ROUTE_DONE;
}

/* §7.5: to one occupant, every seat of it, marked as coming through the room. */
static int private_message(struct muc_room *r, struct route_ctx *rc, struct stanza *st)
{
    if (st->type & MSG_GROUPCHAT)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    if (!seat)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    struct muc_occupant *to = muc_occupant_by_nick(r, rc->to->resource);
    if (!to)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    enum muc_role role = seat->occ->role;
    int pm = r->cfg.allow_pm;
    if (pm == PM_NONE || (pm == PM_PARTICIPANTS && role < ROLE_PARTICIPANT) ||
        (pm == PM_MODERATORS && role < ROLE_MODERATOR))
        return ROUTE_ERROR(COND_FORBIDDEN);
    struct stanza *out = reflect(seat->occ, st);
    if (!xel_child(out->root, "x", NS_MUC_USER))
        xel_add_child(out, out->root, "x", NS_MUC_USER);
    for (struct muc_seat *s = to->seats; s; s = s->next)
        muc_send_to(r, s->sess, out);
    stanza_unref(out);
    return ROUTE_DONE;
}

/* §7.8.2: a mediated invitation, sent on from the room with the inviter's real JID. */
static int invite(struct muc_room *r, struct route_ctx *rc, const struct xel *inv)
{
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    if (!seat)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    enum muc_aff aff = muc_aff_of(r, seat->occ->bare);
    if (!r->cfg.allow_invites && aff < AFF_ADMIN && seat->occ->role != ROLE_MODERATOR)
        return ROUTE_ERROR(COND_FORBIDDEN);
    const char *to = xel_attr(inv, "to");
    struct jid *j = to ? jid_parse(to) : NULL;
    if (!j || !j->local) {
        jid_free(j);
        return ROUTE_ERROR(COND_JID_MALFORMED);
    }
    if (r->cfg.members_only && aff >= AFF_ADMIN && muc_aff_of(r, j->bare) < AFF_MEMBER)
        muc_aff_set(r, j->bare, AFF_MEMBER, NULL); /* §7.8.2: an admin's invitation admits */
    muc_invite_send(r, j->bare, module_session_jid(rc->sess)->bare, inv);
    jid_free(j);
    return ROUTE_DONE;
}

/* §8.6: a visitor asks for voice; the moderators get the request form. */
static int voice_request(struct muc_room *r, struct route_ctx *rc, const struct stanza *st)
{
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    if (!seat)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    struct stanza *out = stanza_compact(st);
    stanza_set_to(out, NULL);
    stanza_set_from(out, r->jid);
    for (size_t i = 0; i < r->n_occ; i++)
        if (r->occ[i]->role == ROLE_MODERATOR)
            for (struct muc_seat *s = r->occ[i]->seats; s; s = s->next)
                muc_send_to(r, s->sess, out);
    stanza_unref(out);
    return ROUTE_DONE;
}

static bool is_voice_request(const struct stanza *st)
{
    const struct xel *x = xel_child(st->root, "x", NS_XDATA);
    const char *type = x ? xdata_get(x, "FORM_TYPE") : NULL;
    return type && strcmp(type, NS_MUC_REQUEST) == 0;
}

static int to_room(struct muc_room *r, struct route_ctx *rc, struct stanza *st)
{
    if (st->type & MSG_GROUPCHAT)
        return groupchat(r, rc, st);
    if (st->type & MSG_ERROR)
        return ROUTE_DONE;
    const struct xel *x = xel_child(st->root, "x", NS_MUC_USER);
    const struct xel *inv = x ? xel_child(x, "invite", NS_MUC_USER) : NULL;
    if (inv)
        return invite(r, rc, inv);
    if (is_voice_request(st))
        return voice_request(r, rc, st);
    const struct xel *decline = x ? xel_child(x, "decline", NS_MUC_USER) : NULL;
    if (decline)
        return muc_decline(r, rc, decline);
    return ROUTE_ERROR(COND_BAD_REQUEST); /* a room takes group chat, not chat */
}

int muc_message(struct muc_mod *m, struct route_ctx *rc, struct stanza *st)
{
    struct muc_room *r = muc_room_get(m, rc->to->bare);
    if (!r || (r->locked && muc_aff_of(r, module_session_jid(rc->sess)->bare) != AFF_OWNER)) {
        if (r)
            muc_room_release(r);
        return st->type & MSG_ERROR ? ROUTE_DONE : ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    }
    int res;
    if (rc->to->resource)
        res = st->type & MSG_ERROR ? ROUTE_DONE : private_message(r, rc, st);
    else
        res = to_room(r, rc, st);
    muc_room_release(r);
    return res;
}
