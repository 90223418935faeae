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
    if (!j || !j->local || strcmp(j->bare, owner) == 0) {
        jid_free(j); /* a whole domain: stanzas stop, nobody is told one by one */
        return;
    }
    struct roster_contact rc;
    roster_contact_get(p->srv, owner, j->bare, &rc);
    bool they_see_me = rc.found && (rc.sub & ROSTER_SUB_FROM);
    bool i_see_them = rc.found && (rc.sub & ROSTER_SUB_TO);
    if (blocked && they_see_me)
        tell_gone(p, owner, NULL, j->bare, j->resource);
    if (blocked && i_see_them)
        tell_gone(p, j->bare, j->resource, owner, NULL);
    if (!blocked && they_see_me)
        tell_back(p, owner, j->bare);
    if (!blocked && i_see_them)
        tell_back(p, j->bare, owner);
    jid_free(j);
}
