/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the SCRAM server, stored credentials, SASL PLAIN and base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base.h"
#include "buf.h"
#include "scram.h"

/* An RFC test exchange, message for message. */
struct vector {
    enum scram_hash hash;
    const char *password, *salt_b64;
    unsigned iterations;
    const char *client_first, *server_nonce, *server_first, *client_final, *server_final;
};

#define SHA1_NONCE "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
#define SHA1_PROOF "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define SHA256_NONCE "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SHA256_PROOF "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="

static const struct vector rfc5802 = {
    SCRAM_SHA1, "pencil", "QSXCR+Q6sek8bf92", 4096,
    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "3rfcNHYJY1ZVvWVs7j",
    "r=" SHA1_NONCE ",s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=" SHA1_NONCE ",p=" SHA1_PROOF,
    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

static const struct vector rfc7677 = {
    SCRAM_SHA256, "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096,
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "r=" SHA256_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=" SHA256_NONCE ",p=" SHA256_PROOF,
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

static const struct vector *const vectors[] = { &rfc5802, &rfc7677 };

/* Builds stored credentials the way an account would hold them, with the RFC's salt. */
static void make_vector_creds(const struct vector *v, struct scram_creds *c)
{
    size_t n;
    unsigned char *salt = b64_decode(v->salt_b64, strlen(v->salt_b64), &n);
    assert_non_null(salt);
    assert_true(n <= SCRAM_SALT_LEN);
    memset(c, 0, sizeof *c);
    memcpy(c->salt, salt, n);
    c->salt_len = n;
    c->iterations = v->iterations;
    assert_int_equal(scram_derive(SCRAM_SHA1, v->password, salt, n, v->iterations, &c->sha1),
                     PL_OK);
    assert_int_equal(scram_derive(SCRAM_SHA256, v->password, salt, n, v->iterations,
                                  &c->sha256), PL_OK);
    free(salt);
}

/* Runs client-first and the challenge of v; out holds the server-first message. */
static void start_exchange(struct scram_server *s, const struct vector *v, struct buf *out)
{
    struct scram_creds c;
    make_vector_creds(v, &c);
    scram_server_init(s, v->hash);
    assert_int_equal(scram_server_client_first(s, v->client_first, strlen(v->client_first)),
                     PL_OK);
    assert_string_equal(s->username, "user");
    assert_int_equal(scram_server_challenge(s, &c, v->server_nonce, out), PL_OK);
    assert_string_equal(out->data, v->server_first);
}

static void test_rfc_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = vectors[i];
        struct scram_server s;
        struct buf out;
        buf_init(&out);
        start_exchange(&s, v, &out);
        buf_reset(&out);
        assert_int_equal(scram_server_client_final(&s, v->client_final, strlen(v->client_final),
                                                   &out), PL_OK);
        assert_string_equal(out.data, v->server_final);
        assert_int_equal(s.state, SCRAM_DONE);
        scram_server_fini(&s);
        buf_fini(&out);
    }
}

/* Re-encodes the vector's client-final with one bit of the proof flipped. */
static char *corrupt_proof(const struct vector *v)
{
    const char *p = strstr(v->client_final, ",p=") + 3;
    size_t n;
    unsigned char *proof = b64_decode(p, strlen(p), &n);
    assert_non_null(proof);
    proof[n / 2] ^= 0x01;
    struct buf b;
    buf_init(&b);
    buf_append(&b, v->client_final, (size_t)(p - v->client_final));
    b64_encode(proof, n, &b);
    free(proof);
    return b.data;
}

static void test_wrong_proof(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        struct scram_server s;
        struct buf out;
        buf_init(&out);
        start_exchange(&s, vectors[i], &out);
        buf_reset(&out);
        char *bad = corrupt_proof(vectors[i]);
        assert_int_equal(scram_server_client_final(&s, bad, strlen(bad), &out), PL_EAUTH);
        assert_int_equal(out.len, 0);
        /* no second attempt within one exchange */
        assert_int_equal(scram_server_client_final(&s, vectors[i]->client_final,
                                                   strlen(vectors[i]->client_final), &out),
                         PL_EINVAL);
        free(bad);
        scram_server_fini(&s);
        buf_fini(&out);
    }
}

