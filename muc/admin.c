/* SPDX-License-Identifier: MIT */
/* The admin protocol (XEP-0045 §8-9, muc#admin): roles and affiliations granted, revoked and
 * listed; kicks (307) and bans (301). A request's items are all checked before any applies. */
#include "muc.h"

#include <string.h>

/* One item of a request, parsed. */
struct change {
    const struct xel *item;
    int role;            /* enum muc_role, -1: an affiliation change */
    int aff;             /* enum muc_aff, -1: a role change */
    struct muc_occupant *occ; /* a role change's occupant */
    struct jid *jid;     /* an affiliation change's JID (owned) */
    const char *reason;
};

struct actor {
    struct muc_occupant *occ; /* NULL: not in the room */
    enum muc_aff aff;
};

static int check_role(const struct muc_room *r, const struct actor *a, struct change *c)
{
    const char *nick = xel_attr(c->item, "nick");
    if (!nick)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (!a->occ || a->occ->role != ROLE_MODERATOR)
        return ROUTE_ERROR(COND_FORBIDDEN);
    c->occ = muc_occupant_by_nick(r, nick);
    if (!c->occ)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    enum muc_aff target = muc_aff_of(r, c->occ->bare);
    if (target >= AFF_ADMIN && (c->role != ROLE_MODERATOR || target > a->aff))
        return ROUTE_ERROR(COND_NOT_ALLOWED); /* admins and owners keep their voice */
    if ((c->role == ROLE_MODERATOR || c->occ->role == ROLE_MODERATOR) && a->aff < AFF_ADMIN)
        return ROUTE_ERROR(COND_NOT_ALLOWED); /* §9.6: moderators are made by admins */
    return ROUTE_DONE;
}

static int check_aff(const struct muc_room *r, const struct actor *a, struct change *c,
                     size_t *owners)
{
    const char *jid = xel_attr(c->item, "jid");
    c->jid = jid ? jid_parse(jid) : NULL;
    if (!c->jid)
        return ROUTE_ERROR(jid ? COND_JID_MALFORMED : COND_BAD_REQUEST);
    if (a->aff < AFF_ADMIN)
        return ROUTE_ERROR(COND_FORBIDDEN);
    enum muc_aff now = muc_aff_of(r, c->jid->bare);
    if (a->aff == AFF_ADMIN && (now >= AFF_ADMIN || c->aff >= AFF_ADMIN))
        return ROUTE_ERROR(COND_NOT_ALLOWED); /* §10: owners grant and revoke admin and owner */
    if (now == AFF_OWNER && c->aff != AFF_OWNER && --*owners == 0)
        return ROUTE_ERROR(COND_CONFLICT); /* the last owner stays */
    return ROUTE_DONE;
}

static int parse_change(const struct muc_room *r, const struct actor *a, struct change *c,
                        size_t *owners)
{
    const char *role = xel_attr(c->item, "role"), *aff = xel_attr(c->item, "affiliation");
    const struct xel *reason = xel_child(c->item, "reason", NULL);
    c->reason = reason ? xel_text(reason) : NULL;
    c->role = role ? muc_role_parse(role) : -1;
    c->aff = aff ? muc_aff_parse(aff) : -1;
    if ((role && c->role < 0) || (aff && c->aff < 0) || (role != NULL) == (aff != NULL))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    return role ? check_role(r, a, c) : check_aff(r, a, c, owners);
}

static void apply_role(struct muc_room *r, const struct actor *a, const struct change *c)
{
    const char *by = a->occ ? a->occ->nick : NULL;
    if (c->role == ROLE_NONE) {
        const int kicked[] = { 307 };
        muc_occupant_remove(r, c->occ, kicked, 1, by, c->reason);
        return;
    }
    c->occ->role = (enum muc_role)c->role;
    muc_occupant_changed(c->occ);
    muc_occupant_broadcast(r, c->occ, NULL, 0, by, c->reason);
}

/* The occupants of the JID whose affiliation changed see it at once: banned (301) or no
 * longer a member of a members-only room (321) ones leave, others get their new role. */
static void apply_aff(struct muc_room *r, const struct actor *a, const struct change *c)
{
    const char *by = a->occ ? a->occ->nick : NULL;
    muc_aff_set(r, c->jid->bare, (enum muc_aff)c->aff, c->reason);
    for (size_t i = r->n_occ; i-- > 0;) {
        struct muc_occupant *occ = r->occ[i];
        if (strcmp(occ->bare, c->jid->bare) != 0)
            continue;
        const int banned[] = { 301 }, unmembered[] = { 321 };
        if (c->aff == AFF_OUTCAST) {
            muc_occupant_remove(r, occ, banned, 1, by, c->reason);
        } else if (r->cfg.members_only && c->aff < AFF_MEMBER) {
            muc_occupant_remove(r, occ, unmembered, 1, by, c->reason);
        } else {
            occ->role = muc_role_for(r, (enum muc_aff)c->aff);
            muc_occupant_changed(occ);
            muc_occupant_broadcast(r, occ, NULL, 0, by, c->reason);
        }
    }
}

