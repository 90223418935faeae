/* SPDX-License-Identifier: MIT */
/* Table-driven tests of JID parsing, preparation and comparison (xmpp/jid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jid.h"

/* One parse case: expected prepared parts, or ok == false when the input must be refused. */
struct parse_case {
    const char *in;
    bool ok;
    const char *local, *domain, *resource, *bare, *full;
};

#define BAD(s) { s, false, NULL, NULL, NULL, NULL, NULL }

static const struct parse_case parse_cases[] = {
    { "user@example.com", true, "user", "example.com", NULL, "user@example.com",
      "user@example.com" },
    { "example.com", true, NULL, "example.com", NULL, "example.com", "example.com" },
    { "User@Example.COM/Res", true, "user", "example.com", "Res", "user@example.com",
      "user@example.com/Res" },
    { "\xc3\x84LICE@Example.COM", true, "\xc3\xa4lice", "example.com", NULL,
      "\xc3\xa4lice@example.com", "\xc3\xa4lice@example.com" },
    { "\xce\xa3\xce\xa9@\xc3\x9c" "BER.example/\xc3\x84" "B", true, "\xcf\x83\xcf\x89",
      "\xc3\xbc" "ber.example", "\xc3\x84" "B", "\xcf\x83\xcf\x89@\xc3\xbc" "ber.example",
      "\xcf\x83\xcf\x89@\xc3\xbc" "ber.example/\xc3\x84" "B" },
    { "Example.COM/Some Resource", true, NULL, "example.com", "Some Resource", "example.com",
      "example.com/Some Resource" },
    { "a@b/c@d/e", true, "a", "b", "c@d/e", "a@b", "a@b/c@d/e" },
    { "example.com./r", true, NULL, "example.com", "r", "example.com", "example.com/r" },
    { "x@EXAMPLE.com.", true, "x", "example.com", NULL, "x@example.com", "x@example.com" },
    { "x@[::1]/r", true, "x", "[::1]", "r", "x@[::1]", "x@[::1]/r" },
    { "[2001:DB8::1]", true, NULL, "[2001:db8::1]", NULL, "[2001:db8::1]", "[2001:db8::1]" },
    { "192.0.2.1", true, NULL, "192.0.2.1", NULL, "192.0.2.1", "192.0.2.1" },
    { "a.b-c_d+e@x", true, "a.b-c_d+e", "x", NULL, "a.b-c_d+e@x", "a.b-c_d+e@x" },
    { "x@y/\xf0\x9f\x98\x80", true, "x", "y", "\xf0\x9f\x98\x80", "x@y", "x@y/\xf0\x9f\x98\x80" },
    /* the Kelvin sign folds to ASCII 'k' */
    { "\xe2\x84\xaa@x", true, "k", "x", NULL, "k@x", "k@x" },
    BAD(""),
    BAD("@"),
    BAD("/"),
    BAD("@x"),
    BAD("x@"),
    BAD("x/"),
    BAD("x@/r"),
    BAD("@x/r"),
    BAD("a@b@c"),
    BAD("a b@c"),
    BAD("a\"b@c"),
    BAD("a&b@c"),
    BAD("a'b@c"),
    BAD("a:b@c"),
    BAD("a<b@c"),
    BAD("a>b@c"),
    BAD("a\x01" "b@c"),
    BAD("a\x7f" "b@c"),
    BAD("a\xc2\x85" "b@c"), /* C1 control NEL */
    BAD("a\xe3\x80\x80" "b@c"), /* ideographic space */
    BAD("x@exa mple.com"),
    BAD("x@exa\tmple.com"),
    BAD("x@."),
    BAD("x@.."),
    BAD("x@.a"),
    BAD("x@a..b"),
    BAD("x@a.."),
    BAD("x@a:5222"),
    BAD("x@[::1"),
    BAD("x@[zz]"),
    BAD("x@[]"),
    BAD("x@a]"),
    BAD("x@y/r\x01"),
    BAD("x@y/r\x7f"),
    BAD("x@y/r\n"),
    BAD("\xff@x"),
    BAD("x@\xc3"),
    BAD("x@y/\xc3\x28"),
    BAD("\xc0\xaf@x"),         /* overlong '/' */
    BAD("\xe0\x80\xaf@x"),     /* overlong '/' */
    BAD("\xed\xa0\x80@x"),     /* UTF-16 surrogate */
    BAD("\xf4\x90\x80\x80@x"), /* above U+10FFFF */
    BAD("x@y/\x80"),
};

