/* SPDX-License-Identifier: MIT */
/* RFC 6121 §8 delivery rules for local bare and full JIDs; serialize once per fan-out. */
#include "deliver.h"

#include <limits.h>

#include "conn.h"
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

/* Sends to available resources whose priority is in [min, max]. Returns how many. */
static unsigned fan_out(struct server *srv, const struct account_sessions *acct,
                        const struct stanza *st, int min, int max, const struct session *except)
{
    unsigned n = 0;
    struct buf *b = &srv->scratch;
    buf_reset(b);
    for (struct session *s = acct ? acct->first : NULL; s; s = s->next_resource) {
        if (!s->available || s == except || s->priority < min || s->priority > max)
            continue;
        if (n++ == 0)
            stanza_write(st, b);
        conn_send(s->conn, b->data, b->len);
    }
    return n;
}

unsigned deliver_to_resources(struct server *srv, const char *bare, const struct stanza *st,
                              int min_priority, const struct session *except)
{
    return fan_out(srv, session_account(&srv->sessions, bare), st, min_priority, INT_MAX, except);
}

/* Messages to a bare JID (RFC 6121 §8.5.2). */
static void message_to_bare(struct route_ctx *rc, struct stanza *st)
{
    struct account_sessions *acct = session_account(&rc->srv->sessions, rc->to->bare);
    unsigned sent = 0;
    if (st->type & MSG_ERROR)
        return; /* RFC 6121 §8.5.2.1.1: an error to a bare JID is not delivered */
    if (st->type & (MSG_NORMAL | MSG_CHAT)) {
        int best = highest_priority(acct);
        if (best >= 0)
            sent = fan_out(rc->srv, acct, st, best, best, NULL);
    } else if (st->type & MSG_HEADLINE) {
        sent = fan_out(rc->srv, acct, st, 0, INT_MAX, NULL);
        return; /* headlines to nobody are dropped */
    }
    /* No offline storage yet: the sender learns the message was not delivered. */
    if (!sent)
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
    if (s)
        deliver_to_session(s, st);
    else
        to_missing_resource(rc, st);
}
