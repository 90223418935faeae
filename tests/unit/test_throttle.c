/* SPDX-License-Identifier: MIT */
/* Table-driven tests of login throttling: buckets, the bounded table and its overflow bucket,
 * source keys, the log limiter and the policy that combines them, all on a fake clock
 * (server/throttle.c, loglimit.c, auth_guard.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "auth_guard.h"
#include "base.h"
#include "loglimit.h"
#include "throttle.h"

#define SEC UINT64_C(1000)

enum op { END, CHARGE, REFUND, ALLOWED, SIZE };

struct step {
    enum op op;
    const char *key;
    uint64_t at_ms;
    long want; /* CHARGE/ALLOWED: 1 true, 0 false; SIZE: keys tracked */
};

struct script {
    const char *name;
    long per_minute;
    size_t max_keys;
    struct step steps[24];
};

/* per_minute 3 refills one token every 20 s. */
static const struct script scripts[] = {
    { "a burst of per_minute, then refused", 3, 16,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 },
        { CHARGE, "a", 0, 0 }, { ALLOWED, "a", 0, 0 }, { ALLOWED, "b", 0, 1 } } },
    { "refused charges take nothing: one token after 20 s, not after 200 charges' worth", 3,
      16,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 },
        { CHARGE, "a", 1, 0 }, { CHARGE, "a", 2, 0 }, { CHARGE, "a", 3, 0 },
        { CHARGE, "a", 4, 0 }, { ALLOWED, "a", 19 * SEC, 0 }, { ALLOWED, "a", 20 * SEC, 1 },
        { CHARGE, "a", 20 * SEC, 1 }, { CHARGE, "a", 20 * SEC, 0 } } },
    { "refill is capped at per_minute", 3, 16,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "a", 3600 * SEC, 1 }, { CHARGE, "a", 3600 * SEC, 1 },
        { CHARGE, "a", 3600 * SEC, 1 }, { CHARGE, "a", 3600 * SEC, 0 } } },
    { "a refund gives the charge back", 3, 16,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 },
        { REFUND, "a", 0, 0 }, { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 0 } } },
    { "a refund never fills past per_minute", 3, 16,
      { { CHARGE, "a", 0, 1 }, { REFUND, "a", 0, 0 }, { REFUND, "a", 0, 0 },
        { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 },
        { CHARGE, "a", 0, 0 } } },
    { "a refund that fills the bucket forgets the key", 3, 16,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "b", 0, 1 }, { CHARGE, "b", 0, 1 },
        { SIZE, NULL, 0, 2 }, { REFUND, "a", 0, 0 }, { SIZE, NULL, 0, 1 },
        { REFUND, "b", 0, 0 }, { SIZE, NULL, 0, 1 }, { REFUND, "b", 0, 0 },
        { SIZE, NULL, 0, 0 } } },
    { "a refund for an unknown key tracks nothing", 3, 16,
      { { REFUND, "a", 0, 0 }, { SIZE, NULL, 0, 0 }, { ALLOWED, "a", 0, 1 } } },
    { "a clock that goes backwards refills nothing", 1, 16,
      { { CHARGE, "a", 90 * SEC, 1 }, { CHARGE, "a", 30 * SEC, 0 },
        { CHARGE, "a", 90 * SEC, 0 }, { CHARGE, "a", 150 * SEC, 1 } } },
    { "keys are independent", 1, 16,
      { { CHARGE, "10.0.0.1", 0, 1 }, { CHARGE, "10.0.0.1", 0, 0 },
        { CHARGE, "10.0.0.1|alice@x", 0, 1 }, { CHARGE, "10.0.0.2", 0, 1 },
        { SIZE, NULL, 0, 3 } } },
    { "a full table charges new keys to one overflow bucket, which refuses once empty", 1, 2,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "b", 0, 1 }, { CHARGE, "c", 0, 1 },
        { CHARGE, "c", 0, 0 }, { CHARGE, "d", 0, 0 }, { ALLOWED, "e", 0, 0 },
        { SIZE, NULL, 0, 2 }, { CHARGE, "a", 0, 0 }, { REFUND, "c", 0, 0 },
        { SIZE, NULL, 0, 2 }, { ALLOWED, "e", 0, 1 }, { CHARGE, "e", 0, 1 },
        { CHARGE, "d", 0, 0 } } },
    { "the overflow bucket refills like any", 2, 1,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "a", 0, 1 }, { CHARGE, "b", 0, 1 },
        { CHARGE, "c", 0, 1 }, { CHARGE, "d", 0, 0 }, { CHARGE, "d", 30 * SEC, 1 },
        { CHARGE, "b", 30 * SEC, 0 }, { SIZE, NULL, 0, 1 } } },
    { "a full table forgets refilled keys to make room", 1, 2,
      { { CHARGE, "a", 0, 1 }, { CHARGE, "b", 30 * SEC, 1 }, { CHARGE, "c", 60 * SEC, 1 },
        { SIZE, NULL, 0, 2 }, { CHARGE, "c", 60 * SEC, 0 }, { CHARGE, "b", 60 * SEC, 0 } } },
};