static void check_parsed(const struct parse_case *c, const struct jid *j)
{
    assert_non_null(j);
    if (c->local)
        assert_string_equal(j->local, c->local);
    else
        assert_null(j->local);
    assert_string_equal(j->domain, c->domain);
    if (c->resource)
        assert_string_equal(j->resource, c->resource);
    else
        assert_null(j->resource);
    assert_string_equal(j->bare, c->bare);
    assert_string_equal(j->full, c->full);
}

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct jid *j = jid_parse(c->in);
        if (!c->ok) {
            if (j)
                fail_msg("case %zu \"%s\" should be refused", i, c->in);
            continue;
        }
        if (!j)
            fail_msg("case %zu \"%s\" should parse", i, c->in);
        check_parsed(c, j);
        /* preparation is idempotent: the prepared form parses to itself */
        struct jid *again = jid_parse(j->full);
        assert_non_null(again);
        assert_string_equal(again->full, j->full);
        assert_true(jid_eq_full(j, again));
        jid_free(again);
        jid_free(j);
    }
}

/* Builds "L@D/R" with parts of the given byte lengths made of 'c' (0 = part absent). */
static char *make_sized(size_t local, size_t domain, size_t res, char c)
{
    char *s = malloc(local + domain + res + 3);
    char *w = s;
    memset(w, c, local);
    w += local;
    if (local)
        *w++ = '@';
    memset(w, c, domain);
    w += domain;
    if (res) {
        *w++ = '/';
        memset(w, c, res);
        w += res;
    }
    *w = '\0';
    return s;
}

/*
 * Look-alikes of existing names: each either prepares to the real name (so it names the same
 * account) or is refused. bare is NULL for a refusal.
 */
static const struct {
    const char *in, *bare, *resource;
} identity_cases[] = {
    { "\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x83\xef\xbd\x85@localhost", "alice@localhost",
      NULL }, /* fullwidth "alice" */
    { "\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xa9\xef\xbc\xa3\xef\xbc\xa5@localhost", "alice@localhost",
      NULL }, /* fullwidth "ALICE" */
    { "ALICE@LOCALHOST", "alice@localhost", NULL },
    { "Bob\xe2\x80\x8b@localhost", "bob@localhost", NULL },       /* zero-width space */
    { "\xe2\x80\x8b" "bob@localhost", "bob@localhost", NULL },
    { "bob\xc2\xad@localhost", "bob@localhost", NULL },           /* soft hyphen */
    { "\xef\xbb\xbf" "bob\xe2\x81\xa0@localhost", "bob@localhost", NULL }, /* BOM, joiner */
    { "bob\xc2\xa0@localhost", NULL, NULL },                      /* no-break space */
    { "bo\xc2\xa0" "b@localhost", NULL, NULL },
    { "bob\xe3\x80\x80@localhost", NULL, NULL },                  /* ideographic space */
    { "bob\xe2\x80\x82@localhost", NULL, NULL },                  /* en space */
    { "b\xc3\xb3" "b@localhost", "b\xc3\xb3" "b@localhost", NULL }, /* NFC */
    { "bo\xcc\x81" "b@localhost", "b\xc3\xb3" "b@localhost", NULL }, /* NFD: the same name */
    { "B\xc3\x93" "B@localhost", "b\xc3\xb3" "b@localhost", NULL },
    { "BO\xcc\x81" "B@localhost", "b\xc3\xb3" "b@localhost", NULL },
    { "\xe2\x85\xb0@x", "i@x", NULL },                             /* small roman numeral one */
    { "a\xef\xbc\xa0" "b@x", NULL, NULL },                          /* fullwidth '@' */
    { "a\xef\xbc\x8f" "b@x", NULL, NULL },                          /* fullwidth '/' */
    { "\xe2\x80\x8b@x", NULL, NULL },                               /* empty once prepared */
    { "\xd7\x90" "a@x", NULL, NULL },                               /* Hebrew then Latin */
    { "\xd7\x90\xd7\x91@x", "\xd7\x90\xd7\x91@x", NULL },
    /* Confusable scripts are not a preparation matter: Cyrillic 'a' stays its own name. */
    { "\xd0\xb0lice@localhost", "\xd0\xb0lice@localhost", NULL },
    { "alice@\xef\xbc\xac\xef\xbc\xaf\xef\xbc\xa3\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xa8\xef\xbc\xaf"
      "\xef\xbc\xb3\xef\xbc\xb4", "alice@localhost", NULL }, /* fullwidth domain */
    { "alice@local\xe2\x80\x8bhost", "alice@localhost", NULL },
    { "alice@local\xc2\xa0host", NULL, NULL },
    { "alice@a\xef\xbc\x8f" "b", NULL, NULL },          /* fullwidth '/' becomes '/' */
    { "alice@a\xef\xbc\xa0" "b", NULL, NULL },          /* fullwidth '@' becomes '@' */
    { "alice@a\xef\xbc\x8e\xef\xbc\x8e" "b", NULL, NULL }, /* fullwidth dots: empty label */
    /* Resourceprep keeps case, maps width and NFD, drops invisibles, refuses controls. */
    { "a@x/\xef\xbc\xb0hone", "a@x", "Phone" },
    { "a@x/ph\xe2\x80\x8bone", "a@x", "phone" },
    { "a@x/Bo\xcc\x81" "b", "a@x", "B\xc3\xb3" "b" },
    { "a@x/a\xc2\xa0" "b", "a@x", "a b" },
    { "a@x/a b", "a@x", "a b" },
    { "a@x/\xef\xbc\x8f", "a@x", "/" },
    { "a@x/\xe2\x80\x8b", NULL, NULL },
    { "a@x/r\xc2\x85", NULL, NULL },                     /* C1 control NEL */
    { "a@x/\xe2\x80\xae" "abc", NULL, NULL },            /* right-to-left override */
    { "a@x/\xd7\x90" "a", NULL, NULL },
    { "a@x/\xee\x80\x80", NULL, NULL },                  /* private use */
};

