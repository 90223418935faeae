/* SPDX-License-Identifier: MIT */
/* RFC 6121 §8 delivery rules for local bare and full JIDs; serialize once per fan-out; the
 * message path with the modules' hooks (prepare, keep for later, done). */
#include "deliver.h"

#include <limits.h>
#include <string.h>

#include "reply.h"
#include "hooks.h"
#include "module.h"
#include "server.h"
#include "session.h"
#include "session_out.h"

void deliver_to_session(struct session *sess, const struct stanza *st)
{
    session_send(sess, st, NULL, 0);
}

static int highest_priority(const struct account_sessions *acct)
{
    int best = INT_MIN;
    for (const struct session *s = acct ? acct->first : NULL; s; s = s->next_resource)
        if (s->available && s->priority > best)
            best = s->priority;
    return best;
}

/* Sends to available resources whose priority is in [min, max] and whose privacy policy lets
 * st in. Returns how many got it (*last: the last one); *refused keeps a refusal (ROUTE_PASS
 * when none). A buffer of its own: a hold gate may send on its way. */
static unsigned fan_out(struct server *srv, const struct account_sessions *acct,
                        const struct stanza *st, int min, int max, const struct session *except,
                        struct filter_verdict *refused, struct session **last)
{
    unsigned n = 0;
    struct buf *b = server_buf_take(srv);
    struct filter_verdict v;
    refused->res = ROUTE_PASS;
    for (struct session *s = acct ? acct->first : NULL; s; s = s->next_resource) {
        if (!s->available || s == except || s->priority < min || s->priority > max)
            continue;
        if (module_filter_in(srv, acct->bare, s, st, &v) != ROUTE_PASS) {
            *refused = v;
            continue;
        }
        if (n++ == 0)
            stanza_write(st, b);
        session_send(s, st, b->data, b->len);
        *last = s;
    }
    server_buf_give(srv, b);
    return n;
}

/* The sender's outbound policy for stanzas that modules fan out themselves (presence
 * broadcasts); the router has already asked for the stanzas it routes. */
static bool sender_allows(struct server *srv, const struct stanza *st, const char *to_bare)
{
    size_t n = strlen(to_bare);
    if (!st->from || (strncmp(st->from, to_bare, n) == 0 && (!st->from[n] || st->from[n] == '/')))
        return true; /* from the server, or between resources of one account */
    struct jid *from = jid_parse(st->from);
    bool ok = true;
    if (from && from->local) {
        struct session *s = from->resource ? session_find(&srv->sessions, from->full) : NULL;
        struct filter_verdict v;
        ok = module_filter_out(srv, from->bare, s, to_bare, st, &v) == ROUTE_PASS;
    }
    jid_free(from);
    return ok;
}

unsigned deliver_to_resources(struct server *srv, const char *bare, const struct stanza *st,
                              int min_priority, const struct session *except)
{
    struct filter_verdict refused;
    struct session *last;
    if (!sender_allows(srv, st, bare))
        return 0;
    return fan_out(srv, session_account(&srv->sessions, bare), st, min_priority, INT_MAX, except,
                   &refused, &last);
}

/* An error for st's sender: to its stream when it is the one routing, else (the server
 * re-delivers) routed to the sender's session if it is still there. */
static void bounce(struct server *srv, struct transport *tp, const struct stanza *st,
                   const struct filter_verdict *v)
{
    struct stanza *r = module_filter_error(st, v);
    if (!r)
        return;
    if (tp)
        reply_to_sender(tp, r);
    else if (r->to && session_find(&srv->sessions, r->to))
        session_send(session_find(&srv->sessions, r->to), r, NULL, 0);
    stanza_unref(r);
}

/* Live delivery of a message to the account's resources (RFC 6121 §8.5.2 and §8.5.3). */
static void message_now(struct message_event *ev, struct filter_verdict *refused)
{
    struct server *srv = ev->srv;
    struct stanza *st = ev->st;
    struct session *got = NULL;
    struct session *s = ev->to->resource ? session_find(&srv->sessions, ev->to->full) : NULL;
    refused->res = ROUTE_PASS;
    if (s) {
        if (module_filter_in(srv, ev->to->bare, s, st, refused) == ROUTE_PASS) {
            session_send(s, st, NULL, 0);
            ev->delivered = 1;
            ev->delivered_to = s;
        }
        return;
    }
    if (ev->to->resource && !(st->type & (MSG_NORMAL | MSG_CHAT)))
        return; /* §8.5.3.2.1: only chat and normal fall back to the bare JID */
    struct account_sessions *acct = session_account(&srv->sessions, ev->to->bare);
    if (st->type & (MSG_NORMAL | MSG_CHAT)) {
        int best = highest_priority(acct);
        if (best >= 0)
            ev->delivered = fan_out(srv, acct, st, best, best, NULL, refused, &got);
    } else if (st->type & MSG_HEADLINE) {
        ev->delivered = fan_out(srv, acct, st, 0, INT_MAX, NULL, refused, &got);
    }
    ev->delivered_to = ev->delivered == 1 ? got : NULL;
}

