/* SPDX-License-Identifier: MIT */
/* Mediated invitations (XEP-0045 §7.8.2) and their declines, sent on by the room. */
#include "muc.h"

#include <string.h>

/* A message from the room to a local account carrying <x xmlns=muc#user><what from=.../>,
 * with the request's reason. */
static void send_on(struct muc_room *r, const char *to, const char *what, const char *from,
                    const struct xel *req)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    stanza_set_from(st, r->jid);
    stanza_set_to(st, to);
    struct xel *x = xel_add_child(st, st->root, "x", NS_MUC_USER);
    struct xel *el = xel_add_child(st, x, what, NS_MUC_USER);
    xel_set_attr(st, el, "from", from);
    const struct xel *reason = xel_child(req, "reason", NULL);
    if (reason)
        xel_add_text_child(st, el, "reason", xel_text(reason));
    if (strcmp(what, "invite") == 0 && r->cfg.password_protected)
        xel_add_text_child(st, x, "password", r->cfg.password);
    stanza_summarize(st);
    module_deliver_message(r->mod->srv, st);
    stanza_unref(st);
}

void muc_invite_send(struct muc_room *r, const char *to_bare, const char *from_bare,
                     const struct xel *inv)
{
    send_on(r, to_bare, "invite", from_bare, inv);
}

int muc_decline(struct muc_room *r, struct route_ctx *rc, const struct xel *decline)
{
    const char *to = xel_attr(decline, "to");
    struct jid *j = to ? jid_parse(to) : NULL;
    if (!j || !j->local) {
        jid_free(j);
        return ROUTE_ERROR(COND_JID_MALFORMED);
    }
    send_on(r, j->bare, "decline", module_session_jid(rc->sess)->bare, decline);
    jid_free(j);
    return ROUTE_DONE;
}
