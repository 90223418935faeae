/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the bot's SASL client (bench/sasl_client.c) on the RFC test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "buf.h"
#include "keycache.h"
#include "opts.h"
#include "sasl_client.h"
#include "scram.h"

/* One RFC exchange seen from the client: what it must send, and what the server answers. */
struct vector {
    const char *name;
    int mech; /* enum bench_sasl */
    const char *user, *password, *cnonce;
    const char *client_first, *server_first, *client_final, *server_final;
};

#define SHA1_NONCE "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
#define SHA256_NONCE "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static const struct vector vectors[] = {
    { "RFC 5802 SCRAM-SHA-1", BSASL_SCRAM_SHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL",
      "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
      "r=" SHA1_NONCE ",s=QSXCR+Q6sek8bf92,i=4096",
      "c=biws,r=" SHA1_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
      "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
    { "RFC 7677 SCRAM-SHA-256", BSASL_SCRAM_SHA256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
      "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
      "r=" SHA256_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "c=biws,r=" SHA256_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
};

/* The state every test needs: one exchange, an in-memory key cache and an output buffer. */
struct fixture {
    struct sasl_client sc;
    struct keycache *kc;
    struct buf out;
};

static int fixture_setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->kc = keycache_open(NULL);
    buf_init(&f->out);
    sasl_client_init(&f->sc, BSASL_PLAIN, "", "");
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    sasl_client_fini(&f->sc);
    keycache_close(f->kc);
    buf_fini(&f->out);
    free(f);
    return 0;
}

static void assert_out(const struct buf *b, const char *want, const char *what)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0)
        fail_msg("%s: got '%.*s', want '%s'", what, (int)b->len, b->len ? b->data : "", want);
}

/* Runs a vector up to the client-final message; checks both client messages byte for byte. */
static void run_to_final(struct fixture *f, const struct vector *v)
{
    sasl_client_fini(&f->sc);
    sasl_client_init(&f->sc, v->mech, v->user, v->password);
    buf_reset(&f->out);
    assert_int_equal(sasl_client_start_nonce(&f->sc, v->cnonce, &f->out), PL_OK);
    assert_out(&f->out, v->client_first, v->name);
    buf_reset(&f->out);
    assert_int_equal(sasl_client_challenge(&f->sc, f->kc, v->server_first,
                                           strlen(v->server_first), &f->out), PL_OK);
    assert_out(&f->out, v->client_final, v->name);
}

static void test_vectors_client_messages(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        run_to_final(f, &vectors[i]);
        assert_int_equal(sasl_client_success(&f->sc, vectors[i].server_final,
                                             strlen(vectors[i].server_final)), PL_OK);
    }
    uint64_t hits, misses;
    keycache_stats(f->kc, &hits, &misses);
    assert_int_equal(misses, ARRAY_LEN(vectors));
    /* A second round answers from the cache, with the same exact proofs. */
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++)
        run_to_final(f, &vectors[i]);
    keycache_stats(f->kc, &hits, &misses);
    assert_int_equal(hits, ARRAY_LEN(vectors));
    assert_int_equal(misses, ARRAY_LEN(vectors));
}

/* A server-final message to try on a vector, as <success/> data or as a last challenge. */
struct final_case {
    char msg[128];
    bool as_challenge;
    int want;
};

