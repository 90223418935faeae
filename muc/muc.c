/* SPDX-License-Identifier: MIT */
/* The group chat module: its options, its domain, and where each stanza to the service goes. */
#include "muc.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

extern const struct module muc_module;

/* XEP-0199: a ping to the service, a room or one's own occupant JID (XEP-0410). */
static int pong(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *res = stanza_iq_result(st);
    router_reply(rc, res);
    stanza_unref(res);
    return ROUTE_DONE;
}

static bool payload_is(const struct stanza *st, const char *ns)
{
    const struct xel *p = xel_first_elem(st->root);
    return p && p->ns && strcmp(p->ns, ns) == 0;
}

/* iq to an occupant: XEP-0410's self-ping is answered by the room; anything else is not
 * relayed (occupants are reached by private message). */
static int occupant_iq(struct route_ctx *rc, struct stanza *st, struct muc_room *r)
{
    struct muc_occupant *occ = muc_occupant_by_nick(r, rc->to->resource);
    if (!occ)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    struct muc_seat *me = muc_seat_of(r, rc->sess);
    if (!me)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    if (me->occ == occ && st->type == IQ_GET && payload_is(st, NS_PING))
        return pong(rc, st);
    return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
}

/* XEP-0313 on the room's archive: for whoever may enter the room. */
static int room_archive(struct route_ctx *rc, struct stanza *st, struct muc_room *r)
{
    enum muc_aff aff = muc_aff_of(r, module_session_jid(rc->sess)->bare);
    if (!r->cfg.archive)
        return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
    if (aff == AFF_OUTCAST || (r->cfg.members_only && aff < AFF_MEMBER))
        return ROUTE_ERROR(COND_FORBIDDEN);
    return module_archive_query(rc, st, r->jid);
}

/* iq to the room's bare JID, by the namespace of its payload. */
static int room_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                   struct muc_room *r)
{
    if (!(st->type & (IQ_GET | IQ_SET)))
        return ROUTE_DONE;
    if (payload_is(st, NS_DISCO_INFO) || payload_is(st, NS_DISCO_ITEMS))
        return muc_disco_iq(m, rc, st, r);
    if (payload_is(st, NS_MUC_ADMIN))
        return muc_admin_iq(m, rc, st, r);
    if (payload_is(st, NS_MUC_OWNER))
        return muc_owner_iq(m, rc, st, r);
    if (payload_is(st, NS_MAM))
        return room_archive(rc, st, r);
    if (payload_is(st, NS_MODERATE) || payload_is(st, NS_FASTEN))
        return muc_moderate_iq(rc, st, r);
    if (payload_is(st, NS_PING) && st->type == IQ_GET)
        return pong(rc, st);
    return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
}

static int to_service(struct muc_mod *m, struct route_ctx *rc, struct stanza *st)
{
    if (st->kind != STANZA_IQ)
        return st->kind == STANZA_MESSAGE ? ROUTE_ERROR(COND_SERVICE_UNAVAILABLE) : ROUTE_DONE;
    if (!(st->type & (IQ_GET | IQ_SET)))
        return ROUTE_DONE;
    if (payload_is(st, NS_DISCO_INFO) || payload_is(st, NS_DISCO_ITEMS))
        return muc_disco_iq(m, rc, st, NULL);
    if (payload_is(st, NS_PING) && st->type == IQ_GET)
        return pong(rc, st);
    return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
}

/* Every stanza to the service's domain, its rooms and their occupants. */
static int muc_route(struct route_ctx *rc, struct stanza *st)
{
    struct muc_mod *m = rc->state;
    if (!rc->to->local)
        return to_service(m, rc, st);
    if (st->kind == STANZA_PRESENCE)
        return muc_presence(m, rc, st);
    if (st->kind == STANZA_MESSAGE)
        return muc_message(m, rc, st);
    struct muc_room *r = muc_room_get(m, rc->to->bare);
    int res;
    if (!r || (r->locked && muc_aff_of(r, module_session_jid(rc->sess)->bare) != AFF_OWNER))
        res = st->type & (IQ_GET | IQ_SET) ? ROUTE_ERROR(COND_ITEM_NOT_FOUND) : ROUTE_DONE;
    else if (rc->to->resource)
        res = occupant_iq(rc, st, r);
    else
        res = room_iq(m, rc, st, r);
    if (r)
        muc_room_release(r);
    return res;
}

