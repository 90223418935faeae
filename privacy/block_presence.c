/* SPDX-License-Identifier: MIT */
/* Presence when a contact is blocked or unblocked: each side sees the other go or come back. */
#include <string.h>

#include "base.h"
#include "ns.h"
#include "privacy.h"
#include "roster.h"

/* Does the session belong to the given resource (NULL: any resource)? */
static bool resource_is(const struct session *s, const char *resource)
{
    return !resource || strcmp(module_session_jid(s)->resource, resource) == 0;
}

/* Unavailable presence from each available resource of `from` (or only from_res) to the
 * available resources of `to` (or only to_res). Sent directly: the block now in force would
 * stop it on the normal path, and it is the last thing the other side must hear. */
static void tell_gone(struct privacy *p, const char *from, const char *from_res, const char *to,
                      const char *to_res)
{
    for (struct session *f = module_sessions_first(p->srv, from); f; f = module_sessions_next(f)) {
        if (!module_session_available(f) || !resource_is(f, from_res))
            continue;
        struct stanza *u = stanza_new("presence", NS_CLIENT);
        xel_set_attr(u, u->root, "type", "unavailable");
        stanza_set_from(u, module_session_jid(f)->full);
        for (struct session *t = module_sessions_first(p->srv, to); t;
             t = module_sessions_next(t)) {
            if (!module_session_available(t) || !resource_is(t, to_res))
                continue;
            stanza_set_to(u, module_session_jid(t)->full);
            stanza_summarize(u);
            module_send(t, u);
        }
        stanza_unref(u);
    }
}

void priv_send_unavailable(struct privacy *p, const struct session *from, const char *to)
{
    struct jid *j = jid_parse(to);
    if (!j)
        return;
    struct stanza *u = stanza_new("presence", NS_CLIENT);
    xel_set_attr(u, u->root, "type", "unavailable");
    stanza_set_from(u, module_session_jid(from)->full);
    stanza_set_to(u, j->full);
    stanza_summarize(u);
    struct filter_verdict v;
    for (struct session *t = module_sessions_first(p->srv, j->bare); t;
         t = module_sessions_next(t)) {
        if (!module_session_available(t) || !resource_is(t, j->resource))
            continue;
        /* the recipient's own lists still decide what it hears */
        if (module_filter_in(p->srv, j->bare, t, u, &v) == ROUTE_PASS)
            module_send(t, u);
    }
    stanza_unref(u);
    jid_free(j);
}

struct directed_gone {
    struct privacy *p;
    const struct session *from;
    const struct jid *blocked;
};

/* One JID the session sent directed presence to: told when the block covers it. */
static void gone_if_covered(void *ctx, const char *jid)
{
    struct directed_gone *g = ctx;
    struct jid *d = jid_parse(jid);
    const char *owner = module_session_jid(g->from)->bare;
    if (d && strcmp(d->bare, owner) != 0 && priv_jid_match(g->blocked, d))
        priv_send_unavailable(g->p, g->from, jid);
    jid_free(d);
}

/* XEP-0191 §3.3: presence directed to the blocked JID is ended as well, whether or not the
 * roster lets it see the user (RFC 6121 §4.6). */
static void tell_directed_gone(struct privacy *p, const char *owner, const struct jid *blocked)
{
    for (struct session *f = module_sessions_first(p->srv, owner); f;
         f = module_sessions_next(f)) {
        struct directed_gone g = { p, f, blocked };
        if (module_session_available(f))
            roster_for_each_directed(p->srv, f, gone_if_covered, &g);
    }
}

/* The current presence of each available resource of `from` to `to`, through the normal
 * delivery path so that every other privacy rule still applies. */
static void tell_back(struct privacy *p, const char *from, const char *to)
{
    for (struct session *f = module_sessions_first(p->srv, from); f; f = module_sessions_next(f)) {
        const struct stanza *last = module_session_presence(f);
        if (!module_session_available(f) || !last)
            continue;
        struct stanza *copy = stanza_compact(last);
        stanza_set_from(copy, module_session_jid(f)->full);
        stanza_set_to(copy, to);
        stanza_summarize(copy);
        module_send_available(p->srv, to, copy, NULL);
        stanza_unref(copy);
    }
}

void priv_block_presence(struct privacy *p, const char *owner, const char *jid, bool blocked)
{
    struct jid *j = jid_parse(jid);
    if (!j || (j->local && strcmp(j->bare, owner) == 0)) {
        jid_free(j);
        return;
    }
    /* A whole domain is not looked up in the roster: only directed presence is ended. */
    struct roster_contact rc = { .found = false };
    if (j->local)
        roster_contact_get(p->srv, owner, j->bare, &rc);
    bool they_see_me = rc.found && (rc.sub & ROSTER_SUB_FROM);
    bool i_see_them = rc.found && (rc.sub & ROSTER_SUB_TO);
    if (blocked && they_see_me)
        tell_gone(p, owner, NULL, j->bare, j->resource);
    else if (blocked) /* tell_gone reached every resource the block covers already */
        tell_directed_gone(p, owner, j);
    if (blocked && i_see_them)
        tell_gone(p, j->bare, j->resource, owner, NULL);
    if (!blocked && they_see_me)
        tell_back(p, owner, j->bare);
    if (!blocked && i_see_them)
        tell_back(p, j->bare, owner);
    jid_free(j);
}
