/* SPDX-License-Identifier: MIT */
/* MUC scenario (XEP-0045): occupants join rooms, then groupchat at stepped rates, timed per
 * delivery. The join phase is shared with mixed when it has a muc share. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"
#include "ns.h"
#include "run.h"

#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER NS_MUC "#user"
#define NS_MUC_OWNER NS_MUC "#owner"
#define NS_XDATA "jabber:x:data"
#define CONFIG_ID "pb-muc-config" /* the leader's room configuration iq */

enum seat_state { SEAT_IDLE, SEAT_QUEUED, SEAT_JOINING, SEAT_JOINED, SEAT_OUT };
enum room_state { ROOM_EMPTY, ROOM_CREATING, ROOM_CONFIGURING, ROOM_OPEN };

/* The status codes of a MUC presence that matter here (XEP-0045 §15.6.2), as bits. */
#define STATUS_SELF 1u    /* 110: this presence is about you */
#define STATUS_CREATED 2u /* 201: you created the room; it may be locked until configured */

static bool send_groupchat(struct run *r, struct step_stat *s, uint64_t now_us)
{
    return muc_send(r, s, now_us) > 0;
}

int muc_init(struct run *r)
{
    struct muc *m = &r->muc;
    const struct bench_opts *o = r->o;
    struct buf b;
    buf_init(&b);
    xml_escape(o->muc_domain, strlen(o->muc_domain), &b);
    m->domain = xstrndup(b.len ? b.data : "", b.len);
    buf_fini(&b);
    m->n_rooms = (size_t)o->rooms;
    m->n_seats = (size_t)(o->rooms * o->occupants);
    m->seats = xcalloc(m->n_seats, sizeof(*m->seats));
    m->rooms = xcalloc(m->n_rooms, sizeof(*m->rooms));
    m->queue = xcalloc(m->n_seats, sizeof(*m->queue));
    m->joined = xcalloc(m->n_seats, sizeof(*m->joined));
    hist_init(&m->join_lat_us);
    for (size_t i = 0; i < m->n_seats; i++)
        m->seats[i].room = (uint32_t)(i / (size_t)o->occupants);
    if (o->scenario == SCEN_MUC)
        r->send = send_groupchat;
    return PL_OK;
}

void muc_fini(struct run *r)
{
    struct muc *m = &r->muc;
    free(m->domain);
    free(m->seats);
    free(m->rooms);
    free(m->queue);
    free(m->joined);
    memset(m, 0, sizeof(*m));
}

size_t muc_joined(const struct run *r)
{
    return r->muc.n_joined;
}

static bool seat_online(const struct run *r, size_t i)
{
    const struct client *c = &r->eng.clients[i];
    return c->state == CL_ONLINE && !c->ending;
}

static bool unsettled(enum room_state st)
{
    return st == ROOM_CREATING || st == ROOM_CONFIGURING;
}

/* Keeps the count of rooms still being created or configured, which the join phase waits for. */
static void set_room_state(struct muc *m, struct room *rm, enum room_state st)
{
    m->unsettled -= unsettled(rm->state);
    m->unsettled += unsettled(st);
    rm->state = (uint8_t)st;
}

static void enqueue(struct muc *m, size_t i)
{
    m->seats[i].state = SEAT_QUEUED;
    m->queue[m->q_tail++] = (uint32_t)i; /* at most once per seat: the array never fills */
}

/* The room's leader, the first seat from `from` still untried and online, creates the room. */
static void elect(struct run *r, size_t room, size_t from)
{
    struct muc *m = &r->muc;
    struct room *rm = &m->rooms[room];
    size_t end = (room + 1) * (size_t)r->o->occupants;
    for (size_t i = from; i < end; i++) {
        if (m->seats[i].state == SEAT_IDLE && seat_online(r, i)) {
            rm->leader = (uint32_t)i;
            set_room_state(m, rm, ROOM_CREATING);
            enqueue(m, i);
            return;
        }
    }
    set_room_state(m, rm, ROOM_EMPTY); /* nobody left to create it */
}

/* The room takes joins now: every other seat of it queues. */
static void open_room(struct run *r, size_t room)
{
    struct muc *m = &r->muc;
    size_t k = (size_t)r->o->occupants;
    set_room_state(m, &m->rooms[room], ROOM_OPEN);
    for (size_t i = room * k; i < (room + 1) * k; i++)
        if (m->seats[i].state == SEAT_IDLE && seat_online(r, i))
            enqueue(m, i);
}

static void enter(struct muc *m, size_t i)
{
    struct seat *s = &m->seats[i];
    uint64_t took = pb_now_us() - s->join_sent_us;
    hist_record(&m->join_lat_us, took);
    if (m->rooms[s->room].joined >= m->fullest_before) { /* the join time into a big room */
        m->fullest_before = m->rooms[s->room].joined;
        m->fullest_join_us = took;
    }
    s->state = SEAT_JOINED;
    s->pos = (uint32_t)m->n_joined;
    m->joined[m->n_joined++] = (uint32_t)i;
    m->rooms[s->room].joined++;
    m->joins++;
}

