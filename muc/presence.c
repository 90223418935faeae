/* SPDX-License-Identifier: MIT */
/* Presence to a room (XEP-0045 §7.2-7.6): entering, status changes, nick changes, leaving; and
 * sessions that end leave every room they were in. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

#include "nick.h"

/* A joiner's or a leaver's request, parsed once. */
struct arrival {
    struct muc_mod *m;
    struct route_ctx *rc;
    struct stanza *st;
    struct muc_room *r;
    char nick[NICK_MAX + 1];
    char key[NICK_MAX + 1];
    bool created;
    bool renamed; /* the service changed the nick asked for (status 210) */
};

/* Keeps what the occupant said about itself: st without 'to', id and MUC elements, from its
 * occupant JID. */
static void set_presence(struct muc_occupant *occ, const struct stanza *st)
{
    struct stanza *p = stanza_new("presence", NS_CLIENT);
    for (const struct xel *c = st->root->first; c; c = c->next) {
        if (c->name && c->ns && strncmp(c->ns, NS_MUC, strlen(NS_MUC)) == 0)
            continue;
        if (c->name)
            xel_copy_into(p, p->root, c);
    }
    stanza_set_from(p, occ->jid);
    stanza_summarize(p);
    stanza_unref(occ->presence);
    occ->presence = stanza_compact(p);
    stanza_unref(p);
    muc_occupant_changed(occ);
}

static long room_limit(const struct muc_room *r)
{
    long limit = r->mod->opts.max_occupants;
    return r->cfg.max_users && r->cfg.max_users < limit ? r->cfg.max_users : limit;
}

/* XEP-0045 §7.2: who may enter, in the order the XEP checks. */
static int admit(const struct arrival *a, const struct muc_occupant *occ, enum muc_aff aff)
{
    const struct muc_room *r = a->r;
    const char *bare = module_session_jid(a->rc->sess)->bare;
    if (r->locked && aff != AFF_OWNER)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (aff == AFF_OUTCAST)
        return ROUTE_ERROR(COND_FORBIDDEN);
    if (occ && strcmp(occ->bare, bare) != 0)
        return ROUTE_ERROR(COND_CONFLICT);
    if (r->cfg.members_only && aff < AFF_MEMBER)
        return ROUTE_ERROR(COND_REGISTRATION_REQUIRED);
    if (r->cfg.password_protected && aff < AFF_OWNER) {
        const struct xel *x = xel_child(a->st->root, "x", NS_MUC);
        const struct xel *pw = x ? xel_child(x, "password", NS_MUC) : NULL;
        if (!pw || strcmp(xel_text(pw), r->cfg.password) != 0)
            return ROUTE_ERROR(COND_NOT_AUTHORIZED);
    }
    if (!occ && aff < AFF_ADMIN && (long)r->n_occ >= room_limit(r))
        return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
    return ROUTE_DONE;
}

/* The occupants already there, to the joiner: each as the joiner's role may see it, from
 * the presence each keeps serialized, so a join into a big room costs a copy per occupant. */
static void send_occupants(struct muc_room *r, const struct muc_occupant *joiner,
                           struct session *sess)
{
    bool jids = muc_sees_jids(r, joiner->role);
    for (size_t i = 0; i < r->n_occ; i++)
        if (r->occ[i] != joiner)
            module_fanout_deliver(r->mod->srv, muc_occupant_shown(r, r->occ[i], jids), sess);
}

void muc_join_answer(struct muc_room *r, struct muc_seat *seat, const struct stanza *req,
                     bool created, bool renamed)
{
    int codes[4];
    size_t n = 0;
    codes[n++] = 110;
    if (r->cfg.whois == WHOIS_ANYONE)
        codes[n++] = 100;
    if (r->cfg.archive)
        codes[n++] = 170;
    if (created)
        codes[n++] = 201;
    else if (renamed)
        codes[n++] = 210;
    struct muc_pres p = { .unavailable = false };
    struct stanza *st = muc_pres_build(r, seat->occ, &p, true, codes, n);
    if (req->id)
        xel_set_attr(st, st->root, "id", req->id);
    stanza_summarize(st);
    muc_send_to(r, seat->sess, st);
    stanza_unref(st);
    const struct xel *x = xel_child(req->root, "x", NS_MUC);
    muc_history_send(r, seat->sess, x ? xel_child(x, "history", NS_MUC) : NULL);
}

