/* SPDX-License-Identifier: MIT */
/* The hold queue of an inactive client: a short array, searched linearly (it is bounded). */
#include "csi_queue.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

static bool same_source(const struct stanza *a, const struct stanza *b)
{
    return a->kind == b->kind && a->from && b->from && strcmp(a->from, b->from) == 0;
}

static void drop_at(struct csi_queue *q, size_t i)
{
    stanza_unref(q->items[i]);
    memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(*q->items));
    q->n--;
}

bool csi_queue_hold(struct csi_queue *q, struct stanza *st, size_t max)
{
    size_t i = 0;
    while (i < q->n && !same_source(q->items[i], st))
        i++;
    if (i < q->n)
        drop_at(q, i);
    else if (q->n >= max)
        return false;
    if (!q->items)
        q->items = xcalloc(max ? max : 1, sizeof(*q->items));
    q->items[q->n++] = stanza_ref(st);
    return true;
}

struct stanza **csi_queue_take(struct csi_queue *q, size_t *n)
{
    struct stanza **items = q->n ? q->items : NULL;
    *n = q->n;
    if (!items)
        free(q->items);
    q->items = NULL;
    q->n = 0;
    return items;
}

void csi_queue_clear(struct csi_queue *q)
{
    size_t n;
    struct stanza **items = csi_queue_take(q, &n);
    for (size_t i = 0; i < n; i++)
        stanza_unref(items[i]);
    free(items);
}
