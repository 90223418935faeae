/* SPDX-License-Identifier: MIT */
/* RFC 6121 §8 delivery rules for local bare and full JIDs; serialize once per fan-out. */
#include "deliver.h"

#include <limits.h>
#include <string.h>

#include "conn.h"
#include "module.h"
#include "server.h"
#include "session.h"

void deliver_to_session(struct session *sess, const struct stanza *st)
{
    conn_send_stanza(sess->conn, st);
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
 * st in. Returns how many got it; *refused keeps a refusal (ROUTE_PASS when none). */
static unsigned fan_out(struct server *srv, const struct account_sessions *acct,
                        const struct stanza *st, int min, int max, const struct session *except,
                        struct filter_verdict *refused)
{
    unsigned n = 0;
    struct buf *b = &srv->scratch;
    struct filter_verdict v;
    buf_reset(b);
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
        conn_send(s->conn, b->data, b->len);
    }
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
    if (!sender_allows(srv, st, bare))
        return 0;
    return fan_out(srv, session_account(&srv->sessions, bare), st, min_priority, INT_MAX, except,
                   &refused);
}

/* A privacy refusal: an error to the sender for messages and iq requests, else nothing. */
static void refuse(struct route_ctx *rc, const struct stanza *st, const struct filter_verdict *v)
{
    struct stanza *r = module_filter_error(st, v);
    if (r) {
        conn_send_stanza(rc->conn, r);
        stanza_unref(r);
    }
}

/* Messages to a bare JID (RFC 6121 §8.5.2). */
static void message_to_bare(struct route_ctx *rc, struct stanza *st)
{
    struct account_sessions *acct = session_account(&rc->srv->sessions, rc->to->bare);
    struct filter_verdict refused = { .res = ROUTE_PASS };
    unsigned sent = 0;
    if (st->type & MSG_ERROR)
        return; /* RFC 6121 §8.5.2.1.1: an error to a bare JID is not delivered */
    if (st->type & (MSG_NORMAL | MSG_CHAT)) {
        int best = highest_priority(acct);
        if (best >= 0)
            sent = fan_out(rc->srv, acct, st, best, best, NULL, &refused);
    } else if (st->type & MSG_HEADLINE) {
        /* Headlines to nobody, or refused by everyone, are dropped without an error. */
        fan_out(rc->srv, acct, st, 0, INT_MAX, NULL, &refused);
        return;
    }
    if (!sent && refused.res != ROUTE_PASS)
        refuse(rc, st, &refused); /* one error, however many resources refused it */
    /* No offline storage yet: the sender learns the message was not delivered. */
    else if (!sent)
        router_error(rc->srv, rc->conn, st, COND_SERVICE_UNAVAILABLE);
}

static void to_bare(struct route_ctx *rc, struct stanza *st)
{
    if (st->kind == STANZA_MESSAGE)
        message_to_bare(rc, st);
    else if (st->kind == STANZA_PRESENCE && !(st->type & PRES_PROBE))
        deliver_to_resources(rc->srv, rc->to->bare, st, INT_MIN, NULL);
}

/* The resource is gone (RFC 6121 §8.5.3.2). */
static void to_missing_resource(struct route_ctx *rc, struct stanza *st)
{
    const unsigned as_bare = MSG_NORMAL | MSG_CHAT | PRES_SUBSCRIBE | PRES_SUBSCRIBED |
                             PRES_UNSUBSCRIBE | PRES_UNSUBSCRIBED;
    if (st->type & as_bare)
        to_bare(rc, st);
    else if (st->type & (IQ_GET | IQ_SET | MSG_GROUPCHAT))
        router_error(rc->srv, rc->conn, st, COND_SERVICE_UNAVAILABLE);
}

void deliver_local(struct route_ctx *rc, struct stanza *st)
{
    if (!rc->to->resource) {
        to_bare(rc, st);
        return;
    }
    struct session *s = session_find(&rc->srv->sessions, rc->to->full);
    struct filter_verdict v;
    if (!s)
        to_missing_resource(rc, st);
    else if (module_filter_in(rc->srv, rc->to->bare, s, st, &v) != ROUTE_PASS)
        refuse(rc, st, &v);
    else
        deliver_to_session(s, st);
}
