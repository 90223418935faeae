/* SPDX-License-Identifier: MIT */
/* RFC 6121 Appendix A, transcribed: one row per subscription state, one column per event. */
#include "subscription.h"

#include <stdbool.h>
#include <stdint.h>

/* The nine states of Appendix A, in its order. */
enum sub_state { N, N_PO, N_PI, N_POPI, T, T_PI, F, F_PO, B, SUB_STATE_COUNT };

static const uint8_t state_bits[SUB_STATE_COUNT] = {
    [N] = 0,
    [N_PO] = SUB_PENDING_OUT,
    [N_PI] = SUB_PENDING_IN,
    [N_POPI] = SUB_PENDING_OUT | SUB_PENDING_IN,
    [T] = SUB_TO,
    [T_PI] = SUB_TO | SUB_PENDING_IN,
    [F] = SUB_FROM,
    [F_PO] = SUB_FROM | SUB_PENDING_OUT,
    [B] = SUB_TO | SUB_FROM,
};

struct cell {
    uint8_t next;
    uint8_t act;
};

#define R SUB_ACT_ROUTE
#define A SUB_ACT_AUTOREPLY

/*
 * [event][state] -> next state, actions. Outbound rows are A.2 (the user's server routes
 * what the user sends, except a "subscribed" that answers no request: that one is only
 * a pre-approval, §3.4); inbound rows are A.3 (deliver or not, auto-reply).
 */
static const struct cell table[SUB_EVENT_COUNT][SUB_STATE_COUNT] = {
    /*                    None       None+PO     None+PI    None+PO+PI   To        To+PI      From       From+PO   Both */
    [SUB_OUT_SUBSCRIBE] = { {N_PO, R}, {N_PO, R}, {N_POPI, R}, {N_POPI, R}, {T, R}, {T_PI, R}, {F_PO, R}, {F_PO, R}, {B, R} },
    [SUB_OUT_SUBSCRIBED] = { {N, 0}, {N_PO, 0}, {F, R}, {F_PO, R}, {T, 0}, {B, R}, {F, 0}, {F_PO, 0}, {B, 0} },
    [SUB_OUT_UNSUBSCRIBE] = { {N, R}, {N, R}, {N_PI, R}, {N_PI, R}, {N, R}, {N_PI, R}, {F, R}, {F, R}, {F, R} },
    [SUB_OUT_UNSUBSCRIBED] = { {N, R}, {N_PO, R}, {N, R}, {N_PO, R}, {T, R}, {T, R}, {N, R}, {N_PO, R}, {T, R} },
    [SUB_IN_SUBSCRIBE] = { {N_PI, R}, {N_POPI, R}, {N_PI, 0}, {N_POPI, 0}, {T_PI, R}, {T_PI, 0}, {F, A}, {F_PO, A}, {B, A} },
    [SUB_IN_SUBSCRIBED] = { {N, 0}, {T, R}, {N_PI, 0}, {T_PI, R}, {T, 0}, {T_PI, 0}, {F, 0}, {B, R}, {B, 0} },
    [SUB_IN_UNSUBSCRIBE] = { {N, 0}, {N_PO, 0}, {N, R}, {N_PO, R}, {T, 0}, {T, R}, {N, R}, {N_PO, R}, {T, R} },
    [SUB_IN_UNSUBSCRIBED] = { {N, 0}, {N, R}, {N_PI, 0}, {N_PI, R}, {N, R}, {N_PI, R}, {F, 0}, {F, R}, {F, R} },
};

#undef R
#undef A

/* Bits outside the nine states (e.g. From with Pending In, which cannot arise) fold to the
 * nearest state the table knows: a granted direction wins over a pending request for it. */
static enum sub_state state_of(unsigned bits)
{
    if ((bits & SUB_TO) && (bits & SUB_FROM))
        return B;
    if (bits & SUB_TO)
        return bits & SUB_PENDING_IN ? T_PI : T;
    if (bits & SUB_FROM)
        return bits & SUB_PENDING_OUT ? F_PO : F;
    switch (bits & (SUB_PENDING_OUT | SUB_PENDING_IN)) {
    case SUB_PENDING_OUT:
        return N_PO;
    case SUB_PENDING_IN:
        return N_PI;
    case SUB_PENDING_OUT | SUB_PENDING_IN:
        return N_POPI;
    default:
        return N;
    }
}

/* Pre-approval (§3.4): an outbound "subscribed" with no request pending records approval;
 * a later inbound "subscribe" is then answered at once and the contact gets From. */
static struct sub_result apply_approval(unsigned state, enum sub_event ev, struct sub_result r)
{
    bool approved = state & SUB_APPROVED;
    if (ev == SUB_OUT_SUBSCRIBED && !(state & (SUB_FROM | SUB_PENDING_IN)))
        approved = true;
    else if (ev == SUB_OUT_UNSUBSCRIBED)
        approved = false;
    if (ev == SUB_IN_SUBSCRIBE && approved && !(state & SUB_FROM)) {
        r.state = (r.state & ~SUB_PENDING_IN) | SUB_FROM;
        r.actions = SUB_ACT_AUTOREPLY;
        approved = false;
    }
    if (r.state & SUB_FROM)
        approved = false;
    r.state |= approved ? SUB_APPROVED : 0;
    return r;
}

struct sub_result subscription_apply(unsigned state, enum sub_event ev)
{
    struct sub_result r = { state & ~SUB_APPROVED, 0 };
    if ((unsigned)ev >= SUB_EVENT_COUNT)
        return (struct sub_result){ state, 0 };
    const struct cell *c = &table[ev][state_of(state)];
    r.state = state_bits[c->next];
    r.actions = c->act;
    return apply_approval(state, ev, r);
}
