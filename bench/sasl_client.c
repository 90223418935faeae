/* SPDX-License-Identifier: MIT */
/* Client side of SASL: builds SCRAM client messages from cached keys and checks the server. */
#include "sasl_client.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base.h"

#define MAX_ITERATIONS 10000000u

/* "n,," base64-encoded: no channel binding, no authzid. */
#define GS2_HEADER "n,,"
#define GS2_HEADER_B64 "biws"

static const char *const mech_names[] = { "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN" };

const char *sasl_client_mech_name(int mech)
{
    return mech >= 0 && mech < (int)ARRAY_LEN(mech_names) ? mech_names[mech] : "PLAIN";
}

static enum scram_hash hash_of(int mech)
{
    return mech == BSASL_SCRAM_SHA1 ? SCRAM_SHA1 : SCRAM_SHA256;
}

void sasl_client_init(struct sasl_client *sc, int mech, const char *user, const char *password)
{
    memset(sc, 0, sizeof(*sc));
    sc->mech = mech;
    sc->user = user;
    sc->password = password;
    buf_init(&sc->first_bare);
}

void sasl_client_fini(struct sasl_client *sc)
{
    buf_fini(&sc->first_bare);
    OPENSSL_cleanse(sc->server_sig, sizeof(sc->server_sig));
}

/* saslname (RFC 5802 §5.1): ',' and '=' are escaped. */
static void append_saslname(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ',')
            buf_puts(out, "=2C");
        else if (*s == '=')
            buf_puts(out, "=3D");
        else
            buf_append(out, s, 1);
    }
}

static void start_plain(struct sasl_client *sc, struct buf *out)
{
    buf_append(out, "", 1); /* empty authzid, then authcid and password */
    buf_append(out, sc->user, strlen(sc->user) + 1);
    buf_append(out, sc->password, strlen(sc->password));
    sc->state = SASLC_DONE;
}

/* RFC 5802 §5.1: a nonce is printable ASCII except ','. */
static bool nonce_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SCRAM_NONCE_LEN)
        return false;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == ',')
            return false;
    return true;
}

int sasl_client_start_nonce(struct sasl_client *sc, const char *cnonce, struct buf *out)
{
    if (sc->mech == BSASL_PLAIN) {
        start_plain(sc, out);
        return PL_OK;
    }
    if (!nonce_ok(cnonce))
        return PL_EINVAL;
    memcpy(sc->cnonce, cnonce, strlen(cnonce) + 1);
    buf_reset(&sc->first_bare);
    buf_puts(&sc->first_bare, "n=");
    append_saslname(&sc->first_bare, sc->user);
    buf_puts(&sc->first_bare, ",r=");
    buf_puts(&sc->first_bare, sc->cnonce);
    buf_puts(out, GS2_HEADER);
    buf_append(out, sc->first_bare.data, sc->first_bare.len);
    sc->state = SASLC_FIRST;
    return PL_OK;
}

int sasl_client_start(struct sasl_client *sc, struct buf *out)
{
    char cnonce[SCRAM_NONCE_LEN + 1] = "";
    if (sc->mech != BSASL_PLAIN && scram_random_nonce(cnonce, SCRAM_NONCE_LEN) != PL_OK)
        return PL_EIO;
    return sasl_client_start_nonce(sc, cnonce, out);
}

/* Finds "k=value" among comma-separated attributes; value is not NUL-terminated. */
static bool find_attr(const char *msg, size_t len, char k, const char **v, size_t *vn)
{
    const char *p = msg, *end = msg + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (stop - p >= 2 && p[0] == k && p[1] == '=') {
            *v = p + 2;
            *vn = (size_t)(stop - p - 2);
            return true;
        }
        p = stop + 1;
    }
    return false;
}

struct server_first {
    const char *nonce;
    size_t nonce_len;
    unsigned char *salt; /* owned */
    size_t salt_len;
    unsigned iterations;
};

static int parse_server_first(const struct sasl_client *sc, const char *msg, size_t len,
                              struct server_first *sf)
{
    const char *s, *i;
    size_t sn, in;
    if (!find_attr(msg, len, 'r', &sf->nonce, &sf->nonce_len) ||
        !find_attr(msg, len, 's', &s, &sn) || !find_attr(msg, len, 'i', &i, &in))
        return PL_EINVAL;
    size_t cn = strlen(sc->cnonce);
    if (sf->nonce_len <= cn || memcmp(sf->nonce, sc->cnonce, cn) != 0)
        return PL_EINVAL; /* the server nonce must extend ours */
    const char *m;
    size_t mn;
    if (find_attr(msg, len, 'm', &m, &mn))
        return PL_EINVAL; /* RFC 5802 §5.1: an unknown mandatory extension ends the exchange */
    unsigned long it = 0;
    for (size_t k = 0; k < in && it <= MAX_ITERATIONS; k++) {
        if (i[k] < '0' || i[k] > '9')
            return PL_EINVAL;
        it = it * 10 + (unsigned long)(i[k] - '0');
    }
    if (in == 0 || it == 0 || it > MAX_ITERATIONS)
        return PL_EINVAL;
    sf->iterations = (unsigned)it;
    sf->salt = b64_decode(s, sn, &sf->salt_len);
    return sf->salt && sf->salt_len > 0 ? PL_OK : PL_EINVAL;
}

