/* SPDX-License-Identifier: MIT */
/* Enforcement: the blocklist, then the active (or default) list, for stanzas in and out. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "privacy.h"
#include "roster.h"

/* Presence notifications are the only presence a presence-in/-out item covers; subscriptions
 * and probes are covered by child-less items alone (kind 0), like outgoing messages and iqs. */
static unsigned kind_of(const struct stanza *st, bool inbound)
{
    bool notification = st->kind == STANZA_PRESENCE &&
                        (st->type & (PRES_AVAILABLE | PRES_UNAVAILABLE));
    if (!inbound)
        return notification ? PRIV_PRES_OUT : 0;
    if (notification)
        return PRIV_PRES_IN;
    return st->kind == STANZA_MESSAGE ? PRIV_MESSAGE : st->kind == STANZA_IQ ? PRIV_IQ : 0;
}

/* XEP-0016 §2.2 rules 1-2: the session's active list, else the account's default list. */
static const struct priv_list *applied_list(struct privacy *p, const struct priv_account *acct,
                                            const struct session *sess)
{
    const struct priv_session *ps = priv_session_get(p, sess);
    if (ps && ps->active)
        return priv_list_find(acct, ps->active);
    return priv_list_find(acct, acct->default_name);
}

static void peer_from_roster(struct privacy *p, const char *owner, struct priv_peer *peer)
{
    struct roster_contact rc;
    roster_contact_get(p->srv, owner, peer->jid->bare, &rc);
    peer->in_roster = rc.found;
    peer->sub = (enum priv_sub)rc.sub;
    peer->groups = rc.groups;
    peer->n_groups = rc.n_groups;
}

/* other parsed (borrowed until the next call), NULL when it is not a JID. */
static const struct jid *parsed(struct privacy *p, const char *other)
{
    if (p->last_text && strcmp(p->last_text, other) == 0)
        return p->last_jid;
    struct jid *j = jid_parse(other);
    if (!j)
        return NULL;
    free(p->last_text);
    jid_free(p->last_jid);
    p->last_text = xstrdup(other);
    p->last_jid = j;
    return j;
}

/* Returns true when the stanza may pass; *blocked tells that the blocklist refused it. */
static bool decide(struct privacy *p, const struct priv_account *acct, const struct session *sess,
                   const char *other, unsigned kind, bool *blocked)
{
    const struct priv_list *block = priv_list_find(acct, PRIV_BLOCKLIST);
    const struct priv_list *list = applied_list(p, acct, sess);
    if (list == block)
        list = NULL;
    *blocked = false;
    if (!block && !list)
        return true; /* the common case costs one hash lookup and no parsing */
    const struct jid *j = parsed(p, other);
    if (!j)
        return true;
    struct priv_peer peer = { .jid = j };
    bool ok = true;
    if (block && !priv_rules_allow(block->items, block->n, kind, &peer, NULL)) {
        *blocked = true;
        ok = false;
    } else if (list) {
        if (priv_rules_need_roster(list->items, list->n))
            peer_from_roster(p, acct->bare, &peer);
        ok = priv_rules_allow(list->items, list->n, kind, &peer, NULL);
    }
    return ok;
}

bool priv_presence_out_allowed(struct privacy *p, const struct priv_account *acct,
                               const struct session *sess, const char *to)
{
    bool blocked;
    return decide(p, acct, sess, to, PRIV_PRES_OUT, &blocked);
}

/* Only messages and iq requests are answered; everything else is dropped quietly. */
static bool answerable(const struct stanza *st)
{
    return (st->kind == STANZA_MESSAGE && !(st->type & MSG_ERROR)) ||
           (st->type & (IQ_GET | IQ_SET));
}

int priv_filter_out(void *state, const char *owner, const struct session *sender, const char *to,
                    const struct stanza *st, struct filter_verdict *v)
{
    struct privacy *p = state;
    /* loaded for the call when the account has no session (priv_account_done drops it) */
    struct priv_account *acct = priv_account_get(p, owner);
    bool blocked;
    if (!acct || decide(p, acct, sender, to, kind_of(st, false), &blocked)) {
        priv_account_done(p, acct);
        return v->res = ROUTE_PASS;
    }
    priv_account_done(p, acct);
    /* XEP-0016 §2.14 and XEP-0191 §5.4: the user learns the contact is blocked. */
    v->res = answerable(st) ? ROUTE_ERROR(COND_NOT_ACCEPTABLE) : ROUTE_DONE;
    if (blocked) {
        v->app_name = "blocked";
        v->app_ns = NS_BLOCKING_ERRORS;
    }
    return v->res;
}

int priv_filter_in(void *state, const char *owner, const struct session *sess,
                   const struct stanza *st, struct filter_verdict *v)
{
    struct privacy *p = state;
    struct priv_account *acct = priv_account_get(p, owner);
    bool blocked;
    bool ok = !acct || decide(p, acct, sess, st->from, kind_of(st, true), &blocked);
    priv_account_done(p, acct);
    /* XEP-0016 §2.14, XEP-0191 §5.3: the sender sees the user as unavailable, and nothing
     * tells it that it is blocked. */
    v->res = ok ? ROUTE_PASS : answerable(st) ? ROUTE_ERROR(COND_SERVICE_UNAVAILABLE) : ROUTE_DONE;
    return v->res;
}