static void test_identity_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof identity_cases / sizeof identity_cases[0]; i++) {
        struct jid *j = jid_parse(identity_cases[i].in);
        if (!identity_cases[i].bare) {
            if (j)
                fail_msg("identity case %zu should be refused, got \"%s\"", i, j->full);
            continue;
        }
        if (!j)
            fail_msg("identity case %zu should parse", i);
        assert_string_equal(j->bare, identity_cases[i].bare);
        if (identity_cases[i].resource)
            assert_string_equal(j->resource, identity_cases[i].resource);
        else
            assert_null(j->resource);
        struct jid *again = jid_parse(j->full); /* idempotent */
        assert_non_null(again);
        assert_string_equal(again->full, j->full);
        jid_free(again);
        jid_free(j);
    }
}

/* NFC and NFD spellings, and their case variants, are one account. */
static void test_nfc_nfd_equal(void **state)
{
    (void)state;
    const char *spellings[] = { "b\xc3\xb3" "b@localhost", "bo\xcc\x81" "b@localhost",
                                "B\xc3\x93" "B@localhost", "BO\xcc\x81" "B@localhost" };
    struct jid *first = jid_parse(spellings[0]);
    assert_non_null(first);
    for (size_t i = 1; i < sizeof spellings / sizeof spellings[0]; i++) {
        struct jid *j = jid_parse(spellings[i]);
        assert_non_null(j);
        assert_true(jid_eq_bare(first, j));
        jid_free(j);
    }
    struct jid *made = jid_make("bo\xcc\x81" "b", "LOCALHOST", NULL);
    assert_true(jid_eq_bare(first, made));
    jid_free(made);
    jid_free(first);
}

/* Limits apply after preparation also on the library path: 1,023 fullwidth letters (3,069
 * bytes) prepare to 1,023 bytes; one more is refused. */
