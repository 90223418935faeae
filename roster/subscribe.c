/* SPDX-License-Identifier: MIT */
/* Subscription stanzas (RFC 6121 §3): the Appendix A state table applied to both rosters,
 * requests kept for an offline contact and delivered to its available resources. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "roster_int.h"

/* ---- subscriptions ---------------------------------------------------------------------- */

static const char *const sub_type[] = { "subscribe", "subscribed", "unsubscribe",
                                        "unsubscribed" };

struct applied {
    unsigned actions;
    int from_delta; /* +1: the contact now receives the owner's presence; -1: no longer */
};

static void set_status(struct roster_item *it, const char *status, bool *changed)
{
    if ((!status && !it->status) || (status && it->status && strcmp(status, it->status) == 0))
        return;
    free(it->status);
    it->status = status ? xstrdup(status) : NULL;
    *changed = true;
}

/* One side's roster: state through the table, visibility, pending request, store, push. */
static struct applied apply(struct roster_mod *m, const char *owner, const char *contact,
                            enum sub_event ev, const char *status)
{
    struct roster *r = roster_peek(m, owner);
    if (!r)
        return (struct applied){ 0, 0 };
    struct roster_item *it = roster_item_get(r, contact);
    unsigned old = it->state;
    bool was_visible = it->in_roster;
    struct sub_result res = subscription_apply(old, ev);
    it->state = res.state;
    /* The owner's own request, approval or pre-approval puts the contact on the roster
     * (§3.1.2, §3.1.5, §3.4). */
    if (ev == SUB_OUT_SUBSCRIBE || (ev == SUB_OUT_SUBSCRIBED && res.state != old))
        it->in_roster = true;
    bool changed = old != res.state || was_visible != it->in_roster;
    if (ev == SUB_IN_SUBSCRIBE && (res.state & SUB_PENDING_IN))
        set_status(it, status, &changed);
    else if (!(res.state & SUB_PENDING_IN))
        set_status(it, NULL, &changed);
    unsigned shown = SUB_TO | SUB_FROM | SUB_PENDING_OUT | SUB_APPROVED;
    bool push = it->in_roster && (!was_visible || ((old ^ res.state) & shown));
    if (changed)
        roster_item_save(m, r, it); /* may free a hidden item left with no state */
    if (push)
        roster_push(m, r, it, false);
    int delta = ((res.state & SUB_FROM) != 0) - ((old & SUB_FROM) != 0);
    return (struct applied){ res.actions, delta };
}

/* The owner's available presences (or their end) for the contact's resources (§3.1.5,
 * §3.2.2, §3.3.3): one direction of subscription has just opened or closed. */
static void from_changed(struct roster_mod *m, const char *owner, const char *contact, int delta)
{
    for (struct session *s = module_sessions_first(m->srv, owner); s;
         s = module_sessions_next(s)) {
        if (!module_session_available(s))
            continue;
        if (delta > 0) {
            if (!module_session_presence(s))
                continue;
            pres_out_set(&m->out, module_session_presence(s), s);
            pres_out_send_account(m, &m->out, contact, NULL);
        } else {
            struct stanza *u = pres_stanza_new("unavailable", module_session_jid(s)->full, NULL);
            pres_out_set(&m->out, u, s);
            pres_out_send_account(m, &m->out, contact, NULL);
            stanza_unref(u);
        }
    }
}

/* Delivers a subscription stanza from one bare JID to another's available resources. */
static void deliver_sub(struct roster_mod *m, const char *from, const char *to, const char *type,
                        const char *status)
{
    struct stanza *st = pres_stanza_new(type, from, status);
    pres_out_set(&m->out, st, NULL);
    pres_out_send_account(m, &m->out, to, NULL);
    stanza_unref(st);
}

/* May the contact's account take a subscription stanza of type from owner? Asked here rather
 * than by the router, so that a refusal skips only the contact's side (as ejabberd does): the
 * owner's roster still records what the owner sent. */
