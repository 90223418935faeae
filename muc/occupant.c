/* SPDX-License-Identifier: MIT */
/* Occupants and their seats (sessions), and their presence as each viewer sees it. */
#include "muc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "nick.h"

/* The rooms a session sits in, kept in its module slot so that its end reaches them all. */
struct muc_sess {
    struct muc_room **rooms;
    size_t n, cap;
};

static struct muc_sess *sess_rooms(struct muc_mod *m, struct session *sess, bool make)
{
    struct muc_sess *ms = module_session_slot_get(sess, m->slot);
    if (!ms && make) {
        ms = xcalloc(1, sizeof(*ms));
        module_session_slot_set(sess, m->slot, ms);
    }
    return ms;
}

static void sess_forget(struct muc_mod *m, struct session *sess, struct muc_room *r)
{
    struct muc_sess *ms = sess_rooms(m, sess, false);
    for (size_t i = 0; ms && i < ms->n; i++) {
        if (ms->rooms[i] == r) {
            ms->rooms[i] = ms->rooms[--ms->n];
            break;
        }
    }
    if (ms && !ms->n) {
        free(ms->rooms);
        free(ms);
        module_session_slot_set(sess, m->slot, NULL);
    }
}

struct muc_room *muc_session_first_room(struct muc_mod *m, struct session *sess)
{
    struct muc_sess *ms = sess_rooms(m, sess, false);
    return ms && ms->n ? ms->rooms[ms->n - 1] : NULL;
}

struct muc_seat *muc_seat_of(const struct muc_room *r, const struct session *sess)
{
    return hmap_get(&r->by_full, module_session_jid(sess)->full);
}

struct muc_occupant *muc_occupant_by_nick(const struct muc_room *r, const char *nick)
{
    char out[NICK_MAX + 1], key[NICK_MAX + 1];
    size_t len, key_len;
    if (nick_prepare(nick, strlen(nick), out, &len, key, &key_len) != PREP_OK)
        return NULL;
    return hmap_get(&r->by_nick, key);
}

struct muc_occupant *muc_occupant_new(struct muc_room *r, const char *nick, const char *key,
                                      const char *bare, enum muc_role role)
{
    struct muc_occupant *occ = xcalloc(1, sizeof(*occ));
    occ->nick = xstrdup(nick);
    occ->key = xstrdup(key);
    occ->bare = xstrdup(bare);
    occ->role = role;
    module_fanout_init(&occ->shown_out[0]);
    module_fanout_init(&occ->shown_out[1]);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/%s", r->jid, nick);
    occ->jid = b.data;
    if (r->n_occ == r->cap_occ) {
        r->cap_occ = r->cap_occ ? 2 * r->cap_occ : 8;
        r->occ = xrealloc(r->occ, r->cap_occ * sizeof(*r->occ));
    }
    occ->index = r->n_occ;
    r->occ[r->n_occ++] = occ;
    hmap_put(&r->by_nick, occ->key, occ);
    return occ;
}

void muc_occupant_rename(struct muc_room *r, struct muc_occupant *occ, const char *nick,
                         const char *key)
{
    hmap_del(&r->by_nick, occ->key);
    free(occ->nick);
    free(occ->key);
    free(occ->jid);
    occ->nick = xstrdup(nick);
    occ->key = xstrdup(key);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/%s", r->jid, nick);
    occ->jid = b.data;
    hmap_put(&r->by_nick, occ->key, occ);
    if (occ->presence)
        stanza_set_from(occ->presence, occ->jid);
    muc_occupant_changed(occ);
}

void muc_occupant_changed(struct muc_occupant *occ)
{
    for (int v = 0; v < 2; v++) {
        stanza_unref(occ->shown[v]);
        occ->shown[v] = NULL;
    }
}

struct muc_seat *muc_seat_add(struct muc_room *r, struct muc_occupant *occ,
                              struct session *sess)
{
    struct muc_seat *seat = xcalloc(1, sizeof(*seat));
    seat->full = xstrdup(module_session_jid(sess)->full);
    seat->sess = sess;
    seat->occ = occ;
    seat->next = occ->seats;
    occ->seats = seat;
    hmap_put(&r->by_full, seat->full, seat);
    struct muc_sess *ms = sess_rooms(r->mod, sess, true);
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? 2 * ms->cap : 4;
        ms->rooms = xrealloc(ms->rooms, ms->cap * sizeof(*ms->rooms));
    }
    ms->rooms[ms->n++] = r;
    return seat;
}

void muc_seat_remove(struct muc_room *r, struct muc_seat *seat)
{
    if (seat->join)
        muc_join_cancel(seat->join);
    hmap_del(&r->by_full, seat->full);
    struct muc_seat **p = &seat->occ->seats;
    while (*p != seat)
        p = &(*p)->next;
    *p = seat->next;
    sess_forget(r->mod, seat->sess, r);
    free(seat->full);
    free(seat);
}

/* Takes occ (seatless) out of the room and frees it. */
void muc_occupant_free(struct muc_room *r, struct muc_occupant *occ)
{
    hmap_del(&r->by_nick, occ->key);
    r->occ[occ->index] = r->occ[--r->n_occ];
    r->occ[occ->index]->index = occ->index;
    free(occ->nick);
    free(occ->key);
    free(occ->jid);
    free(occ->bare);
    stanza_unref(occ->presence);
    muc_occupant_changed(occ);
    module_fanout_fini(&occ->shown_out[0]);
    module_fanout_fini(&occ->shown_out[1]);
    free(occ);
}

/* ---- presence as seen by others ------------------------------------------------------------- */

bool muc_sees_jids(const struct muc_room *r, enum muc_role viewer)
{
    return r->cfg.whois == WHOIS_ANYONE || viewer == ROLE_MODERATOR;
}

void muc_add_status(struct stanza *st, struct xel *x, int code)
{
    char v[8];
    snprintf(v, sizeof(v), "%d", code);
    xel_set_attr(st, xel_add_child(st, x, "status", NS_MUC_USER), "code", v);
}

struct xel *muc_add_user_x(struct stanza *st, struct xel *parent, const struct muc_room *r,
                           const struct muc_occupant *occ, bool with_jid)
{
    struct xel *x = xel_add_child(st, parent, "x", NS_MUC_USER);
    struct xel *item = xel_add_child(st, x, "item", NS_MUC_USER);
    xel_set_attr(st, item, "affiliation", muc_aff_name(muc_aff_of(r, occ->bare)));
    xel_set_attr(st, item, "role", muc_role_name(occ->role));
    if (with_jid && occ->seats)
        xel_set_attr(st, item, "jid", module_session_jid(occ->seats->sess)->full);
    else if (with_jid)
        xel_set_attr(st, item, "jid", occ->bare);
    return x;
}
