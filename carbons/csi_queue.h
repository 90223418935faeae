/* SPDX-License-Identifier: MIT */
/* Stanzas held for an inactive client (XEP-0352): the newest per sender and kind, in order. */
#ifndef PL_CSI_QUEUE_H
#define PL_CSI_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "stanza.h"

struct csi_held {
    struct stanza *st; /* a reference */
    const char *key;   /* whose it is (borrowed from st) */
};

struct csi_queue {
    struct csi_held *items; /* oldest first */
    size_t n;
};

/* Holds a reference to st under key, the JID whose presence or chat state it carries (it
 * must live in st). An earlier stanza of the same kind (presence, message) and key is dropped
 * and st goes to the end: only the newest presence of each contact resource, and its newest
 * chat state, wait. Returns false (nothing held) when max are held already and st replaces
 * none of them. */
bool csi_queue_hold(struct csi_queue *q, struct stanza *st, const char *key, size_t max);
/* Moves the held stanzas out, oldest first (owned by the caller, who unrefs each and frees
 * the array); *n gets their count and q is left empty. NULL when none. */
struct stanza **csi_queue_take(struct csi_queue *q, size_t *n);
/* Drops everything held. */
void csi_queue_clear(struct csi_queue *q);

#endif
