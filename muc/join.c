/* SPDX-License-Identifier: MIT */
/* Entering a big room in slices (XEP-0045 §7.2.3): the occupants already there reach the
 * joiner join_presences_per_turn at a time, one loop turn after another, so that a storm of
 * joins into a room of n does not do n² work in one turn; the joiner's own presence, the
 * history and the subject follow the last slice. Meanwhile presence changes reach the joiner
 * at once and the list is read from the room as it is at each slice (whoever left is not
 * listed), while the room's messages skip the joiner: they come in its history. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

struct muc_join {
    struct muc_join *prev, *next; /* m->joins */
    struct muc_room *r;
    struct muc_seat *seat;
    struct buf keys; /* nick keys of the occupants to list, each NUL-terminated */
    size_t pos;      /* the next key's offset */
    struct stanza *req; /* the join presence: its id, its <history/> */
    bool created, renamed;
};

static void unlink_join(struct muc_join *j)
{
    struct muc_mod *m = j->r->mod;
    if (j->prev)
        j->prev->next = j->next;
    else
        m->joins = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->seat->join = NULL;
    buf_fini(&j->keys);
    stanza_unref(j->req);
}

void muc_join_cancel(struct muc_join *j)
{
    unlink_join(j);
    free(j);
}

/* Lists up to budget occupants; true when the list is done. */
static bool list_some(struct muc_join *j, long budget)
{
    struct muc_room *r = j->r;
    bool jids = muc_sees_jids(r, j->seat->occ->role);
    while (budget > 0 && j->pos < j->keys.len) {
        const char *key = j->keys.data + j->pos;
        j->pos += strlen(key) + 1;
        struct muc_occupant *o = hmap_get(&r->by_nick, key);
        if (o && o != j->seat->occ) {
            module_fanout_deliver(r->mod->srv, muc_occupant_shown(r, o, jids), j->seat->sess);
            budget--;
        }
    }
    return j->pos >= j->keys.len;
}

/* One slice; after the last, the rest of the answer and the join's end. */
static void step(struct muc_join *j)
{
    if (!list_some(j, j->r->mod->opts.join_presences_per_turn))
        return;
    struct muc_room *r = j->r;
    struct muc_seat *seat = j->seat;
    struct stanza *req = stanza_ref(j->req);
    bool created = j->created, renamed = j->renamed;
    muc_join_cancel(j); /* the seat is an ordinary one again before its answer goes */
    muc_join_answer(r, seat, req, created, renamed);
    stanza_unref(req);
}

static void pump(void *arg)
{
    struct muc_mod *m = arg;
    m->join_pump_queued = false;
    for (struct muc_join *j = m->joins, *next; j; j = next) {
        next = j->next;
        step(j);
    }
    if (m->joins && !m->join_pump_queued) {
        m->join_pump_queued = true;
        module_defer(m->srv, pump, m);
    }
}

void muc_join_start(struct muc_room *r, struct muc_seat *seat, struct stanza *req,
                    bool created, bool renamed)
{
    struct muc_mod *m = r->mod;
    struct muc_join *j = xcalloc(1, sizeof(*j));
    *j = (struct muc_join){ .r = r, .seat = seat, .req = stanza_ref(req), .created = created,
                            .renamed = renamed, .next = m->joins };
    buf_init(&j->keys);
    for (size_t i = 0; i < r->n_occ; i++)
        if (r->occ[i] != seat->occ)
            buf_append(&j->keys, r->occ[i]->key, strlen(r->occ[i]->key) + 1);
    if (m->joins)
        m->joins->prev = j;
    m->joins = j;
    seat->join = j;
    step(j);
    if (seat->join && !m->join_pump_queued) {
        m->join_pump_queued = true;
        module_defer(m->srv, pump, m);
    }
}