/* A client-first case; len 0 means strlen(msg); user is NULL when rc is not PL_OK. */
static const struct {
    const char *msg;
    size_t len;
    int rc;
    const char *user;
} first_cases[] = {
    { "n,,n=user,r=abc", 0, PL_OK, "user" },
    { "y,,n=user,r=abc", 0, PL_OK, "user" },
    { "n,a=user,n=user,r=abc", 0, PL_OK, "user" },
    { "n,,n=a=2Cb=3Dc,r=abc", 0, PL_OK, "a,b=c" },
    { "n,,n=user,r=abc,x=ext", 0, PL_OK, "user" },
    { "n,,n=j\xc3\xbcrgen,r=abc", 0, PL_OK, "j\xc3\xbcrgen" },
    { "", 0, PL_EINVAL, NULL },
    { "n", 0, PL_EINVAL, NULL },
    { "n,", 0, PL_EINVAL, NULL },
    { "n,,", 0, PL_EINVAL, NULL },
    { "x,,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "p=tls-unique,,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "p=tls-exporter,a=user,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "n,a=other,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "n,a=,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "n,b=user,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=us=2Xer,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=us=2cer,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=user=,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=user=2,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=user", 0, PL_EINVAL, NULL },
    { "n,,n=user,", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=a b", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=a\x01" "b", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=a\xc3\xa4", 0, PL_EINVAL, NULL },
    { "n,,r=abc,n=user", 0, PL_EINVAL, NULL },
    { "n,,m=ext,n=user,r=abc", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=abc,m=ext", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=abc,", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=abc,,x=1", 0, PL_EINVAL, NULL },
    { "n,,n=user,r=abc,1=x", 0, PL_EINVAL, NULL },
    { "n,,n=us\0er,r=abc", 16, PL_EINVAL, NULL },
    { "n,,n=user,r=abc\0", 16, PL_EINVAL, NULL },
};

static void test_client_first_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof first_cases / sizeof first_cases[0]; i++) {
        struct scram_server s;
        size_t len = first_cases[i].len ? first_cases[i].len : strlen(first_cases[i].msg);
        scram_server_init(&s, SCRAM_SHA256);
        int rc = scram_server_client_first(&s, first_cases[i].msg, len);
        if (rc != first_cases[i].rc)
            fail_msg("client-first case %zu: got %d, want %d", i, rc, first_cases[i].rc);
        if (first_cases[i].user)
            assert_string_equal(s.username, first_cases[i].user);
        else
            assert_null(s.username);
        scram_server_fini(&s);
    }
}

/* Client-final cases against the RFC 5802 exchange; len 0 means strlen(msg). */
static const struct {
    const char *msg;
    size_t len;
    int rc;
} final_cases[] = {
    { "c=biws,r=" SHA1_NONCE ",p=" SHA1_PROOF, 0, PL_OK },
    /* an unknown extension is accepted, but the proof covers it and no longer matches */
    { "c=biws,r=" SHA1_NONCE ",x=ext,p=" SHA1_PROOF, 0, PL_EAUTH },
    { "", 0, PL_EINVAL },
    { "c=biws", 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE, 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=", 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4T", 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=" SHA256_PROOF, 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4T!=", 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=" SHA1_PROOF ",x=y", 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",m=ext,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=eSws,r=" SHA1_NONCE ",p=" SHA1_PROOF, 0, PL_EINVAL },  /* "y,," */
    { "c=biwx,r=" SHA1_NONCE ",p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=bi!s,r=" SHA1_NONCE ",p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=,r=" SHA1_NONCE ",p=" SHA1_PROOF, 0, PL_EINVAL },
    { "r=" SHA1_NONCE ",c=biws,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE "x,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=biws,r=,p=" SHA1_PROOF, 0, PL_EINVAL },
    { "c=biws,r=" SHA1_NONCE ",p=" SHA1_PROOF "\0", sizeof("c=biws,r=" SHA1_NONCE ",p="
                                                           SHA1_PROOF), PL_EINVAL },
    { "c=biws\0,r=" SHA1_NONCE ",p=" SHA1_PROOF, sizeof("c=biws,r=" SHA1_NONCE ",p="
                                                         SHA1_PROOF), PL_EINVAL },
};

static void test_client_final_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof final_cases / sizeof final_cases[0]; i++) {
        struct scram_server s;
        struct buf out;
        buf_init(&out);
        start_exchange(&s, &rfc5802, &out);
        buf_reset(&out);
        size_t len = final_cases[i].len ? final_cases[i].len : strlen(final_cases[i].msg);
        int rc = scram_server_client_final(&s, final_cases[i].msg, len, &out);
        if (rc != final_cases[i].rc)
            fail_msg("client-final case %zu: got %d, want %d", i, rc, final_cases[i].rc);
        if (rc != PL_OK)
            assert_int_equal(out.len, 0);
        scram_server_fini(&s);
        buf_fini(&out);
    }
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct scram_server s;
    struct scram_creds c;
    struct buf out;
    const struct vector *v = &rfc5802;
    make_vector_creds(v, &c);
    buf_init(&out);
    scram_server_init(&s, SCRAM_SHA1);
    assert_int_equal(scram_server_challenge(&s, &c, "abc", &out), PL_EINVAL);
    assert_int_equal(scram_server_client_final(&s, v->client_final, strlen(v->client_final),
                                               &out), PL_EINVAL);
    assert_int_equal(scram_server_client_first(&s, v->client_first, strlen(v->client_first)),
                     PL_OK);
    assert_int_equal(scram_server_client_first(&s, v->client_first, strlen(v->client_first)),
                     PL_EINVAL);
    assert_int_equal(scram_server_client_final(&s, v->client_final, strlen(v->client_final),
                                               &out), PL_EINVAL);
    assert_int_equal(scram_server_challenge(&s, &c, "bad,nonce", &out), PL_EINVAL);
    assert_int_equal(scram_server_challenge(&s, &c, "", &out), PL_EINVAL);
    assert_int_equal(scram_server_challenge(&s, &c, v->server_nonce, &out), PL_OK);
    assert_int_equal(scram_server_challenge(&s, &c, v->server_nonce, &out), PL_EINVAL);
    assert_int_equal(scram_server_client_first(&s, v->client_first, strlen(v->client_first)),
                     PL_EINVAL);
    assert_string_equal(out.data, v->server_first);
    buf_reset(&out);
    assert_int_equal(scram_server_client_final(&s, v->client_final, strlen(v->client_final),
                                               &out), PL_OK);
    assert_int_equal(scram_server_client_final(&s, v->client_final, strlen(v->client_final),
                                               &out), PL_EINVAL);
    assert_int_equal(scram_server_challenge(&s, &c, v->server_nonce, &out), PL_EINVAL);
    assert_string_equal(out.data, v->server_final);
    scram_server_fini(&s);
    buf_fini(&out);
}

/* The client side of SCRAM, from the RFC's formulas, independent of the code under test. */
static void compute_client(enum scram_hash h, const char *password, const unsigned char *salt,
                           size_t salt_len, unsigned iterations, const char *auth_msg,
                           unsigned char *proof, unsigned char *server_sig)
{
    const EVP_MD *md = h == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
    int kl = (int)scram_key_len(h);
    unsigned char salted[32], ck[32], sk[32], stored[32], sig[32];
    unsigned n;
    assert_int_equal(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
                                       (int)iterations, md, kl, salted), 1);
    HMAC(md, salted, kl, (const unsigned char *)"Client Key", 10, ck, &n);
    HMAC(md, salted, kl, (const unsigned char *)"Server Key", 10, sk, &n);
    EVP_Digest(ck, (size_t)kl, stored, NULL, md, NULL);
    HMAC(md, stored, kl, (const unsigned char *)auth_msg, strlen(auth_msg), sig, &n);
    for (int i = 0; i < kl; i++)
        proof[i] = ck[i] ^ sig[i];
    HMAC(md, sk, kl, (const unsigned char *)auth_msg, strlen(auth_msg), server_sig, &n);
}

