/* SPDX-License-Identifier: MIT */
/* Rooms in memory: loaded from storage on first use, released once empty; affiliations. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"

static const char *const aff_names[] = { "none", "outcast", "member", "admin", "owner" };
static const char *const role_names[] = { "none", "visitor", "participant", "moderator" };

const char *muc_aff_name(enum muc_aff aff)
{
    return aff_names[aff];
}

const char *muc_role_name(enum muc_role role)
{
    return role_names[role];
}

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

int muc_aff_parse(const char *s)
{
    return name_index(aff_names, ARRAY_LEN(aff_names), s);
}

int muc_role_parse(const char *s)
{
    return name_index(role_names, ARRAY_LEN(role_names), s);
}

static struct muc_room *room_new(struct muc_mod *m, const char *jid)
{
    struct muc_room *r = xcalloc(1, sizeof(*r));
    r->jid = xstrdup(jid);
    r->mod = m;
    muc_config_defaults(&r->cfg);
    hmap_init(&r->affs);
    hmap_init(&r->by_nick);
    hmap_init(&r->by_full);
    hmap_put(&m->rooms, r->jid, r);
    return r;
}

static void put_aff(struct muc_room *r, const char *bare, enum muc_aff aff, const char *reason)
{
    struct muc_aff_entry *e = hmap_get(&r->affs, bare);
    if (!e) {
        e = xcalloc(1, sizeof(*e));
        e->jid = xstrdup(bare);
        hmap_put(&r->affs, e->jid, e);
    }
    e->aff = aff;
    free(e->reason);
    e->reason = reason && reason[0] ? xstrdup(reason) : NULL;
}

static void load_row(void *ctx, const struct room_row *row)
{
    struct muc_room *r = ctx;
    muc_config_decode(&r->cfg, row->config);
    r->subject = row->subject ? xstrdup(row->subject) : NULL;
    r->subject_by = row->subject_by ? xstrdup(row->subject_by) : NULL;
    r->created = row->created;
}

static void load_aff(void *ctx, const struct room_aff_row *row)
{
    if (row->affiliation > AFF_NONE && row->affiliation <= AFF_OWNER)
        put_aff(ctx, row->jid, (enum muc_aff)row->affiliation, row->reason);
}

struct muc_room *muc_room_get(struct muc_mod *m, const char *jid)
{
    struct muc_room *r = hmap_get(&m->rooms, jid);
    if (r)
        return r;
    r = room_new(m, jid);
    int rc = room_load(module_storage(m->srv), jid, load_row, load_aff, r);
    if (rc != PL_OK) {
        if (rc != PL_ENOTFOUND)
            module_log(LOG_ERROR, "muc", "room %s: cannot load it from storage", jid);
        muc_room_free(r);
        return NULL;
    }
    r->stored = true;
    return r;
}

struct muc_room *muc_room_create(struct muc_mod *m, const char *jid, const char *owner_bare)
{
    struct muc_room *r = room_new(m, jid);
    r->locked = true;
    r->hist_ready = true; /* nothing was said in it yet */
    r->created = (long long)time(NULL);
    r->cfg.history = r->cfg.history > m->opts.max_history ? m->opts.max_history : r->cfg.history;
    put_aff(r, owner_bare, AFF_OWNER, NULL);
    module_log(LOG_INFO, "muc", "room %s created by %s", jid, owner_bare);
    return r;
}

static void free_aff(void *ctx, const char *key, void *value)
{
    struct muc_aff_entry *e = value;
    (void)ctx;
    (void)key;
    free(e->jid);
    free(e->reason);
    free(e);
}


void muc_room_free(struct muc_room *r)
{
    if (hmap_get(&r->mod->rooms, r->jid) == r)
        hmap_del(&r->mod->rooms, r->jid);
    muc_history_fini(r);
    while (r->n_occ) {
        struct muc_occupant *occ = r->occ[r->n_occ - 1];
        while (occ->seats)
            muc_seat_remove(r, occ->seats);
        muc_occupant_free(r, occ);
    }
    free(r->occ);
    hmap_fini(&r->by_full);
    hmap_fini(&r->by_nick);
    hmap_each(&r->affs, free_aff, NULL);
    hmap_fini(&r->affs);
    muc_config_fini(&r->cfg);
    free(r->subject);
    free(r->subject_by);
    free(r->jid);
    module_memory_released(r->mod->srv, sizeof(*r));
    free(r);
}

void muc_room_release(struct muc_room *r)
{
    if (!r->gone && (r->n_occ || r->waiting))
        return;
    if (!r->stored && !r->locked)
        module_log(LOG_INFO, "muc", "room %s: the last occupant left; it was temporary", r->jid);
    muc_room_free(r);
}

