/* SPDX-License-Identifier: MIT */
/* Reads what a message carries from its children's names and namespaces, by a table. */
#include "msgclass.h"

#include <string.h>

#include "base.h"
#include "ns.h"

struct payload {
    const char *ns;
    const char *name; /* NULL: any element of ns */
    unsigned bit;     /* 0: carries nothing that matters here (thread, hints, ids) */
};

static const struct payload payloads[] = {
    { NS_CLIENT, "body", MC_BODY },
    { NS_CLIENT, "thread", 0 },
    { NS_CLIENT, "subject", MC_BODY },
    { NS_RECEIPTS, NULL, MC_RECEIPT },
    { NS_MARKERS, "markable", 0 }, /* rides along with a body */
    { NS_MARKERS, NULL, MC_MARKER },
    { NS_CHATSTATES, NULL, MC_CHATSTATE },
    { NS_CARBONS, "private", MC_PRIVATE },
    { NS_CARBONS, NULL, MC_CARBON },
    { NS_HINTS, "no-copy", MC_NO_COPY },
    { NS_HINTS, NULL, 0 },
    { NS_MUC_USER, NULL, MC_MUC_USER },
    { NS_CORRECT, NULL, MC_EDIT },
    { NS_RETRACT, NULL, MC_EDIT },
    { "urn:xmpp:fasten:0", NULL, MC_EDIT }, /* the retraction's older wrapping */
    { "urn:xmpp:sid:0", NULL, 0 },          /* origin-id, stanza-id */
    { NS_DELAY, NULL, 0 },
};

static unsigned class_of(const struct xel *el)
{
    const char *ns = el->ns ? el->ns : "";
    for (size_t i = 0; i < ARRAY_LEN(payloads); i++) {
        const struct payload *p = &payloads[i];
        if (strcmp(p->ns, ns) == 0 && (!p->name || strcmp(p->name, el->name) == 0))
            return p->bit;
    }
    return MC_OTHER;
}

unsigned msgclass_of_el(const struct xel *msg)
{
    unsigned cls = 0;
    for (const struct xel *c = msg->first; c; c = c->next)
        if (c->name)
            cls |= class_of(c);
    return cls;
}

unsigned msgclass_of(const struct stanza *st)
{
    return st->kind == STANZA_MESSAGE ? msgclass_of_el(st->root) : 0;
}

const struct xel *msgclass_carbon_inner(const struct stanza *st)
{
    const struct xel *dir = xel_child(st->root, "received", NS_CARBONS);
    if (!dir)
        dir = xel_child(st->root, "sent", NS_CARBONS);
    const struct xel *fwd = dir ? xel_child(dir, "forwarded", NS_FORWARD) : NULL;
    return fwd ? xel_child(fwd, "message", NS_CLIENT) : NULL;
}

/* Copies of conversations, not of errors, room traffic or headlines; a message that is itself
 * a copy, or asks not to be copied, is never copied again. */
bool msgclass_carbons_eligible(unsigned cls, unsigned type)
{
    if (cls & (MC_PRIVATE | MC_NO_COPY | MC_CARBON | MC_MUC_USER))
        return false;
    if (type & MSG_CHAT)
        return true;
    return (type & MSG_NORMAL) &&
           (cls & (MC_BODY | MC_RECEIPT | MC_MARKER | MC_CHATSTATE | MC_EDIT));
}

bool msgclass_chatstate_only(unsigned cls, unsigned type)
{
    return (cls & MC_CHATSTATE) && !(cls & ~(unsigned)MC_CHATSTATE) && !(type & MSG_ERROR);
}