static int enter(struct arrival *a)
{
    struct muc_room *r = a->r;
    const char *bare = module_session_jid(a->rc->sess)->bare;
    enum muc_aff aff = muc_aff_of(r, bare);
    struct muc_occupant *occ = hmap_get(&r->by_nick, a->key);
    int res = admit(a, occ, aff);
    if (res != ROUTE_DONE)
        return res;
    bool first_seat = !occ;
    if (!occ)
        occ = muc_occupant_new(r, a->nick, a->key, bare, muc_role_for(r, aff));
    set_presence(occ, a->st);
    struct muc_seat *seat = muc_seat_add(r, occ, a->rc->sess);
    if (first_seat) {
        struct muc_pres p = { .unavailable = false };
        muc_pres_broadcast_others(r, occ, &p);
    }
    if ((long)r->n_occ - 1 > a->m->opts.join_presences_per_turn) {
        muc_join_start(r, seat, a->st, a->created, a->renamed);
        return ROUTE_DONE;
    }
    send_occupants(r, occ, a->rc->sess);
    muc_join_answer(r, seat, a->st, a->created, a->renamed);
    return ROUTE_DONE;
}

/* §7.6: unavailable from the old nick with 303 and the new one, then available from it. */
static int change_nick(struct arrival *a, struct muc_seat *seat)
{
    struct muc_occupant *occ = seat->occ;
    struct muc_occupant *other = hmap_get(&a->r->by_nick, a->key);
    if (other && other != occ)
        return ROUTE_ERROR(COND_CONFLICT);
    if (occ->seats->next)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE); /* one resource cannot rename the others */
    const int moved[] = { 303 };
    struct muc_pres gone = { .unavailable = true, .codes = moved, .n_codes = 1,
                             .new_nick = a->nick };
    muc_pres_broadcast(a->r, occ, &gone, NULL, 0);
    muc_occupant_rename(a->r, occ, a->nick, a->key);
    set_presence(occ, a->st);
    struct muc_pres back = { .unavailable = false };
    const int renamed[] = { 210 };
    muc_pres_broadcast(a->r, occ, &back, renamed, a->renamed ? 1 : 0);
    return ROUTE_DONE;
}

static int arrive(struct arrival *a)
{
    struct muc_seat *seat = muc_seat_of(a->r, a->rc->sess);
    if (!seat)
        return enter(a);
    if (strcmp(seat->occ->key, a->key) != 0)
        return change_nick(a, seat);
    set_presence(seat->occ, a->st); /* a status change */
    struct muc_pres p = { .unavailable = false };
    muc_pres_broadcast(a->r, seat->occ, &p, NULL, 0);
    return ROUTE_DONE;
}

/* One seat leaves; the occupant goes with its last seat. */
static void leave_seat(struct muc_room *r, struct muc_seat *seat, const struct stanza *st)
{
    struct muc_occupant *occ = seat->occ;
    struct muc_pres p = { .unavailable = true, .status = st };
    if (occ->seats->next) {
        const int self[] = { 110 };
        struct stanza *bye = muc_pres_build(r, occ, &p, true, self, 1);
        muc_send_to(r, seat->sess, bye);
        stanza_unref(bye);
        muc_seat_remove(r, seat);
        return;
    }
    occ->role = ROLE_NONE;
    muc_occupant_changed(occ);
    muc_pres_broadcast(r, occ, &p, NULL, 0);
    muc_seat_remove(r, seat);
    muc_occupant_free(r, occ);
}

int muc_presence(struct muc_mod *m, struct route_ctx *rc, struct stanza *st)
{
    bool available = st->type == PRES_AVAILABLE;
    if (!(st->type & (PRES_AVAILABLE | PRES_UNAVAILABLE)))
        return ROUTE_DONE; /* subscriptions and probes mean nothing to a room */
    struct arrival a = { .m = m, .rc = rc, .st = st };
    const char *asked = rc->to->resource;
    size_t len, key_len;
    if (!asked || nick_prepare(asked, strlen(asked), a.nick, &len, a.key, &key_len) != PREP_OK ||
        len > (size_t)m->opts.max_nick_bytes)
        return available ? ROUTE_ERROR(COND_JID_MALFORMED) : ROUTE_DONE;
    a.renamed = strcmp(asked, a.nick) != 0;
    a.r = muc_room_get(m, rc->to->bare);
    if (!a.r && !available)
        return ROUTE_DONE;
    if (!a.r) {
        a.r = muc_room_create(m, rc->to->bare, module_session_jid(rc->sess)->bare);
        a.created = true;
    }
    int res = ROUTE_DONE;
    struct muc_seat *seat = muc_seat_of(a.r, rc->sess);
    if (available)
        res = arrive(&a);
    else if (seat)
        leave_seat(a.r, seat, st);
    muc_room_release(a.r);
    return res;
}

void muc_session_gone(struct muc_mod *m, struct session *sess)
{
    struct muc_room *r;
    while ((r = muc_session_first_room(m, sess))) {
        struct muc_seat *seat = muc_seat_of(r, sess);
        leave_seat(r, seat, NULL);
        muc_room_release(r);
    }
}
