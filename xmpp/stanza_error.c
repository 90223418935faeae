/* SPDX-License-Identifier: MIT */
/* Stanza error conditions with their RFC 6120 error types, and error/result replies. */
#include "stanza_error.h"

#include <string.h>

#include "base.h"
#include "ns.h"

struct cond_row {
    const char *name;
    const char *type;
};

static const struct cond_row conds[COND_COUNT] = {
    [COND_NONE] = { "undefined-condition", "cancel" },
    [COND_BAD_REQUEST] = { "bad-request", "modify" },
    [COND_CONFLICT] = { "conflict", "cancel" },
    [COND_FEATURE_NOT_IMPLEMENTED] = { "feature-not-implemented", "cancel" },
    [COND_FORBIDDEN] = { "forbidden", "auth" },
    [COND_GONE] = { "gone", "cancel" },
    [COND_INTERNAL_SERVER_ERROR] = { "internal-server-error", "wait" },
    [COND_ITEM_NOT_FOUND] = { "item-not-found", "cancel" },
    [COND_JID_MALFORMED] = { "jid-malformed", "modify" },
    [COND_NOT_ACCEPTABLE] = { "not-acceptable", "modify" },
    [COND_NOT_ALLOWED] = { "not-allowed", "cancel" },
    [COND_NOT_AUTHORIZED] = { "not-authorized", "auth" },
    [COND_POLICY_VIOLATION] = { "policy-violation", "modify" },
    [COND_RECIPIENT_UNAVAILABLE] = { "recipient-unavailable", "wait" },
    [COND_REDIRECT] = { "redirect", "modify" },
    [COND_REGISTRATION_REQUIRED] = { "registration-required", "auth" },
    [COND_REMOTE_SERVER_NOT_FOUND] = { "remote-server-not-found", "cancel" },
    [COND_REMOTE_SERVER_TIMEOUT] = { "remote-server-timeout", "wait" },
    [COND_RESOURCE_CONSTRAINT] = { "resource-constraint", "wait" },
    [COND_SERVICE_UNAVAILABLE] = { "service-unavailable", "cancel" },
    [COND_SUBSCRIPTION_REQUIRED] = { "subscription-required", "auth" },
    [COND_UNDEFINED_CONDITION] = { "undefined-condition", "cancel" },
    [COND_UNEXPECTED_REQUEST] = { "unexpected-request", "wait" },
};

const char *stanza_cond_name(enum stanza_cond cond)
{
    return cond < COND_COUNT ? conds[cond].name : conds[COND_NONE].name;
}

static struct stanza *reply_to(const struct stanza *orig, const char *type)
{
    struct stanza *r = stanza_new(orig->root->name, NS_CLIENT);
    if (orig->id)
        xel_set_attr(r, r->root, "id", orig->id);
    xel_set_attr(r, r->root, "type", type);
    stanza_set_to(r, orig->from);
    stanza_set_from(r, orig->to);
    return r;
}

struct stanza *stanza_error_reply(const struct stanza *orig, enum stanza_cond cond,
                                  const char *text)
{
    const struct cond_row *row = &conds[cond < COND_COUNT ? cond : COND_NONE];
    struct stanza *r = reply_to(orig, "error");
    for (const struct xel *c = orig->root->first; c; c = c->next)
        if (c->name && !(c->ns && strcmp(c->ns, NS_CLIENT) == 0 && strcmp(c->name, "error") == 0))
            xel_copy_into(r, r->root, c);
    struct xel *e = xel_add_child(r, r->root, "error", NS_CLIENT);
    xel_set_attr(r, e, "type", row->type);
    xel_add_child(r, e, row->name, NS_STANZAS);
    if (text)
        xel_add_text(r, xel_add_child(r, e, "text", NS_STANZAS), text, strlen(text));
    stanza_summarize(r);
    return r;
}

struct stanza *stanza_iq_result(const struct stanza *iq)
{
    struct stanza *r = reply_to(iq, "result");
    stanza_summarize(r);
    return r;
}
