/* SPDX-License-Identifier: MIT */
/* The message archive tests' fixture: a temporary store with its readers' wake pipe, a query
 * run to completion, and a small archive of known messages. */
#ifndef PL_TEST_ARCHIVE_FX_H
#define PL_TEST_ARCHIVE_FX_H

#include <stdbool.h>
#include <stddef.h>

#include "storage.h"

struct fx {
    char dir[256];
    char path[320];
    struct storage st;
    int wake[2]; /* the readers write a byte to wake[1] when completions are ready */
};

/* What a query gave: stanza ids joined by ',' and the page flags. */
struct got {
    bool called;
    int rc;
    char ids[4096];
    char xml_last[512];
    bool complete;
    long long count;
    size_t n;
};

/* Opens f's store (again) with the wake pipe set; 0 or -1. */
int afx_open(struct fx *f);
/* cmocka setup and teardown: a fresh store in a temporary folder, and all of it gone after. */
int afx_setup(void **state);
int afx_teardown(void **state);
/* Message n of afx_put() has key n seconds and tag n; tests name it "sN" (other keys "x"). */
const char *sid_of(int n);
/* sid as the tests name it ("sN", "x", or "-" for none). */
void afx_short_name(const char *sid, char *out, size_t len);
/* A query's done callback filling the struct got at ctx. */
void afx_page_done(void *ctx, const struct archive_page *p);
/* Waits (bounded) for the readers' wake and runs completions until done was called. */
void afx_wait(struct fx *f, const bool *called);
/* Runs flt on the readers and waits for its page. */
struct got afx_query(struct fx *f, const struct archive_filter *flt);
/* Appends message n, kept in owner's archive only: sent to peer when n is even, else
 * received from peer (resource r1 either way); key n seconds, tag n. */
int afx_put(struct fx *f, const char *owner, const char *peer, int n, const char *body);
/* FTS5's own consistency check of the external-content index against the table. */
void afx_check_index(struct fx *f);
/* Indexes everything appended for search, and commits. */
void afx_index_all(struct fx *f);
/* 10 messages of a@x: odd ones with b@x, even ones with c@x; and 3 of d@x with b@x; all
 * indexed, or (unindexed) none. */
void afx_fill(struct fx *f);
void afx_fill_unindexed(struct fx *f);

#endif
