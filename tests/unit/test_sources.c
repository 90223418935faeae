/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the per-source connection counts (server/sources.c); what a source
 * is, is tested with throttle_source_key, and the log limit for refusals with loglimit
 * (test_throttle.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "conn.h"
#include "sources.h"

enum op { ADD, AUTH, DROP_UNAUTH, DROP_AUTH };

/* One step, then what the source's counts and verdict must be (caps: 3 in all, 2 not yet
 * authenticated). */
struct step {
    enum op op;
    const char *key;
    unsigned all, unauth;
    enum sources_verdict verdict;
};

#define MAX_ALL 3
#define MAX_UNAUTH 2

static const struct step steps[] = {
    { ADD, "192.0.2.1", 1, 1, SOURCES_OK },
    { ADD, "192.0.2.1", 2, 2, SOURCES_UNAUTH_FULL },
    { ADD, "2001:db8::", 1, 1, SOURCES_OK }, /* another source counts apart */
    { AUTH, "192.0.2.1", 2, 1, SOURCES_OK },   /* authenticated: leaves the unauth count */
    { ADD, "192.0.2.1", 3, 2, SOURCES_FULL },  /* both caps reached: all wins */
    { DROP_AUTH, "192.0.2.1", 2, 2, SOURCES_UNAUTH_FULL },
    { DROP_UNAUTH, "192.0.2.1", 1, 1, SOURCES_OK },
    { AUTH, "192.0.2.1", 1, 0, SOURCES_OK },
    { AUTH, "192.0.2.1", 1, 0, SOURCES_OK },   /* never below zero */
    { DROP_AUTH, "192.0.2.1", 0, 0, SOURCES_OK }, /* entry gone */
    { DROP_AUTH, "192.0.2.1", 0, 0, SOURCES_OK }, /* unknown source: no-op */
    { ADD, "192.0.2.1", 1, 1, SOURCES_OK },       /* back from zero */
    { DROP_UNAUTH, "2001:db8::", 0, 0, SOURCES_OK },
};

static void apply(struct sources *t, const struct step *s)
{
    switch (s->op) {
    case ADD:
        sources_add(t, s->key);
        break;
    case AUTH:
        sources_authenticated(t, s->key);
        break;
    case DROP_UNAUTH:
    case DROP_AUTH:
        sources_remove(t, s->key, s->op == DROP_UNAUTH);
        break;
    }
}

static void test_counts_table(void **state)
{
    (void)state;
    struct sources t;
    sources_init(&t);
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        const struct step *s = &steps[i];
        apply(&t, s);
        unsigned all, unauth;
        sources_counts(&t, s->key, &all, &unauth);
        if (all != s->all || unauth != s->unauth)
            fail_msg("step %zu: %u/%u, want %u/%u", i, all, unauth, s->all, s->unauth);
        assert_int_equal(sources_admit(&t, s->key, MAX_ALL, MAX_UNAUTH), s->verdict);
    }
    sources_fini(&t); /* frees what is left (one entry) */
}

/* Entries are removed at zero: many sources coming and going leave the map empty. */
static void test_entries_go_at_zero(void **state)
{
    (void)state;
    struct sources t;
    sources_init(&t);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "10.%d.%d.1", i / 256, i % 256);
        sources_add(&t, key);
        if (i % 2)
            sources_authenticated(&t, key);
    }
    assert_int_equal(t.by_key.used, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "10.%d.%d.1", i / 256, i % 256);
        sources_remove(&t, key, i % 2 == 0);
    }
    assert_int_equal(t.by_key.used, 0);
    sources_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_table),
        cmocka_unit_test(test_entries_go_at_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
