/* SPDX-License-Identifier: MIT */
/* Answering a BOSH session's requests: what is due, in rid order, and the session's end. */
#include <string.h>

#include "bosh_int.h"

unsigned bosh_held(const struct bosh_session *s)
{
    unsigned n = 0;
    while (n < s->n_slots && s->slots[n].processed)
        n++;
    return n;
}

static struct bosh_slot take_slot(struct bosh_session *s, unsigned i)
{
    struct bosh_slot slot = s->slots[i];
    memmove(&s->slots[i], &s->slots[i + 1], (s->n_slots - i - 1) * sizeof(*s->slots));
    s->n_slots--;
    return slot;
}

/* An ended session keeps nothing it could still send. */
static void release(struct bosh_session *s)
{
    bosh_queue_fini(&s->out);
    buf_fini(&s->body);
    for (unsigned i = 0; i < s->p.requests; i++) {
        buf_fini(&s->cache[i].body);
        s->cache[i].used = false;
    }
}

/* Hands s->body to the slot's request, or only to the cache when its connection is gone
 * (a repeat of the rid then finds it). */
static void deliver(struct bosh_session *s, const struct bosh_slot *slot, bool cache,
                    uint64_t now_ms)
{
    if (slot->request)
        s->hooks->answer(s->ctx, slot->request, &s->body);
    if (cache)
        bosh_cache_store(s, slot->rid);
    buf_reset(&s->body);
    if (s->n_slots == 0)
        s->idle_since_ms = now_ms;
}

/* XEP-0124 §9.1: the highest rid received with every rid below it, left out where it would
 * only repeat the rid being answered. */
static uint64_t ack_for(const struct bosh_session *s, uint64_t rid)
{
    uint64_t ack = s->rid_next - 1;
    return s->p.acks && ack != rid ? ack : 0;
}

/* The oldest held request gets the queued output (a pause's answer must carry none, §10). */
static void answer_oldest(struct bosh_session *s, uint64_t now_ms)
{
    struct bosh_slot slot = take_slot(s, 0);
    bool pause = slot.flags & BOSH_REQ_PAUSE;
    const char *payload = NULL;
    size_t n = pause ? 0 : bosh_queue_take(&s->out, s->lim->max_body_bytes, &payload);
    if (!s->created && slot.rid == s->p.rid) {
        bosh_write_creation(s, payload, n, &s->body);
        s->created = true;
    } else {
        bosh_write_body(ack_for(s, slot.rid), payload, n, &s->body);
    }
    bosh_queue_settle(&s->out);
    s->last_answer_empty = n == 0;
    /* §14.3: pause answers are not kept for repeats. */
    deliver(s, &slot, !pause, now_ms);
}

/* Answers go out in rid order, so the oldest held request goes first whenever any held one
 * is due: past its wait, beyond hold, a pause, or output waiting. */
static bool oldest_due(const struct bosh_session *s, uint64_t now_ms)
{
    unsigned held = bosh_held(s);
    if (held == 0)
        return false;
    if (held > s->p.hold || bosh_queue_len(&s->out) > 0)
        return true;
    for (unsigned i = 0; i < held; i++)
        if (s->slots[i].deadline_ms <= now_ms || (s->slots[i].flags & BOSH_REQ_PAUSE))
            return true;
    return false;
}

/* An early request whose gap was not filled within its wait: §17.3's recoverable error asks
 * the client to send it again with every unanswered request before it. */
static bool answer_expired_early(struct bosh_session *s, uint64_t now_ms)
{
    for (unsigned i = bosh_held(s); i < s->n_slots; i++) {
        if (s->slots[i].deadline_ms > now_ms)
            continue;
        struct bosh_slot slot = take_slot(s, i);
        bosh_write_recoverable(&s->body);
        deliver(s, &slot, false, now_ms);
        return true;
    }
    return false;
}

/* The server's end: the oldest request gets everything queued, every other one the same end
 * without payload, whichever the client reads first tells it the session is over. */
static void deliver_end(struct bosh_session *s, uint64_t now_ms)
{
    const char *payload = NULL;
    size_t n = bosh_queue_take(&s->out, SIZE_MAX, &payload);
    s->state = BOSH_ENDED;
    while (s->n_slots > 0) {
        struct bosh_slot slot = take_slot(s, 0);
        bosh_write_end(s->end_cond, s->end_uri, payload, n, &s->body);
        n = 0;
        deliver(s, &slot, false, now_ms);
    }
    release(s);
}

static bool answer_one_due(struct bosh_session *s, uint64_t now_ms)
{
    if (s->state == BOSH_CLOSING && s->n_slots > 0) {
        deliver_end(s, now_ms);
        return true;
    }
    if (s->state != BOSH_OPEN)
        return false;
    if (oldest_due(s, now_ms)) {
        answer_oldest(s, now_ms);
        return true;
    }
    return answer_expired_early(s, now_ms);
}

/* §10: with no request held for the inactivity period (or a granted pause), the client is
 * taken to be gone; it is not told, there is nothing to tell it with. */
static void end_if_inactive(struct bosh_session *s, uint64_t now_ms)
{
    if (s->state == BOSH_ENDED || s->n_slots > 0 || s->p.inactivity == 0)
        return;
    uint64_t limit = s->pause_ms ? s->pause_ms : s->p.inactivity * 1000ull;
    if (now_ms >= s->idle_since_ms + limit) {
        s->state = BOSH_ENDED;
        release(s);
    }
}

void bosh_pump(struct bosh_session *s, uint64_t now_ms)
{
    if (s->busy || s->state == BOSH_ENDED)
        return;
    s->busy++;
    while (answer_one_due(s, now_ms))
        ;
    s->busy--;
    end_if_inactive(s, now_ms);
}

void bosh_end(struct bosh_session *s, enum bosh_condition cond, void *culprit)
{
    s->state = BOSH_ENDED;
    s->busy++;
    while (s->n_slots > 0) {
        struct bosh_slot slot = take_slot(s, 0);
        if (!slot.request)
            continue;
        bosh_write_end(BOSH_OTHER_REQUEST, NULL, NULL, 0, &s->body);
        s->hooks->answer(s->ctx, slot.request, &s->body);
        buf_reset(&s->body);
    }
    if (culprit) {
        bosh_write_end(cond, NULL, NULL, 0, &s->body);
        s->hooks->answer(s->ctx, culprit, &s->body);
    }
    s->busy--;
    release(s);
}
