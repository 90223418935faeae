/* SPDX-License-Identifier: MIT */
/* Hands an account's stored messages to the session that became available: in order, in
 * slices across loop turns, live messages held until the stored ones have gone, and rows
 * deleted only once the client has them. */
#include <stdlib.h>

#include "base.h"
#include "jid.h"
#include "offline.h"
#include "storage.h"

/* A slice is at most this many messages and about this many bytes, sent in one loop turn, so
 * other sessions are served between slices; at most FLUSH_WINDOW slices wait for the client,
 * which bounds what a slow reader makes the server buffer. */
#define SLICE_MESSAGES 50
#define SLICE_BYTES (256 * 1024)
#define FLUSH_WINDOW 2
/* Live messages held in memory for one session while its flush runs; past it they join the
 * stored ones (in order: the store is read before anything held is sent), so that a client
 * that stops reading mid-flush cannot make the server hold without bound. */
#define HOLD_MAX 100

struct offline_flush {
    struct offline *o;
    struct offline_flush *prev, *next; /* o->flushes */
    struct session *sess;              /* NULL once the session has ended */
    char *owner;
    long long sent_id;   /* the last stored message sent */
    unsigned refs;       /* the session's slot, a queued step, each slice awaiting its client */
    unsigned in_flight;  /* slices sent, not yet confirmed */
    bool step_queued;
    bool loaded_all;     /* every stored message went out: live ones flow again */
    bool failed;         /* the store failed: live ones flow again, the rest stays stored */
    bool ending;         /* the client did not get a slice: its session is ending, held
                          * messages wait for offline_flush_end to keep them */
    const struct stanza *sending; /* our own message on its way through the gates */
    struct stanza **held;
    size_t n_held;
};

/* One slice awaiting its client: rows up to upto go when it has them. */
struct slice_mark {
    struct offline_flush *f;
    long long upto;
};

static void flush_unref(struct offline_flush *f)
{
    if (--f->refs)
        return;
    if (f->prev)
        f->prev->next = f->next;
    else
        f->o->flushes = f->next;
    if (f->next)
        f->next->prev = f->prev;
    for (size_t i = 0; i < f->n_held; i++)
        stanza_unref(f->held[i]);
    free(f->held);
    free(f->owner);
    free(f);
}

/* Live messages held meanwhile go now, after the stored ones. */
static void release_held(struct offline_flush *f)
{
    for (size_t i = 0; i < f->n_held; i++) {
        if (f->sess)
            module_send_held(f->sess, f->held[i]);
        stanza_unref(f->held[i]);
    }
    free(f->held);
    f->held = NULL;
    f->n_held = 0;
}

/* Done with this session: it no longer holds the flush (a later initial presence may start
 * another one). */
static void detach(struct offline_flush *f)
{
    if (!f->sess)
        return;
    module_session_slot_set(f->sess, f->o->slot, NULL);
    f->sess = NULL;
    flush_unref(f);
}

static void flush_step(void *arg);

static void queue_step(struct offline_flush *f)
{
    if (f->step_queued)
        return;
    f->step_queued = true;
    f->refs++;
    module_defer(f->o->srv, flush_step, f);
}

/* After each event: go on, or finish when everything went and was confirmed. */
static void advance(struct offline_flush *f)
{
    if (!f->sess || f->ending)
        return;
    if (f->failed || f->loaded_all) {
        if (f->n_held)
            release_held(f);
        if (f->in_flight == 0)
            detach(f);
        return;
    }
    if (f->in_flight < FLUSH_WINDOW)
        queue_step(f);
}

static void on_confirmed(void *arg, bool confirmed)
{
    struct slice_mark *m = arg;
    struct offline_flush *f = m->f;
    f->in_flight--;
    if (confirmed) {
        if (offline_delete(module_storage(f->o->srv), f->owner, m->upto) == PL_OK)
            module_storage_dirty(f->o->srv);
        else
            module_log(LOG_ERROR, "offline", "%s: delivered messages stay stored", f->owner);
    } else {
        f->ending = true; /* the rest waits for the next login */
    }
    free(m);
    advance(f);
    flush_unref(f);
}

/* A slice as read: stanzas parsed back, and where it ends. */
struct slice {
    struct offline_flush *f;
    struct stanza *st[SLICE_MESSAGES];
    size_t n, bytes;
    long long last_id;
    bool full; /* more may follow */
};