static const char *muc_domain_of(const struct server *srv)
{
    return module_muc_domain(srv);
}

static void muc_session_unavailable(void *state, struct session *sess)
{
    muc_session_gone(state, sess);
}

static void muc_session_close(void *state, struct session *sess)
{
    muc_session_gone(state, sess);
}

/* parleyctl's "rmroom JID [REASON]" on the running server: everyone in the room is told. */
static bool muc_control(void *state, const char *line, struct buf *out)
{
    static const char rm[] = "rmroom ";
    struct muc_mod *m = state;
    if (strncmp(line, rm, sizeof(rm) - 1) != 0)
        return false;
    const char *arg = line + sizeof(rm) - 1, *sp = strchr(arg, ' ');
    char *jid_text = xstrndup(arg, sp ? (size_t)(sp - arg) : strlen(arg));
    struct jid *j = jid_parse(jid_text);
    struct muc_room *r = NULL;
    if (!j || !j->local || j->resource || strcmp(j->domain, m->domain) != 0)
        buf_printf(out, "error not a room of %s\n", m->domain);
    else if (!(r = muc_room_get(m, j->bare)))
        buf_printf(out, "error no such room\n");
    if (r) {
        size_t told = r->n_occ;
        muc_room_destroy_all(r, sp ? sp + 1 : NULL);
        muc_room_release(r);
        if (module_storage_commit(m->srv) == PL_OK) /* parleyctl reads the store next */
            buf_printf(out, "ok %zu\n", told);
        else
            buf_printf(out, "error the room could not be deleted from storage\n");
    }
    jid_free(j);
    free(jid_text);
    return true;
}

#define OPT(field) offsetof(struct muc_opts, field)
static const struct cfg_opt muc_options[] = {
    { "max_occupants", CFG_INT, OPT(max_occupants), "1000", 1, 100000, NULL },
    { "max_history", CFG_INT, OPT(max_history), "50", 0, 1000, NULL },
    { "max_nick_bytes", CFG_INT, OPT(max_nick_bytes), "64", 1, 1023, NULL },
    { "join_presences_per_turn", CFG_INT, OPT(join_presences_per_turn), "100", 1, 100000, NULL },
};

static int muc_init(struct server *srv, const void *opts, void **state)
{
    struct muc_mod *m = xcalloc(1, sizeof(*m));
    m->srv = srv;
    m->opts = *(const struct muc_opts *)opts;
    m->domain = module_muc_domain(srv);
    m->slot = module_slot(&muc_module);
    hmap_init(&m->rooms);
    module_fanout_init(&m->out);
    module_fanout_init(&m->out2);
    *state = m;
    return PL_OK;
}

static void free_room(void *ctx, const char *key, void *value)
{
    (void)ctx;
    (void)key;
    muc_room_free(value);
}

static void muc_fini(void *state)
{
    struct muc_mod *m = state;
    hmap_each(&m->rooms, free_room, NULL);
    hmap_fini(&m->rooms);
    module_fanout_fini(&m->out);
    module_fanout_fini(&m->out2);
    free(m);
}

static const char *const muc_features[] = { NULL };

static void count_room(void *ctx, const char *key, void *value)
{
    unsigned long long *n = ctx;
    (void)key;
    n[0]++;
    n[1] += ((const struct muc_room *)value)->n_occ;
}

static void muc_metrics(void *state, struct buf *out)
{
    struct muc_mod *m = state;
    unsigned long long n[2] = { 0, 0 };
    hmap_each(&m->rooms, count_room, n);
    module_metric(out, "parley_muc_rooms", "gauge", "Rooms in memory (in use).", n[0]);
    module_metric(out, "parley_muc_occupants", "gauge", "Occupants of all rooms.", n[1]);
}

const struct module muc_module = {
    .name = "muc",
    .options = muc_options,
    .n_options = ARRAY_LEN(muc_options),
    .options_size = sizeof(struct muc_opts),
    .features = muc_features,
    .init = muc_init,
    .fini = muc_fini,
    .session_unavailable = muc_session_unavailable,
    .session_close = muc_session_close,
    .service_domain = muc_domain_of,
    .service_route = muc_route,
    .control = muc_control,
    .metrics = muc_metrics,
};
