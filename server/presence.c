/* SPDX-License-Identifier: MIT */
/* Broadcast presence (no 'to'): priority, last presence, and the account's own resources. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "deliver.h"
#include "ns.h"
#include "module.h"
#include "server.h"
#include "session.h"

/* RFC 6121 §4.7.2.3: an integer in -128..127; absent means 0. */
static bool parse_priority(const struct stanza *st, int *out)
{
    const struct xel *p = xel_child(st->root, "priority", NULL);
    *out = 0;
    if (!p)
        return true;
    char *end;
    long v = strtol(xel_text(p), &end, 10);
    bool digits = end != xel_text(p);
    end += strspn(end, " \t\r\n"); /* xs:byte collapses surrounding whitespace */
    if (!digits || *end || v < -128 || v > 127)
        return false;
    *out = (int)v;
    return true;
}

/* The broadcast carries the account's bare JID as 'to', the same for every resource, so
 * it is serialized once; the stanza keeps it, ready to be shown to later siblings. */
static void broadcast(struct route_ctx *rc, struct stanza *st, const struct session *except)
{
    stanza_set_to(st, rc->sess->jid->bare);
    deliver_to_resources(rc->srv, rc->sess->jid->bare, st, INT_MIN, except);
}

/* A resource that just came online learns which of its siblings are available. */
static void send_siblings(struct session *sess)
{
    for (struct session *s = sess->account->first; s; s = s->next_resource)
        if (s != sess && s->available && s->presence)
            deliver_to_session(sess, s->presence);
}

static int presence_broadcast(struct route_ctx *rc, struct stanza *st)
{
    if (rc->to)
        return ROUTE_PASS; /* directed presence goes through normal delivery */
    struct session *sess = rc->sess;
    if (st->type == PRES_UNAVAILABLE) {
        bool was = sess->available;
        sess->available = false;
        stanza_unref(sess->presence);
        sess->presence = NULL;
        if (was)
            broadcast(rc, st, sess);
        return ROUTE_DONE;
    }
    int priority;
    if (!parse_priority(st, &priority))
        return ROUTE_ERROR(COND_BAD_REQUEST);
    bool initial = !sess->available;
    sess->priority = priority;
    sess->available = true;
    stanza_unref(sess->presence);
    sess->presence = stanza_compact(st); /* kept as long as the session: no slack */
    broadcast(rc, st, NULL); /* RFC 6121 §4.2.2: including the sending resource */
    if (initial)
        send_siblings(sess);
    return ROUTE_DONE;
}

/* A resource that vanishes without saying goodbye: tell its siblings it is unavailable. */
static void presence_session_close(void *state, struct session *sess)
{
    struct server *srv = state;
    if (!sess->available)
        return;
    sess->available = false;
    struct stanza *st = stanza_new("presence", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "unavailable");
    stanza_set_from(st, sess->jid->full);
    stanza_set_to(st, sess->jid->bare);
    stanza_summarize(st);
    deliver_to_resources(srv, sess->jid->bare, st, INT_MIN, sess);
    stanza_unref(st);
}

/* The module's state is the server itself: closing sessions need to reach their siblings. */
static int presence_init(struct server *srv, const void *opts, void **state)
{
    (void)opts;
    *state = srv;
    return PL_OK;
}

static const struct route presence_routes[] = {
    { .elem = "presence", .types = PRES_AVAILABLE | PRES_UNAVAILABLE,
      .targets = TARGET_SERVER | TARGET_ACCOUNT, .min_state = SESS_BOUND,
      .fn = presence_broadcast },
};

const struct module presence_module = {
    .name = "presence",
    .routes = presence_routes,
    .n_routes = sizeof(presence_routes) / sizeof(presence_routes[0]),
    .init = presence_init,
    .session_close = presence_session_close,
};