static bool contact_accepts(struct roster_mod *m, const char *owner, const char *contact,
                            enum sub_event ev)
{
    struct filter_verdict v;
    struct stanza *st = pres_stanza_new(sub_type[ev - SUB_OUT_SUBSCRIBE], owner, NULL);
    bool ok = module_filter_in(m->srv, contact, NULL, st, &v) == ROUTE_PASS;
    stanza_unref(st);
    return ok;
}

/* Would ev leave a new item in owner's roster that its bounds have no room for (RFC 6121 lets
 * a server bound rosters)? A request, an approval or a pre-approval creates one; items that
 * exist may always change, so a full roster still follows its contacts' answers. */
static bool roster_full(struct roster_mod *m, const char *owner, const char *contact,
                        enum sub_event ev, const char *status)
{
    struct roster *r = roster_peek(m, owner);
    if (!r || roster_item_find(r, contact))
        return false;
    struct sub_result res = subscription_apply(0, ev);
    bool shown = ev == SUB_OUT_SUBSCRIBE || (ev == SUB_OUT_SUBSCRIBED && res.state != 0);
    if (!shown && !(res.state & (SUB_STATE_MASK | SUB_APPROVED)))
        return false; /* nothing would be kept */
    const char *kept = ev == SUB_IN_SUBSCRIBE ? status : NULL;
    if (roster_item_room(m, r, contact, res.state, shown, kept))
        return false;
    module_log(LOG_DEBUG, "roster", "%s: roster full, no item for %s", owner, contact);
    return true;
}

void presence_sub_send(struct roster_mod *m, const char *owner, const char *contact,
                       enum sub_event ev, const char *status)
{
    struct applied out = apply(m, owner, contact, ev, NULL), in = { 0, 0 }, back = { 0, 0 };
    enum sub_event in_ev = (enum sub_event)(ev + SUB_IN_SUBSCRIBE - SUB_OUT_SUBSCRIBE);
    /* A contact whose roster is full does not get the request, as if it had not answered:
     * the request is not stored for it (ejabberd and Prosody refuse to grow a full roster). */
    if ((out.actions & SUB_ACT_ROUTE) && module_account_exists(m->srv, contact) &&
        contact_accepts(m, owner, contact, ev) &&
        !roster_full(m, contact, owner, in_ev, status)) {
        in = apply(m, contact, owner, in_ev, status);
        if (in.actions & SUB_ACT_ROUTE)
            deliver_sub(m, owner, contact, sub_type[ev - SUB_OUT_SUBSCRIBE], status);
        if (in.actions & SUB_ACT_AUTOREPLY) {
            back = apply(m, owner, contact, SUB_IN_SUBSCRIBED, NULL);
            if (back.actions & SUB_ACT_ROUTE)
                deliver_sub(m, contact, owner, "subscribed", NULL);
        }
    }
    /* Presence follows the stanzas that explain it. */
    if (out.from_delta)
        from_changed(m, owner, contact, out.from_delta);
    if (in.from_delta)
        from_changed(m, contact, owner, in.from_delta);
}

static enum sub_event out_event(unsigned type)
{
    switch (type) {
    case PRES_SUBSCRIBE: return SUB_OUT_SUBSCRIBE;
    case PRES_SUBSCRIBED: return SUB_OUT_SUBSCRIBED;
    case PRES_UNSUBSCRIBE: return SUB_OUT_UNSUBSCRIBE;
    default: return SUB_OUT_UNSUBSCRIBED;
    }
}

/* A subscription stanza from a client: to a bare JID, stamped with the owner's bare JID. */
int presence_sub_route(struct route_ctx *rc, struct stanza *st)
{
    struct roster_mod *m = rc->state;
    const char *owner = module_session_jid(rc->sess)->bare;
    char status[STATUS_MAX + 1];
    if (!rc->to || !rc->to->local || strcmp(rc->to->bare, owner) == 0)
        return ROUTE_DONE; /* nothing to subscribe to */
    if (roster_full(m, owner, rc->to->bare, out_event(st->type), NULL))
        return ROUTE_ERROR(COND_RESOURCE_CONSTRAINT);
    presence_sub_send(m, owner, rc->to->bare, out_event(st->type),
                      pres_status_of(st, status, sizeof(status)));
    return ROUTE_DONE;
}
