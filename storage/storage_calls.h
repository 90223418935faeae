/* SPDX-License-Identifier: MIT */
/* The store's operations as calls (storage.h documents each in struct storage_ops): what
 * modules, the server and parleyctl write instead of reaching through the table. Included by
 * storage.h only. */
#ifndef PL_STORAGE_CALLS_H
#define PL_STORAGE_CALLS_H

static inline void storage_close(struct storage *st) { st->ops->close(st); }
static inline int account_create(struct storage *st, const char *bare, const struct scram_creds *c)
{
    return st->ops->account_create(st, bare, c);
}
static inline int account_set_creds(struct storage *st, const char *bare,
                                    const struct scram_creds *c)
{
    return st->ops->account_set_creds(st, bare, c);
}
static inline int account_delete(struct storage *st, const char *bare)
{
    return st->ops->account_delete(st, bare);
}
static inline int creds_get(struct storage *st, const char *bare, struct scram_creds *out)
{
    return st->ops->creds_get(st, bare, out);
}
static inline int account_list(struct storage *st, void (*fn)(void *, const char *), void *ctx)
{
    return st->ops->account_list(st, fn, ctx);
}
static inline int accounts_exist(struct storage *st, bool *any)
{
    return st->ops->accounts_exist(st, any);
}
static inline int userdata_get(struct storage *st, const char *owner, enum userdata_kind kind,
                               const char *name, char **xml)
{
    return st->ops->userdata_get(st, owner, kind, name, xml);
}
static inline int userdata_put(struct storage *st, const char *owner, enum userdata_kind kind,
                               const char *name, const char *xml)
{
    return st->ops->userdata_put(st, owner, kind, name, xml);
}
static inline int userdata_count(struct storage *st, const char *owner,
                                 enum userdata_kind kind, long long *n)
{
    return st->ops->userdata_count(st, owner, kind, n);
}
static inline int pubsub_load(struct storage *st, const struct pubsub_loader *l)
{
    return st->ops->pubsub_load(st, l);
}
static inline int pubsub_node_put(struct storage *st, const struct pubsub_node_row *r)
{
    return st->ops->pubsub_node_put(st, r);
}
static inline int pubsub_node_delete(struct storage *st, const char *service, const char *node)
{
    return st->ops->pubsub_node_delete(st, service, node);
}
static inline int pubsub_item_put(struct storage *st, const struct pubsub_item_row *r)
{
    return st->ops->pubsub_item_put(st, r);
}
static inline int pubsub_item_delete(struct storage *st, const char *service, const char *node,
                                     const char *id)
{
    return st->ops->pubsub_item_delete(st, service, node, id);
}
static inline int pubsub_items_purge(struct storage *st, const char *service, const char *node)
{
    return st->ops->pubsub_items_purge(st, service, node);
}
static inline int pubsub_item_get(struct storage *st, const char *service, const char *node,
                                  const char *id, char **xml)
{
    return st->ops->pubsub_item_get(st, service, node, id, xml);
}
static inline int pubsub_member_put(struct storage *st, const struct pubsub_member_row *r)
{
    return st->ops->pubsub_member_put(st, r);
}
static inline int storage_flush(struct storage *st) { return st->ops->flush(st); }
static inline int storage_flush_delay_ms(struct storage *st)
{
    return st->ops->flush_delay_ms ? st->ops->flush_delay_ms(st) : 0;
}
static inline void storage_release_memory(struct storage *st)
{
    if (st->ops->release_memory)
        st->ops->release_memory(st);
}
static inline int storage_rollback(struct storage *st) { return st->ops->rollback(st); }
static inline int roster_load(struct storage *st, const char *owner, long long *ver,
                              void (*fn)(void *, const struct roster_row *), void *ctx)
{
    return st->ops->roster_load(st, owner, ver, fn, ctx);
}
static inline int roster_put(struct storage *st, const char *owner, const struct roster_row *row,
                             long long ver)
{
    return st->ops->roster_put(st, owner, row, ver);
}
static inline int roster_remove(struct storage *st, const char *owner, const char *contact,
                                long long ver)
{
    return st->ops->roster_remove(st, owner, contact, ver);
}
static inline int last_get(struct storage *st, const char *bare, long long *when, char **status)
{
    return st->ops->last_get(st, bare, when, status);
}
static inline int last_set(struct storage *st, const char *bare, long long when,
                           const char *status)
{
    return st->ops->last_set(st, bare, when, status);
}
static inline int privacy_load(struct storage *st, const char *owner, char **default_name,
                               void (*fn)(void *, const struct privacy_row *), void *ctx)
{
    return st->ops->privacy_load(st, owner, default_name, fn, ctx);
}
static inline int privacy_list_set(struct storage *st, const char *owner, const char *name,
                                   const struct privacy_row *rows, size_t n)
{
    return st->ops->privacy_list_set(st, owner, name, rows, n);
}
static inline int privacy_default_set(struct storage *st, const char *owner, const char *name)
{
    return st->ops->privacy_default_set(st, owner, name);
}
static inline int offline_count(struct storage *st, const char *owner, size_t *n)
{
    return st->ops->offline_count(st, owner, n);
}
static inline int offline_put(struct storage *st, const char *owner, const struct offline_row *row)
{
    return st->ops->offline_put(st, owner, row);
}
static inline int offline_load(struct storage *st, const char *owner, long long after_id,
                               size_t max, void (*fn)(void *, const struct offline_row *),
                               void *ctx)
{
    return st->ops->offline_load(st, owner, after_id, max, fn, ctx);
}
static inline int offline_delete(struct storage *st, const char *owner, long long upto_id)
{
    return st->ops->offline_delete(st, owner, upto_id);
}