/* The vector's own v= (as <success/> and as a challenge), then near misses that must fail. */
static size_t final_cases(const struct vector *v, struct final_case *out)
{
    const struct vector *other = &vectors[v == &vectors[0] ? 1 : 0];
    unsigned char zeros[SCRAM_KEY_MAX] = { 0 };
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "v=");
    b64_encode(zeros, v->mech == BSASL_SCRAM_SHA1 ? 20 : 32, &b);
    const char *const refused[] = { other->server_final, b.data, "v=", "v=!!!!", "v=AAAA",
                                    "e=invalid-proof", "", "r=x" };
    size_t n = 0;
    out[n++] = (struct final_case){ .as_challenge = false, .want = PL_OK };
    out[n++] = (struct final_case){ .as_challenge = true, .want = PL_OK };
    snprintf(out[0].msg, sizeof(out[0].msg), "%s", v->server_final);
    snprintf(out[1].msg, sizeof(out[1].msg), "%s", v->server_final);
    out[n] = (struct final_case){ .as_challenge = false, .want = PL_EAUTH };
    snprintf(out[n].msg, sizeof(out[n].msg), "%s", v->server_final);
    out[n].msg[2] = out[n].msg[2] == 'A' ? 'B' : 'A'; /* one character off */
    n++;
    for (size_t i = 0; i < ARRAY_LEN(refused); i++, n++) {
        out[n] = (struct final_case){ .as_challenge = i % 2 == 1, .want = PL_EAUTH };
        snprintf(out[n].msg, sizeof(out[n].msg), "%s", refused[i]);
    }
    buf_fini(&b);
    return n;
}

static void test_server_signature(void **state)
{
    struct fixture *f = *state;
    struct final_case cases[16];
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        const struct vector *v = &vectors[i];
        size_t n = final_cases(v, cases);
        for (size_t k = 0; k < n; k++) {
            const struct final_case *c = &cases[k];
            run_to_final(f, v);
            buf_reset(&f->out);
            int rc = c->as_challenge
                         ? sasl_client_challenge(&f->sc, f->kc, c->msg, strlen(c->msg), &f->out)
                         : sasl_client_success(&f->sc, c->msg, strlen(c->msg));
            if (rc != c->want)
                fail_msg("%s, server-final '%s': %d, want %d", v->name, c->msg, rc, c->want);
            if (c->as_challenge && rc == PL_OK) {
                assert_int_equal(f->out.len, 0); /* answered with an empty response */
                assert_int_equal(sasl_client_success(&f->sc, "", 0), PL_OK);
            }
        }
    }
}

/* Server-first messages the client must refuse (after a client-first with nonce "abc"). */
static const char *const bad_server_firsts[] = {
    "",
    "r=abcdef,s=QSXCR+Q6sek8bf92",             /* no i= */
    "r=abcdef,i=4096",                         /* no s= */
    "s=QSXCR+Q6sek8bf92,i=4096",               /* no r= */
    "r=abc,s=QSXCR+Q6sek8bf92,i=4096",         /* the server added nothing */
    "r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096",      /* not our nonce */
    "r=ab,s=QSXCR+Q6sek8bf92,i=4096",          /* shorter than ours */
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=0",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=-1",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=+4096",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i= 4096",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=4096x",
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=10000001",  /* above the cap */
    "r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999999999999999999",
    "r=abcdef,s=!!!,i=4096",                   /* salt not base64 */
    "r=abcdef,s=,i=4096",                      /* empty salt */
    "m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", /* mandatory extension */
};

static void test_bad_server_first(void **state)
{
    struct fixture *f = *state;
    for (int mech = BSASL_SCRAM_SHA256; mech <= BSASL_SCRAM_SHA1; mech++) {
        for (size_t i = 0; i < ARRAY_LEN(bad_server_firsts); i++) {
            const char *m = bad_server_firsts[i];
            sasl_client_fini(&f->sc);
            sasl_client_init(&f->sc, mech, "user", "pencil");
            buf_reset(&f->out);
            assert_int_equal(sasl_client_start_nonce(&f->sc, "abc", &f->out), PL_OK);
            buf_reset(&f->out);
            int rc = sasl_client_challenge(&f->sc, f->kc, m, strlen(m), &f->out);
            if (rc != PL_EINVAL)
                fail_msg("server-first '%s' gave %d, want PL_EINVAL", m, rc);
            /* Nothing was answered, and no success can follow a refused exchange. */
            assert_int_equal(f->out.len, 0);
            assert_int_equal(sasl_client_success(&f->sc, "v=AAAA", 6), PL_EAUTH);
        }
    }
}

