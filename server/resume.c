/* SPDX-License-Identifier: MIT */
/* Stream management on the server (XEP-0198): the resumption table, sessions waiting for their
 * client to come back, and where their unacknowledged stanzas go when it does not. */
#include "resume.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "deliver.h"
#include "log.h"
#include "ns.h"
#include "server.h"
#include "session.h"
#include "session_end.h"
#include "session_out.h"
#include "stanza_error.h"

void resume_init(struct server *srv)
{
    hmap_init(&srv->resumable);
}

static void collect_waiting(void *ctx, const char *key, void *value)
{
    struct session *sess = value, ***out = ctx;
    (void)key;
    if (!sess->tp)
        *(*out)++ = sess;
}

void resume_fini(struct server *srv)
{
    struct session **waiting = xcalloc(srv->resumable.used + 1, sizeof(*waiting));
    struct session **end = waiting;
    hmap_each(&srv->resumable, collect_waiting, &end);
    for (struct session **s = waiting; s < end; s++)
        session_end(srv, *s);
    free(waiting);
    hmap_fini(&srv->resumable);
}

void resume_register(struct server *srv, struct session *sess)
{
    hmap_put(&srv->resumable, sess->sm->id, sess);
}

struct session *resume_find(struct server *srv, const char *id, const char *bare)
{
    struct session *sess = hmap_get(&srv->resumable, id);
    /* out of the table: the server ended it (conflict, a limit), it only lingers */
    return sess && sess->account && strcmp(sess->jid->bare, bare) == 0 ? sess : NULL;
}

bool resume_gone_h(const struct server *srv, const char *id, const char *bare, uint32_t *h)
{
    for (size_t i = 0; i < RESUME_GONE; i++) {
        const struct resume_gone *g = &srv->gone[i];
        if (g->id[0] && strcmp(g->id, id) == 0 && strcmp(g->bare, bare) == 0) {
            *h = g->h;
            return true;
        }
    }
    return false;
}

static void window_passed(evutil_socket_t fd, short what, void *arg)
{
    struct session *sess = arg;
    (void)fd, (void)what;
    log_info("sm", "%s not resumed in time: session ends", sess->jid->full);
    session_end(sess->srv, sess);
}

static void arm(struct session *sess, long seconds)
{
    struct timeval tv = { seconds, 0 };
    if (!sess->resume_timer)
        sess->resume_timer = evtimer_new(sess->srv->base, window_passed, sess);
    if (sess->resume_timer)
        evtimer_add(sess->resume_timer, &tv);
}

void resume_park(struct server *srv, struct session *sess)
{
    (void)srv;
    log_info("sm", "%s lost its connection: resumable for %us (%u unacknowledged)",
             sess->jid->full, sess->sm->max_s, (unsigned)sm_unacked(sess->sm));
    arm(sess, (long)sess->sm->max_s);
}

void resume_unpark(struct server *srv, struct session *sess)
{
    (void)srv;
    if (sess->resume_timer)
        evtimer_del(sess->resume_timer);
}

void resume_end_soon(struct server *srv, struct session *sess)
{
    (void)srv;
    arm(sess, 0);
}

/* Remembers the count of an ended session, so a late <resume/> gets <failed h=''/>. */
static void remember_gone(struct server *srv, const struct session *sess)
{
    struct resume_gone *g = &srv->gone[srv->gone_next++ % RESUME_GONE];
    snprintf(g->id, sizeof(g->id), "%s", sess->sm->id);
    snprintf(g->bare, sizeof(g->bare), "%s", sess->jid->bare);
    g->h = sess->sm->h_committed;
}

void resume_forget(struct server *srv, struct session *sess)
{
    if (sess->resume_timer) {
        event_free(sess->resume_timer);
        sess->resume_timer = NULL;
    }
    if (!sess->sm || !sess->sm->id[0])
        return;
    if (hmap_get(&srv->resumable, sess->sm->id) == sess)
        hmap_del(&srv->resumable, sess->sm->id);
    remember_gone(srv, sess);
}

/* Copies of other stanzas (carbons, archive results) are not the session's own mail. */
static bool is_copy(const struct stanza *st)
{
    const struct xel *c = xel_first_elem(st->root);
    return c && c->ns &&
           (strcmp(c->ns, "urn:xmpp:carbons:2") == 0 || strcmp(c->ns, "urn:xmpp:mam:2") == 0);
}

static void reroute_one(void *ctx, const char *bytes, size_t n)
{
    struct server *srv = ctx;
    struct stanza *st = n ? stanza_parse(bytes, n) : NULL;
    if (!st)
        return;
    if (st->kind == STANZA_MESSAGE && !is_copy(st)) {
        deliver_message_from(srv, st, true);
    } else if (st->kind == STANZA_IQ && (st->type & (IQ_GET | IQ_SET)) && st->from) {
        struct stanza *r = stanza_error_reply(st, COND_SERVICE_UNAVAILABLE, NULL);
        struct session *asker = session_find(&srv->sessions, r->to);
        if (asker)
            session_send(asker, r, NULL, 0);
        stanza_unref(r);
    }
    stanza_unref(st);
}

void resume_reroute(struct server *srv, struct session *sess)
{
    if (!sess->sm || !sm_unacked(sess->sm))
        return;
    log_info("sm", "%s ends with %u unacknowledged stanzas: messages go elsewhere",
             sess->jid->full, (unsigned)sm_unacked(sess->sm));
    sm_each_unacked(sess->sm, reroute_one, srv);
    sm_clear(sess->sm);
}
