/* SPDX-License-Identifier: MIT */
/* Fan-out to a room: a stanza serialized once (twice where real JIDs show to some viewers
 * only), each seat's 'to' spliced in, each recipient's policy asked. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

static void add_item_details(struct stanza *st, struct xel *x, const struct muc_pres *p)
{
    struct xel *item = xel_child(x, "item", NS_MUC_USER);
    if (p->new_nick)
        xel_set_attr(st, item, "nick", p->new_nick);
    if (p->actor)
        xel_set_attr(st, xel_add_child(st, item, "actor", NS_MUC_USER), "nick", p->actor);
    if (p->reason)
        xel_add_text_child(st, item, "reason", p->reason);
}

/* An unavailable presence from occ, with the <status/> its leaver gave. */
static struct stanza *unavailable_of(const struct muc_occupant *occ, const struct muc_pres *p)
{
    struct stanza *st = stanza_new("presence", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "unavailable");
    stanza_set_from(st, occ->jid);
    const struct xel *status = p->status ? xel_child(p->status->root, "status", NULL) : NULL;
    if (status)
        xel_copy_into(st, st->root, status);
    return st;
}

struct stanza *muc_pres_build(const struct muc_room *r, const struct muc_occupant *occ,
                              const struct muc_pres *p, bool with_jid, const int *self_codes,
                              size_t n_self)
{
    struct stanza *st = !p->unavailable && occ->presence ? stanza_compact(occ->presence)
                                                         : unavailable_of(occ, p);
    struct xel *x = muc_add_user_x(st, st->root, r, occ, with_jid);
    add_item_details(st, x, p);
    for (size_t i = 0; i < n_self; i++)
        muc_add_status(st, x, self_codes[i]);
    for (size_t i = 0; i < p->n_codes; i++)
        muc_add_status(st, x, p->codes[i]);
    stanza_summarize(st);
    return st;
}

struct fanout *muc_occupant_shown(struct muc_room *r, struct muc_occupant *occ, bool with_jid)
{
    int v = with_jid ? 1 : 0;
    if (!occ->shown[v]) {
        struct muc_pres p = { .unavailable = false };
        occ->shown[v] = muc_pres_build(r, occ, &p, with_jid, NULL, 0);
        module_fanout_set(&occ->shown_out[v], occ->shown[v]);
    }
    return &occ->shown_out[v];
}

/* An available presence that says nothing beyond affiliation and role: the cached one. */
static bool plain(const struct muc_pres *p)
{
    return !p->unavailable && !p->n_codes && !p->actor && !p->reason && !p->new_nick;
}

void muc_pres_broadcast_others(struct muc_room *r, const struct muc_occupant *occ,
                               const struct muc_pres *p)
{
    struct muc_mod *m = r->mod;
    struct stanza *anon = NULL, *full = NULL;
    struct fanout *f_anon = &m->out, *f_full = &m->out2;
    if (plain(p)) {
        f_anon = muc_occupant_shown(r, (struct muc_occupant *)occ, false);
        f_full = muc_occupant_shown(r, (struct muc_occupant *)occ, true);
    } else {
        anon = muc_pres_build(r, occ, p, false, NULL, 0);
        full = muc_pres_build(r, occ, p, true, NULL, 0);
        module_fanout_set(f_anon, anon);
        module_fanout_set(f_full, full);
    }
    for (size_t i = 0; i < r->n_occ; i++) {
        const struct muc_occupant *o = r->occ[i];
        if (o == occ)
            continue;
        struct fanout *f = muc_sees_jids(r, o->role) ? f_full : f_anon;
        for (struct muc_seat *s = o->seats; s; s = s->next)
            module_fanout_deliver(m->srv, f, s->sess);
    }
    stanza_unref(anon);
    stanza_unref(full);
}

void muc_pres_broadcast(struct muc_room *r, const struct muc_occupant *occ,
                        const struct muc_pres *p, const int *self_codes, size_t n_self)
{
    muc_pres_broadcast_others(r, occ, p);
    int codes[8] = { 110 };
    size_t n = 1;
    for (size_t i = 0; i < n_self && n < 8; i++)
        codes[n++] = self_codes[i];
    struct stanza *self = muc_pres_build(r, occ, p, true, codes, n);
    module_fanout_set(&r->mod->out, self);
    for (struct muc_seat *s = occ->seats; s; s = s->next)
        module_fanout_deliver(r->mod->srv, &r->mod->out, s->sess);
    stanza_unref(self);
}

void muc_broadcast(struct muc_room *r, const struct stanza *st)
{
    struct muc_mod *m = r->mod;
    module_fanout_set(&m->out, st);
    for (size_t i = 0; i < r->n_occ; i++)
        for (struct muc_seat *s = r->occ[i]->seats; s; s = s->next)
            if (!s->join) /* it gets the room's messages as history once in */
                module_fanout_deliver(m->srv, &m->out, s->sess);
}

void muc_send_to(struct muc_room *r, struct session *sess, struct stanza *st)
{
    stanza_set_to(st, module_session_jid(sess)->full);
    module_deliver(r->mod->srv, sess, st);
}

void muc_occupant_remove(struct muc_room *r, struct muc_occupant *occ, const int *codes,
                         size_t n_codes, const char *actor, const char *reason)
{
    struct muc_pres p = { .unavailable = true, .codes = codes, .n_codes = n_codes,
                          .actor = actor, .reason = reason };
    occ->role = ROLE_NONE;
    muc_occupant_changed(occ);
    muc_pres_broadcast(r, occ, &p, NULL, 0);
    while (occ->seats)
        muc_seat_remove(r, occ->seats);
    muc_occupant_free(r, occ);
}

void muc_occupant_broadcast(struct muc_room *r, struct muc_occupant *occ, const int *codes,
                            size_t n_codes, const char *actor, const char *reason)
{
    struct muc_pres p = { .codes = codes, .n_codes = n_codes, .actor = actor, .reason = reason };
    muc_pres_broadcast(r, occ, &p, NULL, 0);
}
