/* SPDX-License-Identifier: MIT */
/* Live connections per source (IPv4 address or IPv6 /64), for the per-source caps. */
#ifndef PL_SOURCES_H
#define PL_SOURCES_H

#include <stdbool.h>

#include "hmap.h"

/* Source key -> its counts; a source with no connection left has no entry. */
struct sources {
    struct hmap by_key;
};

/* Why a connection from a source may not be accepted now. */
enum sources_verdict {
    SOURCES_OK,
    SOURCES_FULL,        /* max_connections_per_source reached */
    SOURCES_UNAUTH_FULL, /* max_unauthenticated_per_source reached */
};

void sources_init(struct sources *t);
/* Frees every entry (connections still counted are forgotten). */
void sources_fini(struct sources *t);
/* Whether one more connection from key fits under both caps; changes nothing. */
enum sources_verdict sources_admit(const struct sources *t, const char *key, long max_all,
                                   long max_unauth);
/* A connection from key was accepted: it counts as one connection and one unauthenticated. */
void sources_add(struct sources *t, const char *key);
/* A connection from key authenticated: it leaves the unauthenticated count. */
void sources_authenticated(struct sources *t, const char *key);
/* A connection from key is gone; unauthenticated says whether it still counted as such. */
void sources_remove(struct sources *t, const char *key, bool unauthenticated);
/* Current counts for key (0 and 0 when it has no connection). */
void sources_counts(const struct sources *t, const char *key, unsigned *all, unsigned *unauth);

#endif