static bool hmac(enum scram_hash h, const unsigned char *key, const void *data, size_t n,
                 unsigned char *out)
{
    const EVP_MD *md = h == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
    unsigned len = 0;
    return HMAC(md, key, (int)scram_key_len(h), data, n, out, &len) != NULL;
}

/* ClientProof = ClientKey XOR HMAC(H(ClientKey), AuthMessage); keeps ServerSignature. */
static int prove(struct sasl_client *sc, const struct client_keys *k, const struct buf *auth,
                 unsigned char *proof)
{
    enum scram_hash h = hash_of(sc->mech);
    const EVP_MD *md = h == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
    size_t kl = scram_key_len(h);
    unsigned char stored[SCRAM_KEY_MAX], sig[SCRAM_KEY_MAX];
    if (EVP_Digest(k->client_key, kl, stored, NULL, md, NULL) != 1 ||
        !hmac(h, stored, auth->data, auth->len, sig) ||
        !hmac(h, k->server_key, auth->data, auth->len, sc->server_sig))
        return PL_EIO;
    for (size_t i = 0; i < kl; i++)
        proof[i] = k->client_key[i] ^ sig[i];
    return PL_OK;
}

static int answer_first(struct sasl_client *sc, struct keycache *kc, const char *msg,
                        size_t len, struct buf *out)
{
    struct server_first sf = { 0 };
    struct client_keys keys;
    struct buf auth;
    unsigned char proof[SCRAM_KEY_MAX];
    buf_init(&auth);
    int rc = parse_server_first(sc, msg, len, &sf);
    if (rc == PL_OK)
        rc = keycache_get(kc, hash_of(sc->mech), sc->user, sc->password, sf.salt, sf.salt_len,
                          sf.iterations, &keys);
    if (rc != PL_OK)
        goto fail;
    size_t without_proof = out->len;
    buf_puts(out, "c=" GS2_HEADER_B64 ",r=");
    buf_append(out, sf.nonce, sf.nonce_len);
    buf_append(&auth, sc->first_bare.data, sc->first_bare.len);
    buf_puts(&auth, ",");
    buf_append(&auth, msg, len);
    buf_puts(&auth, ",");
    buf_append(&auth, out->data + without_proof, out->len - without_proof);
    rc = prove(sc, &keys, &auth, proof);
    if (rc != PL_OK)
        goto fail;
    buf_puts(out, ",p=");
    b64_encode(proof, scram_key_len(hash_of(sc->mech)), out);
    sc->state = SASLC_FINAL;
fail:
    OPENSSL_cleanse(&keys, sizeof(keys));
    free(sf.salt);
    buf_fini(&auth);
    return rc;
}

/* server-final-message: "v=" + base64(ServerSignature), compared in constant time. */
static int verify_final(struct sasl_client *sc, const char *msg, size_t len)
{
    const char *v;
    size_t vn, sig_len;
    if (sc->state != SASLC_FINAL || !find_attr(msg, len, 'v', &v, &vn))
        return PL_EAUTH;
    unsigned char *sig = b64_decode(v, vn, &sig_len);
    size_t kl = scram_key_len(hash_of(sc->mech));
    bool ok = sig && sig_len == kl && CRYPTO_memcmp(sig, sc->server_sig, kl) == 0;
    free(sig);
    if (ok)
        sc->state = SASLC_DONE;
    return ok ? PL_OK : PL_EAUTH;
}

int sasl_client_challenge(struct sasl_client *sc, struct keycache *kc, const char *msg,
                          size_t len, struct buf *out)
{
    if (sc->mech == BSASL_PLAIN)
        return PL_EINVAL; /* PLAIN has no challenges */
    if (sc->state == SASLC_FIRST)
        return answer_first(sc, kc, msg, len, out);
    return verify_final(sc, msg, len); /* empty response follows */
}

int sasl_client_success(struct sasl_client *sc, const char *msg, size_t len)
{
    if (sc->mech == BSASL_PLAIN || sc->state == SASLC_DONE)
        return PL_OK;
    return verify_final(sc, msg, len);
}