static void test_length_non_ascii(void **state)
{
    (void)state;
    char in[1024 * 3 + 3];
    for (int n = 1023; n <= 1024; n++) {
        for (int i = 0; i < n; i++)
            memcpy(in + i * 3, "\xef\xbd\x81", 3);
        memcpy(in + n * 3, "@x", 3);
        struct jid *j = jid_parse(in);
        if (n == 1023) {
            assert_non_null(j);
            assert_int_equal(strlen(j->local), 1023);
        } else {
            assert_null(j);
        }
        jid_free(j);
    }
}

static const struct {
    size_t local, domain, res;
    bool ok;
} length_cases[] = {
    { 1023, 1, 0, true },    { 1024, 1, 0, false },   { 0, 1023, 0, true },
    { 0, 1024, 0, false },   { 1, 1, 1023, true },    { 1, 1, 1024, false },
    { 1023, 1023, 1023, true }, { 1023, 1023, 1024, false },
};

static void test_lengths(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof length_cases / sizeof length_cases[0]; i++) {
        char *s = make_sized(length_cases[i].local, length_cases[i].domain, length_cases[i].res,
                             'A');
        struct jid *j = jid_parse(s);
        if ((j != NULL) != length_cases[i].ok)
            fail_msg("length case %zu: expected %s", i, length_cases[i].ok ? "ok" : "refusal");
        if (j) {
            assert_int_equal(strlen(j->full), strlen(s));
            assert_true(j->full[0] == 'a' || j->full[0] == 'A');
        }
        jid_free(j);
        free(s);
    }
}

/* A trailing dot does not count against the domain limit, it is stripped first. */
static void test_length_trailing_dot(void **state)
{
    (void)state;
    char *s = make_sized(0, 1024, 0, 'd');
    s[1023] = '.';
    struct jid *j = jid_parse(s);
    assert_non_null(j);
    assert_int_equal(strlen(j->domain), 1023);
    jid_free(j);
    free(s);
}

/* Limits apply after preparation: 400 Kelvin signs (1200 bytes) fold to 400 bytes of 'k'. */
static void test_length_after_folding(void **state)
{
    (void)state;
    char in[400 * 3 + 3];
    for (int i = 0; i < 400; i++)
        memcpy(in + i * 3, "\xe2\x84\xaa", 3);
    memcpy(in + 1200, "@x", 3);
    struct jid *j = jid_parse(in);
    assert_non_null(j);
    assert_int_equal(strlen(j->local), 400);
    jid_free(j);
}

static const struct {
    const char *local, *domain, *resource;
    const char *full; /* NULL when jid_make must refuse */
} make_cases[] = {
    { "User", "Example.COM", NULL, "user@example.com" },
    { NULL, "Example.COM", "Res", "example.com/Res" },
    { "u", "d", "r/with/slash", "u@d/r/with/slash" },
    { "\xc3\x84", "d", NULL, "\xc3\xa4@d" },
    { "", "d", NULL, NULL },
    { "u", "", NULL, NULL },
    { "u", "d", "", NULL },
    { "u", NULL, NULL, NULL },
    { "a@b", "d", NULL, NULL },
    { "a/b", "d", NULL, NULL },
    { "u", "d/x", NULL, NULL },
    { "u", "a@d", NULL, NULL },
};

static void test_make_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof make_cases / sizeof make_cases[0]; i++) {
        struct jid *j = jid_make(make_cases[i].local, make_cases[i].domain,
                                 make_cases[i].resource);
        if (!make_cases[i].full) {
            if (j)
                fail_msg("make case %zu should be refused", i);
            continue;
        }
        if (!j)
            fail_msg("make case %zu should succeed", i);
        assert_string_equal(j->full, make_cases[i].full);
        jid_free(j);
    }
}