static void leave(struct muc *m, size_t i)
{
    struct seat *s = &m->seats[i];
    uint32_t last = m->joined[--m->n_joined];
    m->joined[s->pos] = last; /* swap-remove keeps picking O(1) */
    m->seats[last].pos = s->pos;
    m->rooms[s->room].joined--;
}

/* The seat is out of the game (refused, closed, left); a room it was creating gets a new leader. */
static void drop_seat(struct run *r, size_t i)
{
    struct muc *m = &r->muc;
    struct seat *s = &m->seats[i];
    struct room *rm = &m->rooms[s->room];
    if (s->state == SEAT_JOINING)
        m->in_flight--;
    if (s->state == SEAT_JOINED)
        leave(m, i);
    s->state = SEAT_OUT;
    if (rm->leader == i && unsettled(rm->state))
        elect(r, s->room, i + 1);
}

/* Counted with the engine's failures, so the summary shows the last one like a login's. */
static void note_failure(struct run *r, const char *what, const char *condition)
{
    struct engine *e = &r->eng;
    r->muc.join_failures++;
    e->failures++;
    snprintf(e->last_error, sizeof(e->last_error), "%s: %s", what, condition);
}

/* The defined condition of an error stanza (RFC 6120 §8.3.3). */
static const char *error_condition(const struct stanza *st)
{
    const struct xel *err = xel_child(st->root, "error", NULL);
    for (const struct xel *el = err ? err->first : NULL; el; el = el->next)
        if (el->name && el->ns && strcmp(el->ns, NS_STANZAS) == 0)
            return el->name;
    return "unknown";
}

static void send_join(struct run *r, size_t i)
{
    struct muc *m = &r->muc;
    struct client *c = &r->eng.clients[i];
    struct buf nick;
    buf_init(&nick);
    xml_escape(c->user, strlen(c->user), &nick);
    /* No history: a delivery counts only if it was sent during the steps. */
    client_stanza_printf(c,
                         "<presence%s to='bench%" PRIu32 "@%s/%.*s'><x xmlns='" NS_MUC "'>"
                         "<history maxchars='0'/></x></presence>", client_xmlns(c),
                         m->seats[i].room, m->domain, (int)nick.len, nick.len ? nick.data : "");
    buf_fini(&nick);
    m->seats[i].state = SEAT_JOINING;
    m->seats[i].join_sent_us = pb_now_us();
    m->in_flight++;
}

/* Sends queued joins while fewer than --parallel are unanswered. */
static void pump(struct run *r)
{
    struct muc *m = &r->muc;
    while (m->q_head < m->q_tail && m->in_flight < (unsigned long)r->o->parallel) {
        size_t i = m->queue[m->q_head++];
        if (m->seats[i].state != SEAT_QUEUED)
            continue; /* dropped while it waited */
        if (seat_online(r, i))
            send_join(r, i);
        else
            drop_seat(r, i);
    }
}

void muc_join_start(struct run *r, uint64_t now_us)
{
    struct muc *m = &r->muc;
    m->join_start_us = now_us;
    for (size_t room = 0; room < m->n_rooms; room++)
        elect(r, room, room * (size_t)r->o->occupants);
    pump(r);
}

void muc_join_tick(struct run *r, uint64_t now_us)
{
    struct muc *m = &r->muc;
    pump(r);
    bool settled = m->unsettled == 0 && m->q_head == m->q_tail && m->in_flight == 0;
    bool over = now_us - m->join_start_us > (uint64_t)(r->o->timeout * 1e6);
    if (!settled && !over)
        return;
    m->join_end_us = now_us;
    m->seated = m->n_joined;
    if (!settled)
        fprintf(stderr, "parley-bench: room joins timed out: %zu of %zu occupants in, %u joins "
                        "unanswered\n", m->n_joined, m->n_seats, m->in_flight);
    run_enter(r, m->n_joined > 0 ? PH_STEPS : PH_DONE, now_us);
}

/* "room@DOMAIN" or "room@DOMAIN/nick" of our MUC service: what join answers come from. */
static bool from_muc(const struct run *r, const struct stanza *st)
{
    const char *at = st->from ? strchr(st->from, '@') : NULL;
    size_t n = strlen(r->o->muc_domain);
    return at && strncasecmp(at + 1, r->o->muc_domain, n) == 0 &&
           (at[1 + n] == '/' || at[1 + n] == '\0');
}

