/* SPDX-License-Identifier: MIT */
/* The hold queue of an inactive client: a short array, searched linearly (it is bounded). */
#include "csi_queue.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

static bool same_source(const struct csi_held *h, const struct stanza *st, const char *key)
{
    return h->st->kind == st->kind && strcmp(h->key, key) == 0;
}

static void drop_at(struct csi_queue *q, size_t i)
{
    stanza_unref(q->items[i].st);
    memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(*q->items));
    q->n--;
}

bool csi_queue_hold(struct csi_queue *q, struct stanza *st, const char *key, size_t max)
{
    size_t i = 0;
    while (i < q->n && !same_source(&q->items[i], st, key))
        i++;
    if (i < q->n)
        drop_at(q, i);
    else if (q->n >= max)
        return false;
    if (!q->items)
        q->items = xcalloc(max ? max : 1, sizeof(*q->items));
    q->items[q->n++] = (struct csi_held){ stanza_ref(st), key };
    return true;
}

struct stanza **csi_queue_take(struct csi_queue *q, size_t *n)
{
    struct stanza **out = q->n ? xcalloc(q->n, sizeof(*out)) : NULL;
    *n = q->n;
    for (size_t i = 0; i < q->n; i++)
        out[i] = q->items[i].st;
    free(q->items);
    q->items = NULL;
    q->n = 0;
    return out;
}

void csi_queue_clear(struct csi_queue *q)
{
    size_t n;
    struct stanza **items = csi_queue_take(q, &n);
    for (size_t i = 0; i < n; i++)
        stanza_unref(items[i]);
    free(items);
}