/*
 * Plays a whole exchange as a client knowing password; the salt and iteration count come from
 * the server-first message. Returns the result of client-final; checks "v=" on success.
 */
static int run_client(enum scram_hash h, const struct scram_creds *creds, const char *user,
                      const char *password)
{
    char cnonce[SCRAM_NONCE_LEN + 1], snonce[SCRAM_NONCE_LEN + 1];
    unsigned char proof[32], server_sig[32];
    struct scram_server s;
    struct buf first, msg, out, expect;
    assert_int_equal(scram_random_nonce(cnonce, sizeof cnonce - 1), PL_OK);
    assert_int_equal(scram_random_nonce(snonce, sizeof snonce - 1), PL_OK);
    buf_init(&first), buf_init(&msg), buf_init(&out), buf_init(&expect);
    buf_printf(&first, "n=%s,r=%s", user, cnonce);
    buf_printf(&msg, "n,,%s", first.data);
    scram_server_init(&s, h);
    assert_int_equal(scram_server_client_first(&s, msg.data, msg.len), PL_OK);
    assert_int_equal(scram_server_challenge(&s, creds, snonce, &out), PL_OK);

    const char *salt_b64 = strstr(out.data, ",s=") + 3;
    const char *iter = strstr(out.data, ",i=");
    size_t salt_len;
    unsigned char *salt = b64_decode(salt_b64, (size_t)(iter - salt_b64), &salt_len);
    assert_non_null(salt);
    buf_reset(&msg);
    buf_printf(&msg, "c=biws,r=%s%s", cnonce, snonce);
    buf_printf(&first, ",%s,%s", out.data, msg.data); /* now the AuthMessage */
    compute_client(h, password, salt, salt_len, (unsigned)atoi(iter + 3), first.data, proof,
                   server_sig);
    buf_puts(&msg, ",p=");
    b64_encode(proof, scram_key_len(h), &msg);
    buf_reset(&out);
    int rc = scram_server_client_final(&s, msg.data, msg.len, &out);
    buf_puts(&expect, "v=");
    b64_encode(server_sig, scram_key_len(h), &expect);
    if (rc == PL_OK)
        assert_string_equal(out.data, expect.data);
    free(salt);
    scram_server_fini(&s);
    buf_fini(&first), buf_fini(&msg), buf_fini(&out), buf_fini(&expect);
    return rc;
}

