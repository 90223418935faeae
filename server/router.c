/* SPDX-License-Identifier: MIT */
/* The router: validate and stamp (IN), route table lookup (HANDLE), default delivery. */
#include "router.h"

#include <string.h>

#include "deliver.h"
#include "log.h"
#include "module.h"
#include "ns.h"
#include "reply.h"
#include "server.h"
#include "session_out.h"
#include "transport.h"

static unsigned count_elements(const struct xel *el)
{
    unsigned n = 0;
    for (const struct xel *c = el->first; c; c = c->next)
        n += c->name != NULL;
    return n;
}

/* Phase IN: well-formed type and id, a parsable 'to', and a 'from' that cannot lie. */
static int check_in(struct route_ctx *rc, struct stanza *st, struct jid **to)
{
    stanza_set_from(st, rc->sess ? rc->sess->jid->full : NULL);
    if (st->type == 0)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    if (st->kind == STANZA_IQ) {
        /* get and set carry exactly one payload element (RFC 6120 §8.2.3); text between
         * elements is only formatting. */
        bool needs_payload = st->type & (IQ_GET | IQ_SET);
        if (!st->id || (needs_payload && count_elements(st->root) != 1))
            return ROUTE_ERROR(COND_BAD_REQUEST);
    }
    if (st->to) {
        *to = jid_parse(st->to);
        if (!*to) {
            stanza_set_to(st, NULL); /* the error comes from the server, not from garbage */
            return ROUTE_ERROR(COND_JID_MALFORMED);
        }
    }
    return ROUTE_DONE;
}

static unsigned classify(struct route_ctx *rc)
{
    if (!rc->to)
        return rc->sess ? (TARGET_SERVER | TARGET_ACCOUNT) : TARGET_SERVER;
    if (!rc->to->local)
        return TARGET_SERVER; /* the domain, or a resource of the server itself */
    return rc->to->resource ? TARGET_FULL : TARGET_ACCOUNT;
}

static bool route_matches(const struct route *r, const struct route_ctx *rc,
                          const struct stanza *st, const char *payload_ns)
{
    if (strcmp(r->elem, st->root->name) != 0 || !(r->types & st->type) ||
        !(r->targets & rc->target))
        return false;
    if (r->min_state == SESS_BOUND && !rc->sess)
        return false;
    return !r->ns || (payload_ns && strcmp(r->ns, payload_ns) == 0);
}

/* Phase HANDLE: the first route that does not pass decides. */
static int run_routes(struct route_ctx *rc, struct stanza *st)
{
    const struct xel *payload = xel_first_elem(st->root);
    const char *payload_ns = payload ? payload->ns : NULL;
    for (size_t m = 0; m < modules_count; m++) {
        for (size_t i = 0; i < modules[m]->n_routes; i++) {
            const struct route *r = &modules[m]->routes[i];
            if (!route_matches(r, rc, st, payload_ns))
                continue;
            rc->state = rc->srv->mod_state[m];
            rc->tp->ops->charge(rc->tp, r->cost);
            int res = r->fn(rc, st);
            if (res != ROUTE_PASS)
                return res;
        }
    }
    return ROUTE_PASS;
}

static bool account_known(struct server *srv, const char *bare)
{
    return session_account(&srv->sessions, bare) || server_account_exists(srv, bare);
}

/* Requests get an error, everything else is dropped quietly. */
static int refuse(const struct stanza *st, enum stanza_cond cond)
{
    bool answerable = st->kind == STANZA_MESSAGE || (st->type & (IQ_GET | IQ_SET));
    return answerable && !(st->type & STANZA_ERROR_TYPES) ? ROUTE_ERROR(cond) : ROUTE_DONE;
}

/* A message without 'to' goes to the sender's own bare JID (RFC 6121 §8.1). */
static int deliver_to_self(struct route_ctx *rc, struct stanza *st)
{
    struct jid *self = jid_parse(rc->sess->jid->bare);
    rc->to = self;
    rc->target = TARGET_ACCOUNT;
    deliver_local(rc, st);
    rc->to = NULL;
    jid_free(self);
    return ROUTE_DONE;
}

/* What happens when no route took the stanza. */
static int route_default(struct route_ctx *rc, struct stanza *st)
{
    if (!rc->sess)
        return refuse(st, COND_SERVICE_UNAVAILABLE); /* before binding only routes apply */
    if (st->kind == STANZA_IQ && !(rc->target & TARGET_FULL))
        return refuse(st, COND_SERVICE_UNAVAILABLE); /* answered on the account's behalf */
    if (!rc->to && st->kind == STANZA_MESSAGE && rc->sess)
        return deliver_to_self(rc, st);
    if (rc->target & TARGET_SERVER)
        return st->kind == STANZA_MESSAGE ? refuse(st, COND_SERVICE_UNAVAILABLE) : ROUTE_DONE;
    deliver_local(rc, st);
    return ROUTE_DONE;
}

