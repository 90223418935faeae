/* SPDX-License-Identifier: MIT */
/* Routes every stanza from a client: validate, look up a handler by (element, namespace), deliver. */
#ifndef PL_ROUTER_H
#define PL_ROUTER_H

#include "jid.h"
#include "stanza.h"
#include "stanza_error.h"

struct server;
struct session;
struct transport;

/* Minimum state of the sending stream for a route to apply. */
enum sess_state { SESS_NONE, SESS_BOUND };

/* Who a stanza is addressed to; a route lists the targets it serves. */
enum route_target {
    TARGET_SERVER = 1u << 0,  /* our domain, or no 'to' on an iq (RFC 6120 §10.3) */
    TARGET_ACCOUNT = 1u << 1, /* the bare JID of a local account (incl. the sender's own) */
    TARGET_FULL = 1u << 2,    /* a full JID of a local account */
    TARGET_SERVICE = 1u << 3, /* a service's domain or a JID at it (struct module's
                               * service_route; route tables never see these) */
};

/* A route's types bit for a top-level element that is not a stanza (e.g. XEP-0352's
 * <active/>): the row then matches the element's own name and namespace, and its handler's
 * ROUTE_DONE means handled; anything else ends the stream with unsupported-stanza-type. */
#define ROUTE_ELEMENT (1u << 31)

/* Handler results: done, pass to the next route/default delivery, or ROUTE_ERROR(cond). */
enum { ROUTE_DONE = 0, ROUTE_PASS = 1 };
#define ROUTE_ERROR(cond) (-(int)(cond))

/* Everything a handler gets; borrowed for the call. */
struct route_ctx {
    struct server *srv;
    struct session *sess; /* sender; NULL before binding (registration) */
    struct transport *tp; /* what carries the sender's stream */
    const struct jid *to; /* parsed 'to', NULL when absent */
    unsigned target;      /* enum route_target bits: SERVER|ACCOUNT when 'to' is absent */
    void *state;          /* the module's state */
};

/*
 * A row of a module's route table. elem matches the root element; ns matches the namespace
 * of the first child element (NULL: any); types is a mask of enum stanza_type bits.
 */
struct route {
    const char *elem;
    const char *ns;
    unsigned types;
    unsigned targets;
    enum sess_state min_state;
    unsigned cost; /* rate-limit tokens beyond the one every stanza costs (expensive work) */
    int (*fn)(struct route_ctx *rc, struct stanza *st);
};

/* Handles one stanza from the stream tp carries (the router takes ownership of st). */
void router_dispatch(struct server *srv, struct transport *tp, struct stanza *st);
/* Offers a bound stream's top-level non-stanza element (borrowed) to the ROUTE_ELEMENT rows;
 * true when one handled it. */
bool router_dispatch_element(struct server *srv, struct transport *tp, struct stanza *st);
/* Sends st (borrowed) to its sender's stream, e.g. an iq result built by a handler. */
void router_reply(struct route_ctx *rc, struct stanza *st);
/* Answers the iq st with an empty result; returns ROUTE_DONE. */
int router_reply_result(struct route_ctx *rc, const struct stanza *st);

#endif
