/* SPDX-License-Identifier: MIT */
/* Roster results: a small roster at once, a large one in slices of items at the reader's pace. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "roster_int.h"

/* Rosters up to this many bytes go out as one stanza, as they always have. */
#define RESULT_WHOLE_BYTES (16 * 1024)

/* A result in slices. It holds the owner and the contacts' JIDs, never the roster itself: a
 * roster set (or a reload) between two slices is safe, and the pushes it sends wait behind the
 * result, so the owner ends with the newest state. */
struct get_job {
    struct roster_mod *m;
    char *owner;
    char **keys; /* visible contacts when asked (owned copies) */
    size_t n, pos;
    struct buf ends; /* the start tags of <iq><query>, then their end tags */
    size_t head_len;
    bool head_sent;
};

static void collect_visible(void *ctx, const char *key, void *value)
{
    struct get_job *j = ctx;
    const struct roster_item *it = value;
    if (it->in_roster)
        j->keys[j->n++] = xstrdup(key);
}

static void job_release(void *arg)
{
    struct get_job *j = arg;
    for (size_t i = 0; i < j->n; i++)
        free(j->keys[i]);
    free(j->keys);
    free(j->owner);
    buf_fini(&j->ends);
    free(j);
}

/* Items still on the roster, in their state of now, until about budget bytes are out. */
static bool job_next(void *arg, struct buf *out, size_t budget)
{
    struct get_job *j = arg;
    size_t start = out->len;
    if (!j->head_sent) {
        buf_append(out, j->ends.data, j->head_len);
        j->head_sent = true;
    }
    struct roster *r = roster_acquire(j->m, j->owner);
    struct stanza *tmp = stanza_new("query", NS_ROSTER);
    while (r && j->pos < j->n && out->len - start < budget) {
        const struct roster_item *it = roster_item_find(r, j->keys[j->pos++]);
        if (!it || !it->in_roster)
            continue;
        struct xel *last = tmp->root->last;
        roster_item_write(tmp, tmp->root, it, false);
        xel_write(last ? last->next : tmp->root->first, NS_ROSTER, out);
    }
    stanza_unref(tmp);
    if (r && j->pos < j->n)
        return false;
    buf_append(out, j->ends.data + j->head_len, j->ends.len - j->head_len);
    return true;
}

static struct get_job *job_new(struct roster_mod *m, const struct stanza *res,
                               const struct xel *q, struct roster *r)
{
    struct get_job *j = xcalloc(1, sizeof(*j));
    j->m = m;
    j->owner = xstrdup(r->owner);
    j->keys = xcalloc(r->items.used + 1, sizeof(*j->keys));
    hmap_each(&r->items, collect_visible, j);
    buf_init(&j->ends);
    const char *ns = xel_write_open(res->root, NS_CLIENT, &j->ends);
    xel_write_open(q, ns, &j->ends);
    j->head_len = j->ends.len;
    xel_write_close(q, &j->ends);
    xel_write_close(res->root, &j->ends);
    return j;
}

static void list_item(void *ctx, const char *key, void *value)
{
    struct stanza *res = ctx;
    const struct roster_item *it = value;
    (void)key;
    if (it->in_roster)
        roster_item_write(res, res->root->first, it, false);
}

int roster_result_send(struct roster_mod *m, struct route_ctx *rc, const struct stanza *get,
                       struct roster *r, const char *ver)
{
    struct stanza *res = stanza_iq_result(get);
    struct xel *q = xel_add_child(res, res->root, "query", NS_ROSTER);
    xel_set_attr(res, q, "ver", ver);
    int rc_send = PL_OK;
    if (r->bytes <= RESULT_WHOLE_BYTES) {
        hmap_each(&r->items, list_item, res);
        router_reply(rc, res);
    } else {
        struct get_job *j = job_new(m, res, q, r);
        rc_send = module_send_slices(rc->sess, job_next, job_release, j);
    }
    stanza_unref(res);
    return rc_send == PL_ELIMIT ? ROUTE_ERROR(COND_RESOURCE_CONSTRAINT) : ROUTE_DONE;
}
