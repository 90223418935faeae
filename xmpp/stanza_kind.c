/* SPDX-License-Identifier: MIT */
/* The parse-time stanza summary: kind and type bits from the root element. */
#include <string.h>

#include "base.h"
#include "ns.h"
#include "stanza.h"

struct type_name {
    enum stanza_kind kind;
    unsigned bit;
    const char *name;
};

/* The first row of each kind is what a missing type attribute means. */
static const struct type_name types[] = {
    { STANZA_MESSAGE, MSG_NORMAL, "normal" },
    { STANZA_MESSAGE, MSG_CHAT, "chat" },
    { STANZA_MESSAGE, MSG_GROUPCHAT, "groupchat" },
    { STANZA_MESSAGE, MSG_HEADLINE, "headline" },
    { STANZA_MESSAGE, MSG_ERROR, "error" },
    { STANZA_PRESENCE, PRES_AVAILABLE, "available" },
    { STANZA_PRESENCE, PRES_UNAVAILABLE, "unavailable" },
    { STANZA_PRESENCE, PRES_SUBSCRIBE, "subscribe" },
    { STANZA_PRESENCE, PRES_SUBSCRIBED, "subscribed" },
    { STANZA_PRESENCE, PRES_UNSUBSCRIBE, "unsubscribe" },
    { STANZA_PRESENCE, PRES_UNSUBSCRIBED, "unsubscribed" },
    { STANZA_PRESENCE, PRES_PROBE, "probe" },
    { STANZA_PRESENCE, PRES_ERROR, "error" },
    { STANZA_IQ, IQ_GET, "get" },
    { STANZA_IQ, IQ_SET, "set" },
    { STANZA_IQ, IQ_RESULT, "result" },
    { STANZA_IQ, IQ_ERROR, "error" },
};

static enum stanza_kind kind_of(const struct xel *root)
{
    if (!root->ns || strcmp(root->ns, NS_CLIENT) != 0)
        return STANZA_OTHER;
    if (strcmp(root->name, "message") == 0)
        return STANZA_MESSAGE;
    if (strcmp(root->name, "presence") == 0)
        return STANZA_PRESENCE;
    if (strcmp(root->name, "iq") == 0)
        return STANZA_IQ;
    return STANZA_OTHER;
}

static unsigned type_of(enum stanza_kind kind, const char *attr)
{
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        if (types[i].kind != kind)
            continue;
        if (!attr)
            return kind == STANZA_IQ ? 0 : types[i].bit; /* iq must carry a type */
        /* "available" is implied by absence, never written. */
        if (strcmp(types[i].name, attr) == 0 && types[i].bit != PRES_AVAILABLE)
            return types[i].bit;
    }
    /* RFC 6121 §5.2.2: a message type nobody understands is read as "normal". */
    return kind == STANZA_MESSAGE ? MSG_NORMAL : 0;
}

void stanza_summarize(struct stanza *st)
{
    st->kind = kind_of(st->root);
    st->type = type_of(st->kind, xel_attr(st->root, "type"));
    st->id = xel_attr(st->root, "id");
    st->to = xel_attr(st->root, "to");
    st->from = xel_attr(st->root, "from");
}

void stanza_set_to(struct stanza *st, const char *to)
{
    xel_set_attr(st, st->root, "to", to);
    st->to = xel_attr(st->root, "to");
}

void stanza_set_from(struct stanza *st, const char *from)
{
    xel_set_attr(st, st->root, "from", from);
    st->from = xel_attr(st->root, "from");
}