/* The name goes out as a saslname: ',' and '=' escaped (RFC 5802 §5.1). */
struct first_case {
    const char *user, *cnonce;
    int want;
    const char *client_first;
};

static const struct first_case first_cases[] = {
    { "user", "n0nce", PL_OK, "n,,n=user,r=n0nce" },
    { "a,b=c", "x", PL_OK, "n,,n=a=2Cb=3Dc,r=x" },
    { "user", "abcdefghijklmnopqrstuvwx", PL_OK, "n,,n=user,r=abcdefghijklmnopqrstuvwx" },
    { "user", "abcdefghijklmnopqrstuvwxy", PL_EINVAL, "" }, /* longer than SCRAM_NONCE_LEN */
    { "user", "", PL_EINVAL, "" },
    { "user", "a,b", PL_EINVAL, "" },
    { "user", "a b", PL_EINVAL, "" },
    { "user", "a\x7f", PL_EINVAL, "" },
};

static void test_client_first(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(first_cases); i++) {
        const struct first_case *c = &first_cases[i];
        sasl_client_fini(&f->sc);
        sasl_client_init(&f->sc, BSASL_SCRAM_SHA256, c->user, "pw");
        buf_reset(&f->out);
        assert_int_equal(sasl_client_start_nonce(&f->sc, c->cnonce, &f->out), c->want);
        assert_out(&f->out, c->client_first, c->user);
    }
    /* The random nonce: the full length, fresh every time. */
    char first[2][64];
    for (int k = 0; k < 2; k++) {
        sasl_client_fini(&f->sc);
        sasl_client_init(&f->sc, BSASL_SCRAM_SHA1, "user", "pw");
        buf_reset(&f->out);
        assert_int_equal(sasl_client_start(&f->sc, &f->out), PL_OK);
        assert_int_equal(f->out.len, strlen("n,,n=user,r=") + SCRAM_NONCE_LEN);
        assert_memory_equal(f->out.data, "n,,n=user,r=", 12);
        snprintf(first[k], sizeof(first[k]), "%s", f->out.data);
    }
    assert_string_not_equal(first[0], first[1]);
}

struct plain_case {
    const char *user, *password;
    const char *want;
    size_t want_len;
};

static const struct plain_case plain_cases[] = {
    { "user", "pencil", "\0user\0pencil", 12 },
    { "u", "", "\0u\0", 3 },
    { "user%1", "p\xc3\xa4ss word", "\0user%1\0p\xc3\xa4ss word", 18 },
};

/* PLAIN: "\0user\0password" (no authzid), nothing to challenge, nothing to verify. */
static void test_plain(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(plain_cases); i++) {
        const struct plain_case *c = &plain_cases[i];
        for (int random_nonce = 0; random_nonce < 2; random_nonce++) {
            sasl_client_fini(&f->sc);
            sasl_client_init(&f->sc, BSASL_PLAIN, c->user, c->password);
            buf_reset(&f->out);
            int rc = random_nonce ? sasl_client_start(&f->sc, &f->out)
                                  : sasl_client_start_nonce(&f->sc, "ignored", &f->out);
            assert_int_equal(rc, PL_OK);
            assert_int_equal(f->out.len, c->want_len);
            assert_memory_equal(f->out.data, c->want, c->want_len);
            assert_int_equal(sasl_client_challenge(&f->sc, f->kc, "r=x", 3, &f->out),
                             PL_EINVAL);
            assert_int_equal(sasl_client_success(&f->sc, "", 0), PL_OK);
        }
    }
    assert_string_equal(sasl_client_mech_name(BSASL_PLAIN), "PLAIN");
    assert_string_equal(sasl_client_mech_name(BSASL_SCRAM_SHA1), "SCRAM-SHA-1");
    assert_string_equal(sasl_client_mech_name(BSASL_SCRAM_SHA256), "SCRAM-SHA-256");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vectors_client_messages, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_signature, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_server_first, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_first, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_plain, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