static unsigned status_bits(const struct stanza *st)
{
    const struct xel *x = xel_child(st->root, "x", NS_MUC_USER);
    unsigned bits = 0;
    for (const struct xel *el = x ? x->first : NULL; el; el = el->next) {
        const char *code = el->name && strcmp(el->name, "status") == 0 ? xel_attr(el, "code")
                                                                        : NULL;
        if (code && strcmp(code, "110") == 0)
            bits |= STATUS_SELF;
        else if (code && strcmp(code, "201") == 0)
            bits |= STATUS_CREATED;
    }
    return bits;
}

/* A new room that may be locked: the leader accepts the default configuration (§10.1.2). */
static void configure(struct run *r, size_t i)
{
    struct muc *m = &r->muc;
    struct seat *s = &m->seats[i];
    client_stanza_printf(&r->eng.clients[i],
                         "<iq%s type='set' id='" CONFIG_ID "' to='bench%" PRIu32 "@%s'><query "
                         "xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_XDATA "' type='submit'/>"
                         "</query></iq>",
                         client_xmlns(&r->eng.clients[i]), s->room, m->domain);
    set_room_state(m, &m->rooms[s->room], ROOM_CONFIGURING);
}

/* While the join is unanswered: presence of the occupants already in, then ours (110). */
static void joining_presence(struct run *r, size_t i, const struct stanza *st)
{
    struct muc *m = &r->muc;
    if (!from_muc(r, st))
        return;
    if (st->type & PRES_ERROR) {
        note_failure(r, "MUC join refused", error_condition(st));
        drop_seat(r, i);
        return;
    }
    unsigned bits = status_bits(st);
    if (!(bits & STATUS_SELF))
        return;
    m->in_flight--;
    enter(m, i);
    struct seat *s = &m->seats[i];
    if (m->rooms[s->room].leader == i && m->rooms[s->room].state == ROOM_CREATING) {
        if (bits & STATUS_CREATED)
            configure(r, i);
        else
            open_room(r, s->room);
    }
    if (r->phase == PH_JOIN)
        pump(r); /* keeps --parallel joins in flight without waiting for the tick */
}

void muc_presence(struct run *r, struct client *c, const struct stanza *st)
{
    struct muc *m = &r->muc;
    size_t i = (size_t)(c - r->eng.clients);
    if (i >= m->n_seats)
        return;
    struct seat *s = &m->seats[i];
    if (s->state == SEAT_JOINING)
        joining_presence(r, i, st);
    else if (s->state == SEAT_JOINED && (st->type & PRES_UNAVAILABLE) && from_muc(r, st) &&
             (status_bits(st) & STATUS_SELF))
        drop_seat(r, i); /* kicked, or the room went away: no more deliveries to expect */
}

void muc_iq_result(struct run *r, struct client *c, const struct stanza *st)
{
    struct muc *m = &r->muc;
    size_t i = (size_t)(c - r->eng.clients);
    if (i >= m->n_seats || !st->id || strcmp(st->id, CONFIG_ID) != 0)
        return;
    struct seat *s = &m->seats[i];
    struct room *rm = &m->rooms[s->room];
    if (rm->leader != i || rm->state != ROOM_CONFIGURING)
        return;
    /* Refused: still open it; if it stayed locked, the other joins say so one by one. */
    if (st->type & IQ_ERROR)
        note_failure(r, "MUC room configuration refused", error_condition(st));
    open_room(r, s->room);
    if (r->phase == PH_JOIN)
        pump(r);
}

void muc_closed(struct run *r, struct client *c)
{
    size_t i = (size_t)(c - r->eng.clients);
    if (i < r->muc.n_seats && r->muc.seats[i].state != SEAT_IDLE &&
        r->muc.seats[i].state != SEAT_OUT)
        drop_seat(r, i);
}

/* To the room of a random occupant, from that occupant; the id is "STEP.USEC" as in chat. */
uint64_t muc_send(struct run *r, struct step_stat *s, uint64_t now_us)
{
    struct muc *m = &r->muc;
    if (m->n_joined == 0)
        return 0;
    size_t i = m->joined[run_random(r) % m->n_joined];
    uint32_t room = m->seats[i].room;
    uint64_t deliveries = m->rooms[room].joined; /* the sender's own echo included */
    client_stanza_printf(&r->eng.clients[i],
                         "<message%s to='bench%" PRIu32 "@%s' type='groupchat' id='%zu.%" PRIu64
                         "'><body>parley-bench %" PRIu64 "</body></message>",
                         client_xmlns(&r->eng.clients[i]), room, m->domain, r->cur_step, now_us,
                         ++r->seq);
    s->sent++;
    s->expected += deliveries;
    r->sent++;
    r->expected += deliveries;
    return deliveries;
}

void muc_message(struct run *r, const struct stanza *st, uint64_t now_us)
{
    size_t step;
    uint64_t lat;
    if (st->type & MSG_GROUPCHAT)
        stepped_arrival(r, st, now_us, &step, &lat);
}