static inline void storage_set_wake(struct storage *st, void (*wake)(void *), void *ctx)
{
    st->ops->set_wake(st, wake, ctx);
}
static inline void storage_run_completions(struct storage *st) { st->ops->run_completions(st); }
static inline int archive_new_key(struct storage *st, long long now_us, long long *key)
{
    return st->ops->archive_new_key(st, now_us, key);
}
static inline int archive_append(struct storage *st, const struct archive_msg *m)
{
    return st->ops->archive_append(st, m);
}
static inline int archive_amend(struct storage *st, const char *sender, const char *rcpt,
                                const char *ref, const char *body, const char *xml)
{
    return st->ops->archive_amend(st, sender, rcpt, ref, body, xml);
}
static inline int archive_purge(struct storage *st, long long cutoff_us, unsigned max,
                                unsigned *n)
{
    return st->ops->archive_purge(st, cutoff_us, max, n);
}
static inline int archive_index(struct storage *st, unsigned max, unsigned *n)
{
    return st->ops->archive_index(st, max, n);
}
/* Asynchronous: see struct storage_ops. */
static inline int archive_query(struct storage *st, const struct archive_filter *f,
                                void (*done)(void *, const struct archive_page *), void *ctx)
{
    return st->ops->archive_query(st, f, done, ctx);
}
/* Asynchronous: see struct storage_ops. */
static inline int archive_meta(struct storage *st, const char *owner,
                               void (*done)(void *, const struct archive_meta *), void *ctx)
{
    return st->ops->archive_meta(st, owner, done, ctx);
}
static inline int archive_prefs_get(struct storage *st, const char *owner,
                                    enum archive_mode *mode, archive_pref_fn fn, void *ctx)
{
    return st->ops->archive_prefs_get(st, owner, mode, fn, ctx);
}
static inline int archive_prefs_set(struct storage *st, const char *owner, enum archive_mode mode,
                                    const char *const *jids, const bool *always, size_t n)
{
    return st->ops->archive_prefs_set(st, owner, mode, jids, always, n);
}
static inline int archive_pref_check(struct storage *st, const char *owner, const char *peer,
                                     enum archive_mode *mode, int *rule)
{
    return st->ops->archive_pref_check(st, owner, peer, mode, rule);
}
static inline int archive_replace(struct storage *st, const char *owner, const char *sid,
                                  const char *body, const char *xml)
{
    return st->ops->archive_replace(st, owner, sid, body, xml);
}

static inline int room_load(struct storage *st, const char *jid,
                            void (*room_fn)(void *, const struct room_row *),
                            void (*aff_fn)(void *, const struct room_aff_row *), void *ctx)
{
    return st->ops->room_load(st, jid, room_fn, aff_fn, ctx);
}
static inline int room_put(struct storage *st, const struct room_row *row)
{
    return st->ops->room_put(st, row);
}
static inline int room_delete(struct storage *st, const char *jid)
{
    return st->ops->room_delete(st, jid);
}
static inline int room_aff_set(struct storage *st, const char *room,
                               const struct room_aff_row *row)
{
    return st->ops->room_aff_set(st, room, row);
}
static inline int room_list(struct storage *st, bool listed_only, const char *after, size_t max,
                            void (*fn)(void *, const struct room_row *), void *ctx,
                            size_t *total)
{
    return st->ops->room_list(st, listed_only, after, max, fn, ctx, total);
}

#endif
