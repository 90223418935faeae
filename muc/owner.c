/* SPDX-License-Identifier: MIT */
/* The owner protocol (XEP-0045 §10, muc#owner): the configuration form, instant and reserved
 * rooms, configuration changes (104) and room destruction. */
#include "muc.h"

#include <string.h>

static void reply_ok(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *ok = stanza_iq_result(st);
    router_reply(rc, ok);
    stanza_unref(ok);
}

static int send_form(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                     struct muc_room *r)
{
    struct stanza *res = stanza_iq_result(st);
    struct xel *q = xel_add_child(res, res->root, "query", NS_MUC_OWNER);
    muc_config_form(res, q, r, m);
    router_reply(rc, res);
    stanza_unref(res);
    return ROUTE_DONE;
}

/* A groupchat message from the room itself carrying status codes. */
static void announce(struct muc_room *r, const int *codes, size_t n)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "groupchat");
    stanza_set_from(st, r->jid);
    struct xel *x = xel_add_child(st, st->root, "x", NS_MUC_USER);
    for (size_t i = 0; i < n; i++)
        muc_add_status(st, x, codes[i]);
    stanza_summarize(st);
    muc_broadcast(r, st);
    stanza_unref(st);
}

/* §9.x: a room made members-only loses its occupants who are not members (322). */
static void remove_non_members(struct muc_room *r)
{
    const int codes[] = { 322 };
    for (size_t i = r->n_occ; i-- > 0;)
        if (muc_aff_of(r, r->occ[i]->bare) < AFF_MEMBER)
            muc_occupant_remove(r, r->occ[i], codes, 1, NULL, NULL);
}

static int submit(struct route_ctx *rc, struct stanza *st, struct muc_room *r,
                  const struct xel *form)
{
    bool was_locked = r->locked, was_members_only = r->cfg.members_only;
    int was_whois = r->cfg.whois;
    bool changed;
    int res = muc_config_submit(r, form, r->mod, &changed);
    if (res != ROUTE_DONE)
        return res;
    r->locked = false;
    if (muc_room_save(r) != PL_OK)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    reply_ok(rc, st);
    if (was_locked) {
        module_log(LOG_INFO, "muc", "room %s configured and unlocked", r->jid);
        return ROUTE_DONE;
    }
    if (r->cfg.members_only && !was_members_only)
        remove_non_members(r);
    int codes[2] = { 104 };
    size_t n = 1;
    if (r->cfg.whois != was_whois)
        codes[n++] = r->cfg.whois == WHOIS_ANYONE ? 172 : 173;
    if (changed)
        announce(r, codes, n);
    return ROUTE_DONE;
}

/* §10.9: everyone leaves with the destruction notice (and the alternate venue), then the
 * room is gone with its configuration, affiliations and archive. */
static void destroy(struct muc_room *r, const char *venue, const char *reason)
{
    while (r->n_occ) {
        struct muc_occupant *occ = r->occ[r->n_occ - 1];
        occ->role = ROLE_NONE;
        muc_occupant_changed(occ);
        for (struct muc_seat *s = occ->seats; s; s = s->next) {
            struct stanza *bye = stanza_new("presence", NS_CLIENT);
            xel_set_attr(bye, bye->root, "type", "unavailable");
            stanza_set_from(bye, occ->jid);
            struct xel *x = xel_add_child(bye, bye->root, "x", NS_MUC_USER);
            struct xel *item = xel_add_child(bye, x, "item", NS_MUC_USER);
            xel_set_attr(bye, item, "affiliation", "none");
            xel_set_attr(bye, item, "role", "none");
            struct xel *d = xel_add_child(bye, x, "destroy", NS_MUC_USER);
            if (venue)
                xel_set_attr(bye, d, "jid", venue);
            if (reason)
                xel_add_text_child(bye, d, "reason", reason);
            stanza_summarize(bye);
            muc_send_to(r, s->sess, bye);
            stanza_unref(bye);
        }
        while (occ->seats)
            muc_seat_remove(r, occ->seats);
        muc_occupant_free(r, occ);
    }
    muc_room_destroy(r);
}

static int owner_set(struct route_ctx *rc, struct stanza *st, struct muc_room *r,
                     const struct xel *q)
{
    const struct xel *x = xel_child(q, "x", NS_XDATA);
    const struct xel *d = xel_child(q, "destroy", NS_MUC_OWNER);
    const char *type = x ? xel_attr(x, "type") : NULL;
    if (d) {
        const struct xel *reason = xel_child(d, "reason", NULL);
        destroy(r, xel_attr(d, "jid"), reason ? xel_text(reason) : NULL);
        reply_ok(rc, st);
        return ROUTE_DONE;
    }
    if (type && strcmp(type, "submit") == 0)
        return submit(rc, st, r, x);
    if (type && strcmp(type, "cancel") == 0) {
        if (r->locked) /* §10.1.3: a new room whose configuration is cancelled goes */
            destroy(r, NULL, NULL);
        reply_ok(rc, st);
        return ROUTE_DONE;
    }
    return ROUTE_ERROR(COND_BAD_REQUEST);
}

int muc_owner_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r)
{
    const struct xel *q = xel_child(st->root, "query", NS_MUC_OWNER);
    if (!q)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (muc_aff_of(r, module_session_jid(rc->sess)->bare) != AFF_OWNER)
        return ROUTE_ERROR(COND_FORBIDDEN);
    if (st->type == IQ_GET)
        return send_form(m, rc, st, r);
    return owner_set(rc, st, r, q);
}

void muc_room_destroy_all(struct muc_room *r, const char *reason)
{
    destroy(r, NULL, reason);
}