static void run_script(const struct script *sc)
{
    struct throttle *t = throttle_new(sc->per_minute, sc->max_keys);
    for (size_t i = 0; sc->steps[i].op != END; i++) {
        const struct step *st = &sc->steps[i];
        long got = 0;
        if (st->op == CHARGE)
            got = throttle_charge(t, st->key, st->at_ms);
        else if (st->op == ALLOWED)
            got = throttle_allowed(t, st->key, st->at_ms);
        else if (st->op == SIZE)
            got = (long)throttle_size(t);
        else
            throttle_refund(t, st->key, st->at_ms);
        if (got != st->want)
            fail_msg("%s: step %zu: got %ld, want %ld", sc->name, i, got, st->want);
    }
    throttle_free(t);
}

static void test_bucket_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(scripts); i++)
        run_script(&scripts[i]);
}

/* A full table whose pass found nothing to forget is not walked again for a second: keys in
 * between go to the overflow bucket even if a tracked bucket has refilled meanwhile. */
static void test_full_table_sweeps_once_a_second(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(60, 1); /* a token a second */
    assert_true(throttle_charge(t, "a", 0));
    assert_true(throttle_charge(t, "b", 500)); /* a still counts: b goes to the overflow */
    /* a is full again from 1 s on, but the table is not walked before 1.5 s: c shares the
     * overflow bucket's 59.7 tokens. */
    for (int i = 0; i < 59; i++)
        assert_true(throttle_charge(t, "c", 1200));
    assert_false(throttle_charge(t, "c", 1200));
    /* At 1.5 s the walk forgets a, and c gets a bucket of its own. */
    for (int i = 0; i < 60; i++)
        assert_true(throttle_charge(t, "c", 1500));
    assert_false(throttle_charge(t, "c", 1500));
    assert_int_equal(throttle_size(t), 1);
    throttle_free(t);
}

/* The table never passes max_keys, however many keys come. */
static void test_table_stays_bounded(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(10, 100);
    char key[32];
    for (unsigned i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        throttle_charge(t, key, (uint64_t)i * 10);
        assert_true(throttle_size(t) <= 100);
    }
    throttle_free(t);
}

struct source_case {
    int family;
    const char *addr;
    const char *want;
};