static void test_made_creds_round_trip(void **state)
{
    (void)state;
    struct scram_creds c;
    assert_int_equal(scram_creds_make("correct horse", 4096, &c), PL_OK);
    for (enum scram_hash h = SCRAM_SHA1; h <= SCRAM_SHA256; h++) {
        assert_int_equal(run_client(h, &c, "romeo", "correct horse"), PL_OK);
        assert_int_equal(run_client(h, &c, "romeo", "correct horsE"), PL_EAUTH);
    }
}

/* An unknown user gets a stable salt and 4096 iterations, and never gets in. */
static void test_unknown_user(void **state)
{
    (void)state;
    const char *first = "n,,n=ghost,r=abc";
    struct buf a, b, other;
    buf_init(&a), buf_init(&b), buf_init(&other);
    for (int i = 0; i < 3; i++) {
        struct scram_server s;
        struct buf *out = i == 0 ? &a : i == 1 ? &b : &other;
        scram_server_init(&s, SCRAM_SHA256);
        const char *msg = i < 2 ? first : "n,,n=phantom,r=abc";
        assert_int_equal(scram_server_client_first(&s, msg, strlen(msg)), PL_OK);
        assert_int_equal(scram_server_challenge(&s, NULL, "xyz", out), PL_OK);
        assert_false(s.known_user);
        scram_server_fini(&s);
    }
    assert_string_equal(a.data, b.data);
    assert_memory_equal(a.data, "r=abcxyz,s=", 11);
    assert_string_equal(a.data + a.len - 7, ",i=4096");
    assert_string_not_equal(a.data + 11, other.data + 11);
    buf_fini(&a), buf_fini(&b), buf_fini(&other);

    for (enum scram_hash h = SCRAM_SHA1; h <= SCRAM_SHA256; h++) {
        assert_int_equal(run_client(h, NULL, "ghost", "pencil"), PL_EAUTH);
        assert_int_equal(run_client(h, NULL, "ghost", ""), PL_EAUTH);
    }
}

