/* SPDX-License-Identifier: MIT */
/* What a message carries, read once from its payload: carbons eligibility and CSI importance. */
#ifndef PL_MSGCLASS_H
#define PL_MSGCLASS_H

#include <stdbool.h>

#include "stanza.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_CSI "urn:xmpp:csi:0"
#define NS_HINTS "urn:xmpp:hints"
#define NS_RECEIPTS "urn:xmpp:receipts"
#define NS_MARKERS "urn:xmpp:chat-markers:0"
#define NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define NS_CORRECT "urn:xmpp:message-correct:0"
#define NS_RETRACT "urn:xmpp:message-retract:1"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"

/* Bits of msgclass_of. */
enum msgclass {
    MC_BODY = 1u << 0,      /* <body/> */
    MC_RECEIPT = 1u << 1,   /* XEP-0184 <request/> or <received/> */
    MC_MARKER = 1u << 2,    /* XEP-0333 marker */
    MC_CHATSTATE = 1u << 3, /* XEP-0085 chat state */
    MC_PRIVATE = 1u << 4,   /* XEP-0280 <private/> */
    MC_NO_COPY = 1u << 5,   /* XEP-0334 <no-copy/> */
    MC_CARBON = 1u << 6,    /* XEP-0280 <received/> or <sent/>: itself a carbon copy */
    MC_MUC_USER = 1u << 7,  /* XEP-0045 <x xmlns='...muc#user'/>: from or through a room */
    MC_EDIT = 1u << 8,      /* XEP-0308 correction or XEP-0424 retraction */
    MC_OTHER = 1u << 9,     /* any other payload */
};

/* The enum msgclass bits of a message's children (0 for other stanzas). */
unsigned msgclass_of(const struct stanza *st);
/* The same for a <message/> element, e.g. one forwarded inside a carbon copy. */
unsigned msgclass_of_el(const struct xel *msg);
/* The message a carbon copy forwards (<received/> or <sent/>, then <forwarded/>), or NULL. */
const struct xel *msgclass_carbon_inner(const struct stanza *st);
/* XEP-0280 §6: is a message with these bits and stanza type bits copied to other resources? */
bool msgclass_carbons_eligible(unsigned cls, unsigned type);
/* XEP-0352: a message that carries nothing but a chat state (may wait while inactive). */
bool msgclass_chatstate_only(unsigned cls, unsigned type);

#endif