static const struct source_case source_cases[] = {
    { AF_INET, "192.0.2.7", "192.0.2.7" },
    { AF_INET, "127.0.0.2", "127.0.0.2" },
    { AF_INET6, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::" },
    { AF_INET6, "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::" },
    { AF_INET6, "2001:db8:1:3::1", "2001:db8:1:3::" },
    { AF_INET6, "fe80::1", "fe80::" },
    { AF_INET6, "::1", "::" },
    { AF_INET6, "::ffff:198.51.100.9", "198.51.100.9" },
    { AF_UNIX, "/run/x", "unknown" },
};

static void test_source_keys(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(source_cases); i++) {
        const struct source_case *c = &source_cases[i];
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        ss.ss_family = (sa_family_t)c->family;
        if (c->family == AF_INET)
            assert_int_equal(inet_pton(AF_INET, c->addr,
                                       &((struct sockaddr_in *)&ss)->sin_addr), 1);
        else if (c->family == AF_INET6)
            assert_int_equal(inet_pton(AF_INET6, c->addr,
                                       &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
        char out[THROTTLE_SOURCE_LEN];
        throttle_source_key((const struct sockaddr *)&ss, out);
        if (strcmp(out, c->want) != 0)
            fail_msg("%s: got %s, want %s", c->addr, out, c->want);
    }
}

struct log_event {
    const char *key; /* NULL ends */
    uint64_t at_ms;
    bool pass;
    unsigned long held;
};

struct log_script {
    const char *name;
    uint64_t interval_ms;
    size_t max_keys;
    struct log_event events[16];
};

static const struct log_script log_scripts[] = {
    { "one line per key per minute, the rest counted", 60 * SEC, 16,
      { { "a", 0, true, 0 }, { "a", 1, false, 0 }, { "a", 59 * SEC, false, 0 },
        { "b", 2, true, 0 }, { "a", 60 * SEC, true, 2 }, { "a", 61 * SEC, false, 0 },
        { "a", 200 * SEC, true, 1 }, { "a", 300 * SEC, true, 0 } } },
    { "one line repeated: one per interval, then how many were held back", 10 * SEC, 16,
      { { "a", 1000, true, 0 }, { "a", 1001, false, 0 }, { "a", 5000, false, 0 },
        { "a", 10999, false, 0 }, { "a", 11000, true, 3 }, { "a", 11000, false, 0 },
        { "a", 50000, true, 1 }, { "a", 60000, true, 0 } } },
    { "one key's flood hides no other key's line", 10 * SEC, 16,
      { { "a", 0, true, 0 }, { "a", 1, false, 0 }, { "a", 2, false, 0 }, { "b", 3, true, 0 },
        { "b", 4, false, 0 }, { "accept", 5, true, 0 }, { "a", 10 * SEC, true, 2 },
        { "b", 10 * SEC, false, 0 } } },
    { "a full table whose walk found nothing is not walked again for a second", 10 * SEC, 1,
      { { "a", 0, true, 0 }, { "b", 9500, false, 0 }, { "b", 10200, false, 0 },
        { "b", 10500, true, 0 } } },
    { "a full table holds back new keys until old ones expire", 60 * SEC, 2,
      { { "a", 0, true, 0 }, { "b", 0, true, 0 }, { "c", 0, false, 0 },
        { "c", 1, false, 0 }, { "a", 1, false, 0 }, { "c", 60 * SEC, true, 0 } } },
};

static void test_log_limiter(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(log_scripts); i++) {
        const struct log_script *sc = &log_scripts[i];
        struct loglimit *l = loglimit_new(sc->interval_ms, sc->max_keys);
        for (size_t j = 0; sc->events[j].key; j++) {
            const struct log_event *e = &sc->events[j];
            unsigned long held = 99;
            bool pass = loglimit_pass(l, e->key, e->at_ms, &held);
            if (pass != e->pass || held != e->held)
                fail_msg("%s: event %zu: got %d/%lu, want %d/%lu", sc->name, j, pass, held,
                         e->pass, e->held);
            assert_true(loglimit_size(l) <= sc->max_keys);
        }
        loglimit_free(l);
    }
}

struct emitted {
    char keys[64];
    unsigned long held;
};

static void record(void *ctx, const char *key, unsigned long held)
{
    struct emitted *e = ctx;
    snprintf(e->keys + strlen(e->keys), sizeof(e->keys) - strlen(e->keys), "%s ", key);
    e->held += held;
}

/* A flood that stops is still summed up once its minute has passed; quiet keys go silently. */
static void test_log_limiter_flush(void **state)
{
    (void)state;
    struct loglimit *l = loglimit_new(60 * SEC, 16);
    unsigned long held;
    assert_true(loglimit_pass(l, "a", 0, &held));
    assert_false(loglimit_pass(l, "a", 1, &held));
    assert_false(loglimit_pass(l, "a", 2, &held));
    assert_true(loglimit_pass(l, "b", 0, &held));
    struct emitted e = { "", 0 };
    loglimit_flush(l, 30 * SEC, record, &e);
    assert_string_equal(e.keys, "");
    assert_int_equal(loglimit_size(l), 2);
    loglimit_flush(l, 60 * SEC, record, &e);
    assert_string_equal(e.keys, "a ");
    assert_int_equal(e.held, 2);
    assert_int_equal(loglimit_size(l), 0);
    assert_true(loglimit_pass(l, "a", 61 * SEC, &held));
    assert_int_equal(held, 0);
    loglimit_free(l);
}

enum guard_op { G_END, G_CHARGE, G_REFUND, G_ALLOWED, G_REGISTER };

struct guard_step {
    enum guard_op op;
    const char *source;
    const char *bare;
    uint64_t at_ms;
    bool want;
};

/* per source 4 (a token every 15 s), per source and account 2 (every 30 s). */
static const struct guard_step guard_steps[] = {
    { G_CHARGE, "10.0.0.1", "alice@x", 0, true },
    { G_CHARGE, "10.0.0.1", "alice@x", 0, true },
    { G_CHARGE, "10.0.0.1", "alice@x", 0, false }, /* the pair is spent */
    { G_ALLOWED, "10.0.0.1", "alice@x", 0, false },
    { G_ALLOWED, "10.0.0.1", NULL, 0, true }, /* the source is not */
    { G_CHARGE, "10.0.0.1", "bob@x", 0, true },
    { G_ALLOWED, "10.0.0.1", "bob@x", 0, true }, /* asking takes nothing */
    { G_ALLOWED, "10.0.0.1", "bob@x", 0, true },
    { G_ALLOWED, "10.0.0.1", "bob@x", 0, true },
    { G_CHARGE, "10.0.0.1", NULL, 0, true }, /* an unusable name costs the source */
    { G_CHARGE, "10.0.0.1", "carol@x", 0, false }, /* the source is spent: both or neither */
    { G_ALLOWED, "10.0.0.1", NULL, 0, false },
    { G_REFUND, "10.0.0.1", "bob@x", 0, true },
    { G_CHARGE, "10.0.0.1", "carol@x", 0, true },
    { G_CHARGE, "10.0.0.1", "carol@x", 0, false },
    { G_ALLOWED, "10.0.0.1", NULL, 7500, false }, /* times where refills add up exactly */
    { G_ALLOWED, "10.0.0.1", NULL, 15000, true }, /* a source token comes back in 15 s */
    { G_ALLOWED, "10.0.0.1", "alice@x", 15000, false }, /* an account's in 30 s */
    { G_CHARGE, "10.0.0.1", "alice@x", 30000, true },
    /* No bucket per account alone: failures elsewhere never refuse the owner's source. */
    { G_CHARGE, "10.0.0.2", "alice@x", 30000, true },
    { G_CHARGE, "10.0.0.2", "alice@x", 30000, true },
    { G_CHARGE, "10.0.0.3", "alice@x", 30000, true },
    { G_CHARGE, "10.0.0.3", "alice@x", 30000, true },
    { G_CHARGE, "192.0.2.9", "alice@x", 30000, true },
    { G_REFUND, "192.0.2.9", "alice@x", 30000, true },
    /* Registrations: per source at the per-account rate, success or not. */
    { G_REGISTER, "10.0.0.9", NULL, 30000, true },
    { G_REGISTER, "10.0.0.9", NULL, 30000, true },
    { G_REGISTER, "10.0.0.9", NULL, 30000, false },
    { G_REGISTER, "10.0.0.8", NULL, 30000, true },
    { G_REGISTER, "10.0.0.9", NULL, 60000, true },
    { G_REGISTER, "10.0.0.9", NULL, 60000, false },
    { G_END, NULL, NULL, 0, false },
};

static void test_guard_policy(void **state)
{
    (void)state;
    struct auth_guard *g = auth_guard_new(4, 2);
    for (size_t i = 0; guard_steps[i].op != G_END; i++) {
        const struct guard_step *st = &guard_steps[i];
        bool got = true;
        if (st->op == G_CHARGE)
            got = auth_guard_charge(g, "test", st->source, st->bare, st->at_ms);
        else if (st->op == G_ALLOWED)
            got = auth_guard_allowed(g, "test", st->source, st->bare, st->at_ms);
        else if (st->op == G_REGISTER)
            got = auth_guard_register(g, st->source, st->at_ms);
        else
            auth_guard_refund(g, st->source, st->bare, st->at_ms);
        if (got != st->want)
            fail_msg("step %zu (%s %s): got %d, want %d", i, st->source,
                     st->bare ? st->bare : "-", got, st->want);
        auth_guard_tick(g, st->at_ms);
    }
    auth_guard_free(g);
}

/* A source-and-account key has a fixed size however long the JID (a bare JID may reach about
 * 3 KB), and JIDs that differ only at their end still get buckets of their own. */
static void test_pair_keys(void **state)
{
    (void)state;
    static char longest[3 * 1023 + 2], other[sizeof(longest)];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[1023] = '@';
    memcpy(other, longest, sizeof(other));
    other[sizeof(other) - 2] = 'b';
    const char *sources[] = { "10.0.0.1", "ffff:ffff:ffff:ffff::" };
    const char *bares[] = { "alice@x", longest, other };
    char keys[2][3][AUTH_GUARD_KEY_LEN];
    for (size_t i = 0; i < ARRAY_LEN(sources); i++)
        for (size_t j = 0; j < ARRAY_LEN(bares); j++) {
            auth_guard_pair_key(sources[i], bares[j], keys[i][j]);
            assert_int_equal(strlen(keys[i][j]), strlen(sources[i]) + 1 + 44);
            assert_memory_equal(keys[i][j], sources[i], strlen(sources[i]));
        }
    for (size_t k = 0; k < 6; k++)
        for (size_t m = k + 1; m < 6; m++)
            assert_string_not_equal(keys[k / 3][k % 3], keys[m / 3][m % 3]);
    char again[AUTH_GUARD_KEY_LEN];
    auth_guard_pair_key(sources[0], longest, again);
    assert_string_equal(again, keys[0][1]);

    struct auth_guard *g = auth_guard_new(100, 1);
    assert_true(auth_guard_charge(g, "test", sources[0], longest, 0));
    assert_false(auth_guard_charge(g, "test", sources[0], longest, 0));
    assert_true(auth_guard_charge(g, "test", sources[0], other, 0));
    auth_guard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_scripts),     cmocka_unit_test(test_table_stays_bounded),
        cmocka_unit_test(test_source_keys),        cmocka_unit_test(test_log_limiter),
        cmocka_unit_test(test_log_limiter_flush),
        cmocka_unit_test(test_guard_policy),      cmocka_unit_test(test_pair_keys),
        cmocka_unit_test(test_full_table_sweeps_once_a_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