static void read_row(void *ctx, const struct offline_row *row)
{
    struct slice *s = ctx;
    if (s->full)
        return;
    if (s->bytes >= SLICE_BYTES) {
        s->full = true; /* the rest comes with the next slice */
        return;
    }
    struct stanza *st = offline_parse(row->xml, row->xml_len);
    if (!st) /* a damaged row: dropped with its slice rather than blocking every login */
        module_log(LOG_WARN, "offline", "%s: stored message %lld unreadable", s->f->owner,
                   row->id);
    s->st[s->n] = st;
    s->n++;
    s->bytes += row->xml_len;
    s->last_id = row->id;
}

/* Sends the slice through the one delivery path (the account's policy is asked again) and
 * asks to hear when the client has it. */
static void send_slice(struct offline_flush *f, struct slice *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (!s->st[i])
            continue;
        f->sending = s->st[i];
        module_deliver(f->o->srv, f->sess, s->st[i]);
        f->sending = NULL;
        stanza_unref(s->st[i]);
    }
    f->sent_id = s->last_id;
    struct slice_mark *m = xmalloc(sizeof(*m));
    *m = (struct slice_mark){ f, s->last_id };
    f->in_flight++;
    f->refs++;
    module_when_confirmed(f->sess, on_confirmed, m);
}

static void flush_step(void *arg)
{
    struct offline_flush *f = arg;
    f->step_queued = false;
    if (f->sess && !f->failed && !f->ending && !f->loaded_all) {
        struct slice s = { .f = f, .last_id = f->sent_id };
        int rc = offline_load(module_storage(f->o->srv), f->owner, f->sent_id, SLICE_MESSAGES,
                              read_row, &s);
        s.full = s.full || s.n == SLICE_MESSAGES;
        if (rc != PL_OK) {
            module_log(LOG_ERROR, "offline", "%s: stored messages could not be read", f->owner);
            f->failed = true;
        } else if (!s.full) {
            f->loaded_all = true;
        }
        if (s.n)
            send_slice(f, &s);
    }
    advance(f);
    flush_unref(f);
}

void offline_flush_start(struct offline *o, struct session *sess)
{
    /* RFC 6121 §8.5.2.1: stored messages go to resources a bare JID would reach */
    if (module_session_priority(sess) < 0)
        return;
    const char *owner = module_session_jid(sess)->bare;
    for (struct session *s = module_sessions_first(o->srv, owner); s; s = module_sessions_next(s))
        if (module_session_slot_get(s, o->slot))
            return; /* another resource is being flushed to: one flush per account */
    struct offline_flush *f = xcalloc(1, sizeof(*f));
    f->o = o;
    f->sess = sess;
    f->owner = xstrdup(owner);
    f->refs = 1; /* the slot */
    f->next = o->flushes;
    if (o->flushes)
        o->flushes->prev = f;
    o->flushes = f;
    module_session_slot_set(sess, o->slot, f);
    queue_step(f); /* the first slice goes next turn, after this presence is handled */
}

/* Keeps the held messages in the store, after the stored ones, and empties the hold; those
 * the store does not keep (chat states, headlines) are dropped, as for an offline account. */
static void spill_held(struct offline_flush *f)
{
    bool stored = f->n_held && module_account_stored(f->o->srv, f->owner);
    for (size_t i = 0; i < f->n_held; i++) {
        if (stored && offline_classify(f->held[i]) == OFFLINE_STORE &&
            offline_store(f->o, f->owner, f->held[i], false) != PL_OK)
            module_log(LOG_ERROR, "offline", "%s: a held message could not be kept", f->owner);
        stanza_unref(f->held[i]);
    }
    free(f->held);
    f->held = NULL;
    f->n_held = 0;
}

bool offline_flush_hold(struct offline *o, struct session *sess, const struct stanza *st)
{
    struct offline_flush *f = module_session_slot_get(sess, o->slot);
    if (!f || f->loaded_all || f->failed || st == f->sending || st->kind != STANZA_MESSAGE)
        return false;
    if (f->n_held == HOLD_MAX)
        spill_held(f);
    f->held = xrealloc(f->held, (f->n_held + 1) * sizeof(*f->held));
    f->held[f->n_held++] = stanza_ref((struct stanza *)st);
    return true;
}

void offline_flush_end(struct offline *o, struct session *sess)
{
    struct offline_flush *f = module_session_slot_get(sess, o->slot);
    if (!f)
        return;
    /* Live messages held for the session never reached it: keep them, after the stored ones
     * it did not get either, so that nothing accepted is lost. */
    spill_held(f);
    f->sess = NULL;
    module_session_slot_set(sess, o->slot, NULL);
    flush_unref(f);
}

void offline_flush_free_all(struct offline *o)
{
    /* At fini the loop has stopped: queued steps will never run. */
    while (o->flushes) {
        struct offline_flush *f = o->flushes;
        f->refs = 1;
        flush_unref(f);
    }
}