static void test_dup_and_resource(void **state)
{
    (void)state;
    struct jid *j = jid_parse("Juliet@Capulet.LIT/Balcony");
    struct jid *d = jid_dup(j);
    assert_ptr_not_equal(d->full, j->full);
    assert_string_equal(d->local, "juliet");
    assert_string_equal(d->domain, "capulet.lit");
    assert_string_equal(d->resource, "Balcony");
    assert_string_equal(d->bare, "juliet@capulet.lit");
    assert_string_equal(d->full, "juliet@capulet.lit/Balcony");
    jid_free(j);

    struct jid *other = jid_with_resource(d, "Orchard");
    assert_string_equal(other->full, "juliet@capulet.lit/Orchard");
    assert_true(jid_eq_bare(d, other));
    assert_false(jid_eq_full(d, other));

    struct jid *bare = jid_with_resource(d, NULL);
    assert_null(bare->resource);
    assert_string_equal(bare->full, "juliet@capulet.lit");
    struct jid *bare_dup = jid_dup(bare);
    assert_string_equal(bare_dup->full, "juliet@capulet.lit");
    assert_null(jid_with_resource(d, "bad\x01"));
    jid_free(bare_dup);
    jid_free(bare);
    jid_free(other);
    jid_free(d);

    struct jid *dom = jid_parse("capulet.lit");
    struct jid *dom_dup = jid_dup(dom);
    assert_null(dom_dup->local);
    assert_string_equal(dom_dup->domain, "capulet.lit");
    jid_free(dom_dup);
    jid_free(dom);
}

static const struct {
    const char *a, *b;
    bool bare, full;
} eq_cases[] = {
    { "a@b/c", "A@B/c", true, true },
    { "a@b/c", "a@b/C", true, false },
    { "a@b/c", "a@b", true, false },
    { "a@b", "b", false, false },
    { "\xc3\x84@b", "\xc3\xa4@B.", true, true },
    { "a@b", "a@c", false, false },
};

static void test_eq_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof eq_cases / sizeof eq_cases[0]; i++) {
        struct jid *a = jid_parse(eq_cases[i].a);
        struct jid *b = jid_parse(eq_cases[i].b);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(jid_eq_bare(a, b), eq_cases[i].bare);
        assert_int_equal(jid_eq_full(a, b), eq_cases[i].full);
        assert_int_equal(jid_eq_bare(b, a), eq_cases[i].bare);
        jid_free(a);
        jid_free(b);
    }
}

static const struct {
    const char *s;
    size_t n;
    bool local_ok, resource_ok;
} part_cases[] = {
    { "abc", 3, true, true },
    { "a b", 3, false, true },
    { "a@b", 3, false, true },
    { "a/b", 3, false, true },
    { "", 0, false, false },
    { "a\0b", 3, false, false },
    { "\xc3\x84", 2, true, true },
    { "\xc3", 1, false, false },
    { "a\x1f", 2, false, false },
};

static void test_part_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof part_cases / sizeof part_cases[0]; i++) {
        assert_int_equal(jid_local_valid(part_cases[i].s, part_cases[i].n),
                         part_cases[i].local_ok);
        assert_int_equal(jid_resource_valid(part_cases[i].s, part_cases[i].n),
                         part_cases[i].resource_ok);
    }
    char *big = make_sized(1024, 0, 0, 'x');
    assert_true(jid_local_valid(big, 1023));
    assert_false(jid_local_valid(big, 1024));
    assert_true(jid_resource_valid(big, 1023));
    assert_false(jid_resource_valid(big, 1024));
    free(big);
}

/* Lists of JIDs in configuration values ([adhoc] admins, [pubsub] node_creators). */
static void test_listed(void **state)
{
    (void)state;
    const char *list = " boss@example.org,ops@example.org\tother@example.org ";
    assert_true(jid_listed(list, "boss@example.org"));
    assert_true(jid_listed(list, "ops@example.org"));
    assert_true(jid_listed(list, "other@example.org"));
    assert_false(jid_listed(list, "boss@example.or"));   /* a prefix is not an entry */
    assert_false(jid_listed(list, "s@example.org"));     /* nor a suffix */
    assert_false(jid_listed(list, "ops@example.org,"));
    assert_false(jid_listed("", "boss@example.org"));
    assert_false(jid_listed(NULL, "boss@example.org"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_length_trailing_dot),
        cmocka_unit_test(test_length_after_folding),
        cmocka_unit_test(test_make_table),
        cmocka_unit_test(test_dup_and_resource),
        cmocka_unit_test(test_eq_table),
        cmocka_unit_test(test_part_valid_table),
        cmocka_unit_test(test_identity_table),
        cmocka_unit_test(test_nfc_nfd_equal),
        cmocka_unit_test(test_length_non_ascii),
        cmocka_unit_test(test_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