static void test_creds(void **state)
{
    (void)state;
    struct scram_creds a, b;
    struct scram_keys k;
    assert_int_equal(scram_creds_make("pencil", 4096, &a), PL_OK);
    assert_int_equal(scram_creds_make("pencil", 4096, &b), PL_OK);
    assert_int_equal(a.salt_len, SCRAM_SALT_LEN);
    assert_int_equal(a.iterations, 4096);
    assert_memory_not_equal(a.salt, b.salt, SCRAM_SALT_LEN);
    assert_memory_not_equal(a.sha256.stored_key, b.sha256.stored_key, 32);
    assert_int_equal(scram_derive(SCRAM_SHA1, "pencil", a.salt, a.salt_len, 4096, &k), PL_OK);
    assert_memory_equal(k.stored_key, a.sha1.stored_key, 20);
    assert_memory_equal(k.server_key, a.sha1.server_key, 20);

    static const struct {
        const char *password;
        bool ok;
    } checks[] = { { "pencil", true }, { "Pencil", false }, { "pencil ", false },
                   { "", false },      { "pencl", false } };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        assert_int_equal(scram_creds_check(&a, checks[i].password), checks[i].ok);
    assert_false(scram_creds_check(NULL, "pencil"));
}

/* Keys come from the SASLprep'd password, as a SCRAM client derives them (RFC 5802 §2.2):
 * fullwidth, NFD and soft-hyphen spellings log in; what SASLprep refuses is not stored. */
static void test_creds_prepared(void **state)
{
    (void)state;
    struct scram_creds c;
    struct scram_keys k;
    assert_int_equal(scram_creds_make("\xef\xbd\x90\xc3\xa9n\xc2\xad" "cil", 4096, &c), PL_OK);
    assert_int_equal(scram_derive(SCRAM_SHA256, "p\xc3\xa9ncil", c.salt, c.salt_len, 4096, &k),
                     PL_OK);
    assert_memory_equal(k.stored_key, c.sha256.stored_key, 32);
    static const struct {
        const char *password;
        bool ok;
    } checks[] = { { "p\xc3\xa9ncil", true }, { "pe\xcc\x81ncil", true },
                   { "\xef\xbd\x90\xc3\xa9ncil", true }, { "P\xc3\xa9ncil", false },
                   { "pencil", false }, { "p\xc3\xa9ncil\x01", false } };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        assert_int_equal(scram_creds_check(&c, checks[i].password), checks[i].ok);
    assert_int_equal(scram_creds_make("pass\x07", 4096, &c), PL_EINVAL);
    assert_int_equal(scram_creds_make("x\xf0\x9f\x98\x80", 4096, &c), PL_EINVAL);
    assert_int_equal(scram_creds_make("", 4096, &c), PL_EINVAL);
}

/* A SASL PLAIN case: len includes the NULs; the three strings are NULL when rc != PL_OK. */
static const struct {
    const char *msg;
    size_t len;
    int rc;
    const char *authzid, *authcid, *passwd;
} plain_cases[] = {
    { "\0user\0pass", 10, PL_OK, "", "user", "pass" },
    { "admin@x\0user\0p w", 16, PL_OK, "admin@x", "user", "p w" },
    { "\0u\0p", 4, PL_OK, "", "u", "p" },
    { "", 0, PL_EINVAL, NULL, NULL, NULL },
    { "userpass", 8, PL_EINVAL, NULL, NULL, NULL },
    { "user\0pass", 9, PL_EINVAL, NULL, NULL, NULL },
    { "\0\0pass", 6, PL_EINVAL, NULL, NULL, NULL },
    { "\0user\0", 6, PL_EINVAL, NULL, NULL, NULL },
    { "\0user\0pa\0ss", 11, PL_EINVAL, NULL, NULL, NULL },
    { "\0user\0pass\0", 11, PL_EINVAL, NULL, NULL, NULL },
    { "\0\0", 2, PL_EINVAL, NULL, NULL, NULL },
};

static void check_opt_string(const char *got, const char *want)
{
    if (want)
        assert_string_equal(got, want);
    else
        assert_null(got);
}