void muc_room_destroy(struct muc_room *r)
{
    if (r->stored && room_delete(module_storage(r->mod->srv), r->jid) != PL_OK)
        module_log(LOG_ERROR, "muc", "room %s: cannot delete it from storage", r->jid);
    module_storage_dirty(r->mod->srv);
    module_log(LOG_INFO, "muc", "room %s destroyed", r->jid);
    r->stored = false;
    r->gone = true;
    if (hmap_get(&r->mod->rooms, r->jid) == r)
        hmap_del(&r->mod->rooms, r->jid); /* a join from now on makes a new room */
}

struct aff_walk {
    struct muc_room *r;
    int rc;
};

static void store_aff(void *ctx, const char *key, void *value)
{
    struct aff_walk *w = ctx;
    const struct muc_aff_entry *e = value;
    struct room_aff_row row = { .jid = key, .affiliation = (int)e->aff, .reason = e->reason };
    if (w->rc == PL_OK)
        w->rc = room_aff_set(module_storage(w->r->mod->srv), w->r->jid, &row);
}

/* The room's row, and on its first save every affiliation. */
static int store_room(struct muc_room *r)
{
    struct storage *store = module_storage(r->mod->srv);
    struct buf cfg;
    buf_init(&cfg);
    muc_config_encode(&r->cfg, &cfg);
    struct room_row row = {
        .jid = r->jid, .name = r->cfg.name, .listed = r->cfg.listed, .config = cfg.data,
        .subject = r->subject, .subject_by = r->subject_by, .created = r->created,
    };
    struct aff_walk w = { r, room_put(store, &row) };
    buf_fini(&cfg);
    if (w.rc == PL_OK && !r->stored)
        hmap_each(&r->affs, store_aff, &w);
    return w.rc;
}

int muc_room_save(struct muc_room *r)
{
    int rc = PL_OK;
    if (r->cfg.persistent && !r->locked) {
        rc = store_room(r);
        r->stored = rc == PL_OK;
    } else if (r->stored) {
        rc = room_delete(module_storage(r->mod->srv), r->jid);
        r->stored = false;
    }
    if (rc != PL_OK) {
        module_log(LOG_ERROR, "muc", "room %s: cannot save it", r->jid);
        module_storage_rollback(r->mod->srv);
        return rc;
    }
    module_storage_dirty(r->mod->srv);
    return PL_OK;
}

enum muc_aff muc_aff_of(const struct muc_room *r, const char *bare)
{
    const struct muc_aff_entry *e = hmap_get(&r->affs, bare);
    return e ? e->aff : AFF_NONE;
}

/* Occupants of bare show their new affiliation from now on. */
static void aff_changed(struct muc_room *r, const char *bare)
{
    for (size_t i = 0; i < r->n_occ; i++)
        if (strcmp(r->occ[i]->bare, bare) == 0)
            muc_occupant_changed(r->occ[i]);
}

int muc_aff_set(struct muc_room *r, const char *bare, enum muc_aff aff, const char *reason)
{
    if (r->stored) {
        struct room_aff_row row = { .jid = bare, .affiliation = (int)aff, .reason = reason };
        if (room_aff_set(module_storage(r->mod->srv), r->jid, &row) != PL_OK) {
            module_storage_rollback(r->mod->srv);
            return PL_EIO;
        }
        module_storage_dirty(r->mod->srv);
    }
    aff_changed(r, bare);
    if (aff != AFF_NONE) {
        put_aff(r, bare, aff, reason);
        return PL_OK;
    }
    struct muc_aff_entry *e = hmap_del(&r->affs, bare);
    if (e)
        free_aff(NULL, NULL, e);
    return PL_OK;
}

struct owner_count {
    size_t n;
};

static void count_owner(void *ctx, const char *key, void *value)
{
    struct owner_count *c = ctx;
    (void)key;
    c->n += ((const struct muc_aff_entry *)value)->aff == AFF_OWNER;
}

size_t muc_owner_count(const struct muc_room *r)
{
    struct owner_count c = { 0 };
    hmap_each(&r->affs, count_owner, &c);
    return c.n;
}

enum muc_role muc_role_for(const struct muc_room *r, enum muc_aff aff)
{
    if (aff >= AFF_ADMIN)
        return ROLE_MODERATOR;
    if (aff == AFF_MEMBER || !r->cfg.moderated)
        return ROLE_PARTICIPANT;
    return ROLE_VISITOR;
}