#define MAX_ITEMS 64

static int admin_set(struct route_ctx *rc, struct stanza *st, struct muc_room *r,
                     const struct xel *q)
{
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    struct actor a = { seat ? seat->occ : NULL, muc_aff_of(r, module_session_jid(rc->sess)->bare) };
    struct change cs[MAX_ITEMS];
    size_t n = 0, owners = muc_owner_count(r);
    int res = ROUTE_DONE;
    for (const struct xel *it = q->first; it && res == ROUTE_DONE; it = it->next) {
        if (!it->name || strcmp(it->name, "item") != 0)
            continue;
        if (n == MAX_ITEMS) {
            res = ROUTE_ERROR(COND_POLICY_VIOLATION);
            break;
        }
        cs[n] = (struct change){ .item = it };
        res = parse_change(r, &a, &cs[n++], &owners);
    }
    for (size_t i = 0; i < n && res == ROUTE_DONE; i++) {
        if (cs[i].role >= 0)
            apply_role(r, &a, &cs[i]);
        else
            apply_aff(r, &a, &cs[i]);
    }
    for (size_t i = 0; i < n; i++)
        jid_free(cs[i].jid);
    if (res == ROUTE_DONE && !n)
        res = ROUTE_ERROR(COND_BAD_REQUEST);
    if (res == ROUTE_DONE) {
        struct stanza *ok = stanza_iq_result(st);
        router_reply(rc, ok);
        stanza_unref(ok);
    }
    return res;
}

struct list_walk {
    struct stanza *st;
    struct xel *q;
    enum muc_aff aff;
};

static void list_aff(void *ctx, const char *key, void *value)
{
    struct list_walk *w = ctx;
    const struct muc_aff_entry *e = value;
    if (e->aff != w->aff)
        return;
    struct xel *item = xel_add_child(w->st, w->q, "item", NS_MUC_ADMIN);
    xel_set_attr(w->st, item, "affiliation", muc_aff_name(e->aff));
    xel_set_attr(w->st, item, "jid", key);
    if (e->reason)
        xel_add_text_child(w->st, item, "reason", e->reason);
}

static void list_role(const struct muc_room *r, struct list_walk *w, enum muc_role role,
                      bool jids)
{
    for (size_t i = 0; i < r->n_occ; i++) {
        const struct muc_occupant *occ = r->occ[i];
        if (occ->role != role)
            continue;
        struct xel *item = xel_add_child(w->st, w->q, "item", NS_MUC_ADMIN);
        xel_set_attr(w->st, item, "nick", occ->nick);
        xel_set_attr(w->st, item, "role", muc_role_name(occ->role));
        xel_set_attr(w->st, item, "affiliation", muc_aff_name(muc_aff_of(r, occ->bare)));
        if (jids)
            xel_set_attr(w->st, item, "jid", occ->bare);
    }
}

/* §9.5, §10.5: lists by affiliation for admins, by role for moderators. */
static int admin_get(struct route_ctx *rc, struct stanza *st, struct muc_room *r,
                     const struct xel *q)
{
    const struct xel *item = xel_child(q, "item", NS_MUC_ADMIN);
    const char *role = item ? xel_attr(item, "role") : NULL;
    const char *aff = item ? xel_attr(item, "affiliation") : NULL;
    int rv = role ? muc_role_parse(role) : -1, av = aff ? muc_aff_parse(aff) : -1;
    if ((role != NULL) == (aff != NULL) || (role && rv <= ROLE_NONE) || (aff && av <= AFF_NONE))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct muc_seat *seat = muc_seat_of(r, rc->sess);
    enum muc_aff mine = muc_aff_of(r, module_session_jid(rc->sess)->bare);
    if (aff ? mine < AFF_ADMIN : (!seat || seat->occ->role != ROLE_MODERATOR))
        return ROUTE_ERROR(COND_FORBIDDEN);
    struct stanza *res = stanza_iq_result(st);
    struct list_walk w = { res, xel_add_child(res, res->root, "query", NS_MUC_ADMIN), AFF_NONE };
    if (aff) {
        w.aff = (enum muc_aff)av;
        hmap_each(&r->affs, list_aff, &w);
    } else {
        list_role(r, &w, (enum muc_role)rv, true);
    }
    router_reply(rc, res);
    stanza_unref(res);
    return ROUTE_DONE;
}

int muc_admin_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r)
{
    (void)m;
    const struct xel *q = xel_child(st->root, "query", NS_MUC_ADMIN);
    if (!q)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    return st->type == IQ_GET ? admin_get(rc, st, r, q) : admin_set(rc, st, r, q);
}
