/* SPDX-License-Identifier: MIT */
/* What each account has stored and reserved (its quota), and the open slots: a map by token
 * and a list in opening order, which is also expiry order, so that pruning looks only at the
 * oldest. An account's record lives while something is charged to it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "upload.h"

long long upload_charge(long long size)
{
    return size < UPLOAD_MIN_CHARGE ? UPLOAD_MIN_CHARGE : size;
}

long long upload_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct upload_owner *upload_owner_get(struct upload *up, const char *bare, bool create)
{
    struct upload_owner *o = hmap_get(&up->owners, bare);
    if (o || !create)
        return o;
    o = xcalloc(1, sizeof(*o));
    o->bare = xstrdup(bare);
    hmap_put(&up->owners, o->bare, o);
    return o;
}

void upload_owner_release(struct upload *up, struct upload_owner *o)
{
    if (o->stored > 0 || o->reserved > 0 || o->n_slots)
        return;
    hmap_del(&up->owners, o->bare);
    free(o->bare);
    free(o);
}

void upload_owner_account(struct upload *up, const char *bare, long long size, bool charge)
{
    struct upload_owner *o = upload_owner_get(up, bare, charge);
    if (!o)
        return;
    o->stored += charge ? upload_charge(size) : -upload_charge(size);
    if (o->stored < 0)
        o->stored = 0;
    upload_owner_release(up, o);
}

struct upload_slot *upload_slot_open(struct upload *up, struct upload_owner *o,
                                     const char *name, const char *type, long long size)
{
    struct upload_slot *s = xcalloc(1, sizeof(*s));
    if (!random_hex(s->token, UPLOAD_TOKEN_BYTES) || hmap_get(&up->slots, s->token)) {
        free(s);
        return NULL;
    }
    s->owner = o;
    s->name = xstrdup(name);
    s->type = type ? xstrdup(type) : NULL;
    s->size = size;
    s->expires = upload_mono_ms() + up->opts.slot_timeout * 1000LL;
    s->prev = up->newest;
    if (up->newest)
        up->newest->next = s;
    else
        up->oldest = s;
    up->newest = s;
    hmap_put(&up->slots, s->token, s);
    o->n_slots++;
    o->reserved += upload_charge(size);
    return s;
}

void upload_slot_close(struct upload *up, struct upload_slot *s)
{
    hmap_del(&up->slots, s->token);
    if (s->prev)
        s->prev->next = s->next;
    else
        up->oldest = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        up->newest = s->prev;
    struct upload_owner *o = s->owner;
    o->n_slots--;
    o->reserved -= upload_charge(s->size);
    free(s->name);
    free(s->type);
    free(s);
    upload_owner_release(up, o);
}

void upload_slots_prune(struct upload *up)
{
    long long now = upload_mono_ms();
    while (up->oldest && up->oldest->expires <= now)
        upload_slot_close(up, up->oldest);
}

struct upload_slot *upload_slot_find(struct upload *up, const char *token)
{
    upload_slots_prune(up);
    return hmap_get(&up->slots, token);
}

void upload_owner_forget(struct upload *up, const char *bare)
{
    struct upload_owner *o = hmap_get(&up->owners, bare);
    if (!o)
        return;
    o->stored = 0; /* its files go with the account */
    unsigned left = o->n_slots;
    if (!left) {
        upload_owner_release(up, o);
        return;
    }
    /* closing its last slot frees o: the loop stops there */
    for (struct upload_slot *s = up->oldest, *next; s && left; s = next) {
        next = s->next;
        if (s->owner == o) {
            left--;
            upload_slot_close(up, s);
        }
    }
}

static void free_owner(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    struct upload_owner *o = value;
    free(o->bare);
    free(o);
}

void upload_quota_fini(struct upload *up)
{
    while (up->oldest) {
        struct upload_slot *s = up->oldest;
        up->oldest = s->next;
        free(s->name);
        free(s->type);
        free(s);
    }
    up->newest = NULL;
    hmap_each(&up->owners, free_owner, NULL);
    hmap_fini(&up->owners);
    hmap_fini(&up->slots);
}
