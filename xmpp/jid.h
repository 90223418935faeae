/* SPDX-License-Identifier: MIT */
/* JIDs (RFC 7622): parsed and prepared once into one allocation. */
#ifndef PL_JID_H
#define PL_JID_H

#include <stdbool.h>
#include <stddef.h>

#include "prep.h"

/* RFC 7622 §3: bytes per part, after preparation. */
#define JID_PART_MAX PREP_MAX

/*
 * A prepared JID. All strings point into the same allocation:
 * local and resource are NULL when absent; bare is "local@domain" (or "domain"),
 * full is bare plus "/resource" when there is one. The local part is prepared with Nodeprep
 * (case-folded, width-mapped, NFKC), the domain with Nameprep and the resource with
 * Resourceprep (case kept); see prep.h. Free with jid_free().
 */
struct jid {
    const char *local;
    const char *domain;
    const char *resource;
    const char *bare;
    const char *full;
    char mem[];
};

/*
 * Parses and prepares s; returns an owned jid or NULL when s is not a valid JID. Parts are
 * prepared for comparison (PREP_QUERY): a new account's name is checked with
 * prep_localpart(..., PREP_STORE, ...) as well.
 */
struct jid *jid_parse(const char *s);
/* Builds a jid from parts (local and resource may be NULL); NULL when a part is invalid. */
struct jid *jid_make(const char *local, const char *domain, const char *resource);
/* Returns an owned copy. */
struct jid *jid_dup(const struct jid *j);
/* Returns an owned jid with the resource replaced (NULL drops it); NULL when invalid. */
struct jid *jid_with_resource(const struct jid *j, const char *resource);
void jid_free(struct jid *j);

bool jid_eq_bare(const struct jid *a, const struct jid *b);
bool jid_eq_full(const struct jid *a, const struct jid *b);

/* Validates one part: the same checks jid_parse applies. */
bool jid_local_valid(const char *s, size_t n);
/* Is bare one of the JIDs in list (a configuration value: separated by spaces, tabs or
 * commas)? Compared as written: the list's entries are expected prepared. */
bool jid_listed(const char *list, const char *bare);
bool jid_resource_valid(const char *s, size_t n);

#endif