/* Stanzas the server handles for the addressed account instead of delivering them to one of
 * its sessions: iq to the bare JID, probes. Subscription requests and answers are consumed too,
 * but the presence module asks the recipient's policy itself: a refusal there must still let
 * the sender's own roster record what it sent (RFC 6121 §3.1.2, as ejabberd does). */
static bool consumed_for_account(const struct route_ctx *rc, const struct stanza *st)
{
    return (st->kind == STANZA_IQ && (rc->target & TARGET_ACCOUNT)) ||
           (st->kind == STANZA_PRESENCE && (st->type & PRES_PROBE));
}

/* A policy refused st: its sender learns why, if st may be answered. */
static int policy_refused(struct route_ctx *rc, const struct stanza *st,
                          const struct filter_verdict *v)
{
    struct stanza *r = module_filter_error(st, v);
    if (r) {
        reply_to_sender(rc->tp, r);
        stanza_unref(r);
    }
    return ROUTE_DONE;
}

/*
 * Privacy comes before any other handling of a stanza to another account (XEP-0016 §2.2 rule
 * 4): the sender's outbound policy, then for stanzas consumed on the account's behalf its
 * account-wide policy. Delivery asks each recipient session for the rest.
 */
static int check_policy(struct route_ctx *rc, struct stanza *st)
{
    if (!rc->sess || !rc->to || !rc->to->local || strcmp(rc->to->bare, rc->sess->jid->bare) == 0)
        return ROUTE_PASS;
    struct filter_verdict v;
    if (module_filter_out(rc->srv, rc->sess->jid->bare, rc->sess, rc->to->full, st, &v) ==
            ROUTE_PASS &&
        (!consumed_for_account(rc, st) ||
         module_filter_in(rc->srv, rc->to->bare, NULL, st, &v) == ROUTE_PASS))
        return ROUTE_PASS;
    return policy_refused(rc, st, &v);
}

/* A stanza to a service's domain goes to its module, once the sender's outbound policy lets
 * it out (a privacy list may block a room). */
static int route_service(struct route_ctx *rc, struct stanza *st, int m)
{
    if (!rc->sess)
        return refuse(st, COND_SERVICE_UNAVAILABLE);
    rc->target = TARGET_SERVICE;
    struct filter_verdict v;
    if (module_filter_out(rc->srv, rc->sess->jid->bare, rc->sess, rc->to->full, st, &v) !=
        ROUTE_PASS)
        return policy_refused(rc, st, &v);
    rc->state = rc->srv->mod_state[m];
    return modules[m]->service_route(rc, st);
}

static int route(struct route_ctx *rc, struct stanza *st)
{
    if (rc->to && !server_hosts(rc->srv, rc->to->domain)) {
        int service = server_service(rc->srv, rc->to->domain);
        if (service >= 0)
            return route_service(rc, st, service);
        return st->kind == STANZA_PRESENCE ? ROUTE_DONE
                                           : refuse(st, COND_REMOTE_SERVER_NOT_FOUND);
    }
    if (rc->to && rc->to->local && !account_known(rc->srv, rc->to->bare))
        return refuse(st, COND_SERVICE_UNAVAILABLE);
    int res = check_policy(rc, st);
    if (res == ROUTE_PASS)
        res = run_routes(rc, st);
    return res == ROUTE_PASS ? route_default(rc, st) : res;
}

bool router_dispatch_element(struct server *srv, struct transport *tp, struct stanza *st)
{
    struct route_ctx rc = { .srv = srv, .tp = tp, .sess = tp->sess };
    const char *ns = st->root->ns ? st->root->ns : "";
    for (size_t m = 0; m < modules_count; m++) {
        for (size_t i = 0; i < modules[m]->n_routes; i++) {
            const struct route *r = &modules[m]->routes[i];
            if (!(r->types & ROUTE_ELEMENT) || strcmp(r->elem, st->root->name) != 0 ||
                !r->ns || strcmp(r->ns, ns) != 0 || (r->min_state == SESS_BOUND && !rc.sess))
                continue;
            rc.state = srv->mod_state[m];
            tp->ops->charge(tp, r->cost);
            return r->fn(&rc, st) == ROUTE_DONE;
        }
    }
    return false;
}

void router_dispatch(struct server *srv, struct transport *tp, struct stanza *st)
{
    struct route_ctx rc = { .srv = srv, .tp = tp, .sess = tp->sess };
    struct jid *to = NULL;
    int res = check_in(&rc, st, &to);
    if (res == ROUTE_DONE) {
        rc.to = to;
        rc.target = classify(&rc);
        res = route(&rc, st);
    }
    if (res < 0)
        reply_error(tp, st, (enum stanza_cond)-res);
    jid_free(to);
    stanza_unref(st);
}
