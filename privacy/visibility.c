/* SPDX-License-Identifier: MIT */
/* XEP-0016 §2.11: contacts that a list change stops from seeing the user get unavailable. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "privacy.h"
#include "roster.h"

/* One resource of the user and one JID that sees its presence. */
struct seen_pair {
    char *from; /* the resource's full JID */
    char *to;   /* as presence is addressed to it: a subscriber's bare JID, or as directed */
};

struct priv_seen {
    struct privacy *p;
    struct priv_account *acct;
    const struct session *cur; /* the resource being walked */
    struct seen_pair *v;
    size_t n, cap;
};

/* Records the pair when the lists let the current resource's presence reach `to` now. */
static void add_if_visible(struct priv_seen *s, const char *to)
{
    if (!priv_presence_out_allowed(s->p, s->acct, s->cur, to))
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = (struct seen_pair){ xstrdup(module_session_jid(s->cur)->full), xstrdup(to) };
}

/* Broadcasts address a subscriber's bare JID; only one online can be told anything. */
static void on_subscriber(void *ctx, const char *contact_bare)
{
    struct priv_seen *s = ctx;
    if (module_sessions_first(s->p->srv, contact_bare))
        add_if_visible(s, contact_bare);
}

/* Directed presence to a subscriber went with the broadcast: the bare JID covers it. */
static void on_directed(void *ctx, const char *jid)
{
    struct priv_seen *s = ctx;
    struct jid *j = jid_parse(jid);
    struct roster_contact rc = { .found = false };
    if (j)
        roster_contact_get(s->p->srv, s->acct->bare, j->bare, &rc);
    if (j && !(rc.found && (rc.sub & ROSTER_SUB_FROM)) && module_sessions_first(s->p->srv, j->bare))
        add_if_visible(s, j->full);
    jid_free(j);
}

struct priv_seen *priv_seen_take(struct privacy *p, const char *bare)
{
    struct priv_seen *s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->acct = priv_account_get(p, bare);
    if (!s->acct)
        return s;
    for (struct session *f = module_sessions_first(p->srv, bare); f; f = module_sessions_next(f)) {
        if (!module_session_available(f))
            continue;
        s->cur = f;
        roster_for_each_subscriber(p->srv, bare, on_subscriber, s);
        roster_for_each_directed(p->srv, f, on_directed, s);
    }
    return s;
}

/* The resource may have gone or turned unavailable meanwhile: then it told everyone itself. */
static void settle_pair(struct priv_seen *s, const struct seen_pair *pair)
{
    struct session *f = module_session_find(s->p->srv, pair->from);
    if (f && module_session_available(f) &&
        !priv_presence_out_allowed(s->p, s->acct, f, pair->to))
        priv_send_unavailable(s->p, f, pair->to);
}

void priv_seen_settle(struct privacy *p, struct priv_seen *seen)
{
    for (size_t i = 0; i < seen->n; i++) {
        settle_pair(seen, &seen->v[i]);
        free(seen->v[i].from);
        free(seen->v[i].to);
    }
    free(seen->v);
    priv_account_done(p, seen->acct);
    free(seen);
}
