/* SPDX-License-Identifier: MIT */
/* The message archive tests' fixture (archive_fx.h). */
#include "archive_fx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>
#include <unistd.h>

#include "base.h"
#include "tmp_store.h"

static void wake_pipe(void *ctx)
{
    struct fx *f = ctx;
    ssize_t w = write(f->wake[1], "x", 1);
    (void)w;
}

int afx_open(struct fx *f)
{
    if (storage_open_sqlite(&f->st, f->path) != PL_OK)
        return -1;
    storage_set_wake(&f->st, wake_pipe, f);
    return 0;
}

int afx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "archive") != 0 ||
        pipe(f->wake) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return afx_open(f);
}

int afx_teardown(void **state)
{
    struct fx *f = *state;
    storage_close(&f->st);
    close(f->wake[0]);
    close(f->wake[1]);
    tmp_store_remove(f->dir);
    free(f);
    return 0;
}

/* Message n of afx_put() has key n seconds and tag n; tests name it "sN" (other keys "x"). */
const char *sid_of(int n)
{
    static char ring[8][ARCHIVE_SID_LEN + 1];
    static unsigned next;
    char *out = ring[next++ % 8];
    archive_sid_format((long long)n * 1000000, (unsigned long long)n, out);
    return out;
}

void afx_short_name(const char *sid, char *out, size_t len)
{
    long long key;
    unsigned long long tag;
    long long n = 0;
    if (sid && archive_sid_parse(sid, &key, &tag) && key % 1000000 == 0 &&
        tag == (unsigned long long)(n = key / 1000000))
        snprintf(out, len, "s%lld", n);
    else
        snprintf(out, len, "%s", sid ? "x" : "-");
}

void afx_page_done(void *ctx, const struct archive_page *p)
{
    struct got *g = ctx;
    g->called = true;
    g->rc = p->rc;
    g->complete = p->complete;
    g->count = p->count;
    g->n = p->n;
    g->ids[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        size_t len = strlen(g->ids);
        char name[32];
        afx_short_name(p->items[i].stanza_id, name, sizeof(name));
        snprintf(g->ids + len, sizeof(g->ids) - len, "%s%s", i ? "," : "", name);
        snprintf(g->xml_last, sizeof(g->xml_last), "%s", p->items[i].xml);
    }
}

/* Waits (bounded) for the readers' wake and runs completions until done was called. */
void afx_wait(struct fx *f, const bool *called)
{
    for (int i = 0; i < 100 && !*called; i++) {
        struct pollfd p = { .fd = f->wake[0], .events = POLLIN };
        if (poll(&p, 1, 100) == 1) {
            char c;
            assert_int_equal(read(f->wake[0], &c, 1), 1);
        }
        storage_run_completions(&f->st);
    }
    assert_true(*called);
}

struct got afx_query(struct fx *f, const struct archive_filter *flt)
{
    struct got g = { 0 };
    assert_int_equal(archive_query(&f->st, flt, afx_page_done, &g), PL_OK);
    afx_wait(f, &g.called);
    return g;
}

/* Appends message n, kept in owner's archive only: sent to peer when n is even, else
 * received from peer (resource r1 either way); key n seconds, tag n. */
int afx_put(struct fx *f, const char *owner, const char *peer, int n, const char *body)
{
    char id[32], xml[128];
    snprintf(id, sizeof(id), "m%d", n);
    snprintf(xml, sizeof(xml), "<message id='m%d'><body>%s</body></message>", n, body);
    bool sent = n % 2 == 0;
    struct archive_msg m = { .key = (long long)n * 1000000, .tag = (unsigned long long)n,
                             .sender = sent ? owner : peer, .rcpt = sent ? peer : owner,
                             .sender_res = "r1", .rcpt_res = "r1", .sender_keeps = sent,
                             .rcpt_keeps = !sent, .msg_id = id, .body = body, .xml = xml };
    return archive_append(&f->st, &m);
}

/* FTS5's own consistency check of the external-content index against the table. */
void afx_check_index(struct fx *f)
{
    raw_exec_file(f->path, "INSERT INTO archive_index (archive_index) VALUES ('integrity-check')");
}

/* Indexes everything appended for search, and commits. */
void afx_index_all(struct fx *f)
{
    unsigned n;
    do
        assert_int_equal(archive_index(&f->st, 4, &n), PL_OK);
    while (n >= 4);
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

/* 10 messages of a@x: odd ones with b@x, even ones with c@x; and 3 of d@x with b@x. */
void afx_fill_unindexed(struct fx *f)
{
    char body[64];
    for (int n = 1; n <= 10; n++) {
        snprintf(body, sizeof(body), "hello number%d %s", n, n % 3 ? "apple" : "pear");
        assert_int_equal(afx_put(f, "a@x", n % 2 ? "b@x" : "c@x", n, body), PL_OK);
    }
    for (int n = 11; n <= 13; n++)
        assert_int_equal(afx_put(f, "d@x", "b@x", n, "apple"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

void afx_fill(struct fx *f)
{
    afx_fill_unindexed(f);
    afx_index_all(f);
}