static void test_sasl_plain_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain_cases / sizeof plain_cases[0]; i++) {
        char *z, *c, *p;
        int rc = sasl_plain_parse(plain_cases[i].msg, plain_cases[i].len, &z, &c, &p);
        if (rc != plain_cases[i].rc)
            fail_msg("plain case %zu: got %d, want %d", i, rc, plain_cases[i].rc);
        check_opt_string(z, plain_cases[i].authzid);
        check_opt_string(c, plain_cases[i].authcid);
        check_opt_string(p, plain_cases[i].passwd);
        free(z), free(c), free(p);
    }
}

/* RFC 4648 §10 vectors plus SASL's "=" for empty. */
static const struct {
    const char *plain, *b64;
} b64_cases[] = {
    { "", "" },          { "f", "Zg==" },         { "fo", "Zm8=" },         { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

static const char *const b64_invalid[] = {
    "Zg", "Zg=", "Z===", "====", "A", "Zm9v!", "Zm 9v", "Zm9v\n", "Zg==Zg==", "=Zg=", "Zm=v",
    "Zm9v=", "==", "Zm9vYmFy====", "Zm-v", "Zm_v",
};

static void test_b64_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof b64_cases / sizeof b64_cases[0]; i++) {
        struct buf b;
        size_t n = 99;
        buf_init(&b);
        b64_encode(b64_cases[i].plain, strlen(b64_cases[i].plain), &b);
        assert_int_equal(b.len, strlen(b64_cases[i].b64));
        if (b.len)
            assert_string_equal(b.data, b64_cases[i].b64);
        unsigned char *d = b64_decode(b64_cases[i].b64, strlen(b64_cases[i].b64), &n);
        assert_non_null(d);
        assert_int_equal(n, strlen(b64_cases[i].plain));
        assert_string_equal((char *)d, b64_cases[i].plain);
        free(d);
        buf_fini(&b);
    }
    size_t n = 99;
    unsigned char *empty = b64_decode("=", 1, &n);
    assert_non_null(empty);
    assert_int_equal(n, 0);
    assert_int_equal(empty[0], 0);
    free(empty);
    for (size_t i = 0; i < sizeof b64_invalid / sizeof b64_invalid[0]; i++) {
        if (b64_decode(b64_invalid[i], strlen(b64_invalid[i]), &n))
            fail_msg("\"%s\" should not decode", b64_invalid[i]);
    }
    assert_null(b64_decode("Zm9v\0Zm9v", 9, &n));
}

/* Binary data of every length up to past one encoder chunk survives a round trip. */
static void test_b64_round_trip(void **state)
{
    (void)state;
    unsigned char data[2000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 8));
    static const size_t lens[] = { 1, 2, 3, 4, 5, 255, 256, 767, 768, 769, 1000, 2000 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct buf b;
        size_t n;
        buf_init(&b);
        b64_encode(data, lens[i], &b);
        assert_int_equal(b.len, (lens[i] + 2) / 3 * 4);
        unsigned char *d = b64_decode(b.data, b.len, &n);
        assert_non_null(d);
        assert_int_equal(n, lens[i]);
        assert_memory_equal(d, data, n);
        free(d);
        buf_fini(&b);
    }
}

static void test_random_nonce(void **state)
{
    (void)state;
    char a[SCRAM_NONCE_LEN + 1], b[SCRAM_NONCE_LEN + 1], z[1] = { 'x' };
    assert_int_equal(scram_random_nonce(a, SCRAM_NONCE_LEN), PL_OK);
    assert_int_equal(scram_random_nonce(b, SCRAM_NONCE_LEN), PL_OK);
    assert_int_equal(strlen(a), SCRAM_NONCE_LEN);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < SCRAM_NONCE_LEN; i++)
        assert_true(a[i] > 0x20 && a[i] < 0x7f && a[i] != ',');
    assert_int_equal(scram_random_nonce(z, 0), PL_OK);
    assert_int_equal(z[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_vectors),
        cmocka_unit_test(test_wrong_proof),
        cmocka_unit_test(test_client_first_table),
        cmocka_unit_test(test_client_final_table),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_made_creds_round_trip),
        cmocka_unit_test(test_unknown_user),
        cmocka_unit_test(test_creds),
        cmocka_unit_test(test_sasl_plain_table),
        cmocka_unit_test(test_b64_tables),
        cmocka_unit_test(test_b64_round_trip),
        cmocka_unit_test(test_random_nonce),
        cmocka_unit_test(test_creds_prepared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