/* No resource took it: the account's own policy, then a module may keep it for later.
 * Returns ROUTE_DONE (kept or dropped on purpose), ROUTE_PASS (nobody wants it) or a
 * refusal in *v. */
static int message_later(struct message_event *ev, struct filter_verdict *v)
{
    if (module_filter_in(ev->srv, ev->to->bare, NULL, ev->st, v) != ROUTE_PASS)
        return v->res;
    int res = hooks_message_undelivered(ev);
    if (res < 0)
        *v = (struct filter_verdict){ .res = res };
    return res;
}

void deliver_message(struct server *srv, struct transport *tp, struct message_event *ev)
{
    struct stanza *st = ev->st;
    struct filter_verdict refused;
    hooks_message_prepare(ev);
    message_now(ev, &refused);
    if (!ev->delivered && refused.res != ROUTE_PASS) {
        if (!(st->type & MSG_HEADLINE)) /* headlines go without a word (§8.5.2.1.2) */
            bounce(srv, tp, st, &refused); /* one error, however many refused it */
        return;
    }
    if (!ev->delivered && !(st->type & (MSG_ERROR | MSG_HEADLINE))) {
        int res = message_later(ev, &refused);
        if (res == ROUTE_PASS) /* nobody keeps it: the sender learns it was not delivered */
            refused.res = ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
        if (res != ROUTE_DONE) {
            bounce(srv, tp, st, &refused);
            return;
        }
    }
    hooks_message_done(ev);
}

void deliver_message_from(struct server *srv, struct stanza *st, bool replay)
{
    struct jid *to = st->to ? jid_parse(st->to) : NULL;
    /* an account deleted meanwhile keeps nothing: its name may be someone else's soon */
    if (to && to->local && server_hosts(srv, to->domain) &&
        server_account_exists(srv, to->bare)) {
        struct message_event ev = { .srv = srv, .st = st, .to = to, .replay = replay };
        deliver_message(srv, NULL, &ev);
    }
    jid_free(to);
}

static void message_to_local(struct route_ctx *rc, struct stanza *st)
{
    struct message_event ev = {
        .srv = rc->srv,
        .st = st,
        .sender = rc->sess,
        .from_bare = rc->sess ? rc->sess->jid->bare : NULL,
        .to = rc->to,
    };
    deliver_message(rc->srv, rc->tp, &ev);
}

/* A privacy refusal: an error to the sender for iq requests, else nothing. */
static void refuse(struct route_ctx *rc, const struct stanza *st, const struct filter_verdict *v)
{
    bounce(rc->srv, rc->tp, st, v);
}

void deliver_local(struct route_ctx *rc, struct stanza *st)
{
    if (st->kind == STANZA_MESSAGE) {
        message_to_local(rc, st);
        return;
    }
    if (!rc->to->resource) {
        if (st->kind == STANZA_PRESENCE && !(st->type & PRES_PROBE))
            deliver_to_resources(rc->srv, rc->to->bare, st, INT_MIN, NULL);
        return;
    }
    struct session *s = session_find(&rc->srv->sessions, rc->to->full);
    struct filter_verdict v;
    if (!s) {
        /* RFC 6121 §8.5.3.2: subscription presence goes to the bare JID, requests fail */
        const unsigned as_bare = PRES_SUBSCRIBE | PRES_SUBSCRIBED | PRES_UNSUBSCRIBE |
                                 PRES_UNSUBSCRIBED;
        if (st->type & as_bare)
            deliver_to_resources(rc->srv, rc->to->bare, st, INT_MIN, NULL);
        else if (st->type & (IQ_GET | IQ_SET))
            reply_error(rc->tp, st, COND_SERVICE_UNAVAILABLE);
    } else if (module_filter_in(rc->srv, rc->to->bare, s, st, &v) != ROUTE_PASS) {
        refuse(rc, st, &v);
    } else {
        session_send(s, st, NULL, 0);
    }
}
