/* SPDX-License-Identifier: MIT */
/* The RFC 6121 subscription state machine (Appendix A) as a pure table. */
#ifndef PL_SUBSCRIPTION_H
#define PL_SUBSCRIPTION_H

/* The state bits of one roster item; TO and FROM match enum roster_sub. */
enum sub_bits {
    SUB_TO = 1u << 0,          /* the owner receives the contact's presence */
    SUB_FROM = 1u << 1,        /* the contact receives the owner's presence */
    SUB_PENDING_OUT = 1u << 2, /* the owner asked, no answer yet ("ask") */
    SUB_PENDING_IN = 1u << 3,  /* the contact asked, the owner has not answered */
    SUB_APPROVED = 1u << 4,    /* pre-approved (RFC 6121 §3.4) */
};
#define SUB_STATE_MASK (SUB_TO | SUB_FROM | SUB_PENDING_OUT | SUB_PENDING_IN)

/* Presence subscription stanzas: outbound (sent by the owner) and inbound (to the owner). */
enum sub_event {
    SUB_OUT_SUBSCRIBE,
    SUB_OUT_SUBSCRIBED,
    SUB_OUT_UNSUBSCRIBE,
    SUB_OUT_UNSUBSCRIBED,
    SUB_IN_SUBSCRIBE,
    SUB_IN_SUBSCRIBED,
    SUB_IN_UNSUBSCRIBE,
    SUB_IN_UNSUBSCRIBED,
    SUB_EVENT_COUNT
};

/* What the server does with the stanza besides changing state. */
enum sub_action {
    SUB_ACT_ROUTE = 1u << 0,     /* outbound: route to the contact; inbound: deliver to owner */
    SUB_ACT_AUTOREPLY = 1u << 1, /* inbound subscribe: answer "subscribed" on owner's behalf */
};

struct sub_result {
    unsigned state;   /* new enum sub_bits */
    unsigned actions; /* enum sub_action bits */
};

/* The new state and actions for event in state (enum sub_bits). Pure. */
struct sub_result subscription_apply(unsigned state, enum sub_event ev);

#endif
