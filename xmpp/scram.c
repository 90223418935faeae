/* SPDX-License-Identifier: MIT */
/* SCRAM server exchange (RFC 5802, RFC 7677), stored credentials, SASL PLAIN and base64. */
#include "scram.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base.h"
#include "prep.h"

#define FAKE_ITERATIONS 4096

/* A read position inside a comma-separated attribute list. */
struct cursor {
    const char *p;
    const char *end;
};

size_t scram_key_len(enum scram_hash h)
{
    return h == SCRAM_SHA1 ? 20 : 32;
}

static const EVP_MD *pick_md(enum scram_hash h)
{
    return h == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
}

static bool compute_hmac(enum scram_hash h, const unsigned char *key, size_t key_len,
                         const void *data, size_t n, unsigned char *out)
{
    unsigned int out_len = 0;
    return HMAC(pick_md(h), key, (int)key_len, data, n, out, &out_len) != NULL;
}

static bool compute_hash(enum scram_hash h, const void *data, size_t n, unsigned char *out)
{
    return EVP_Digest(data, n, out, NULL, pick_md(h), NULL) == 1;
}

/* ---- stored credentials ------------------------------------------------------------------ */

int scram_derive(enum scram_hash h, const char *password, const unsigned char *salt,
                 size_t salt_len, unsigned iterations, struct scram_keys *out)
{
    unsigned char salted[SCRAM_KEY_MAX], client_key[SCRAM_KEY_MAX];
    size_t kl = scram_key_len(h);
    int rc = PL_EIO;

    if (!password || !salt || !out || iterations == 0 || iterations > INT_MAX
        || salt_len > INT_MAX || strlen(password) > INT_MAX)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, (int)iterations,
                          pick_md(h), (int)kl, salted) != 1)
        goto fail;
    if (!compute_hmac(h, salted, kl, "Client Key", 10, client_key)
        || !compute_hash(h, client_key, kl, out->stored_key)
        || !compute_hmac(h, salted, kl, "Server Key", 10, out->server_key))
        goto fail;
    rc = PL_OK;
fail:
    /* SaltedPassword and ClientKey are password equivalents: never leave them on the stack. */
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    return rc;
}

int scram_creds_make(const char *password, unsigned iterations, struct scram_creds *out)
{
    char *prepared = NULL;
    int rc = PL_EINVAL;

    memset(out, 0, sizeof *out);
    out->salt_len = SCRAM_SALT_LEN;
    out->iterations = iterations;
    /* SCRAM clients SASLprep their password (RFC 5802 §2.2): the keys must come from the same
     * form, and a password being set must not hold unassigned code points. */
    if (prep_password(password, PREP_STORE, &prepared) != PREP_OK)
        goto fail;
    rc = PL_EIO;
    if (RAND_bytes(out->salt, SCRAM_SALT_LEN) != 1)
        goto fail;
    if (scram_derive(SCRAM_SHA1, prepared, out->salt, out->salt_len, iterations, &out->sha1)
        || scram_derive(SCRAM_SHA256, prepared, out->salt, out->salt_len, iterations,
                        &out->sha256))
        goto fail;
    rc = PL_OK;
fail:
    if (rc != PL_OK)
        OPENSSL_cleanse(out, sizeof *out);
    if (prepared)
        OPENSSL_cleanse(prepared, strlen(prepared));
    free(prepared);
    return rc;
}

bool scram_creds_check(const struct scram_creds *c, const char *password)
{
    struct scram_keys k;
    char *prepared = NULL;
    bool ok = false;

    if (!c || !password || c->salt_len > SCRAM_SALT_LEN)
        return false;
    if (prep_password(password, PREP_QUERY, &prepared) != PREP_OK)
        return false;
    if (scram_derive(SCRAM_SHA256, prepared, c->salt, c->salt_len, c->iterations, &k) == PL_OK)
        ok = CRYPTO_memcmp(k.stored_key, c->sha256.stored_key,
                           scram_key_len(SCRAM_SHA256)) == 0;
    OPENSSL_cleanse(&k, sizeof k);
    OPENSSL_cleanse(prepared, strlen(prepared));
    free(prepared);
    return ok;
}

/* ---- attribute parsing ------------------------------------------------------------------- */

/* Takes "k=value" up to the next ',' or the end; false when the next attribute is not k. */
static bool take_attr(struct cursor *c, char k, const char **v, size_t *vn)
{
    if (c->end - c->p < 2 || c->p[0] != k || c->p[1] != '=')
        return false;
    *v = c->p + 2;
    const char *comma = memchr(*v, ',', (size_t)(c->end - *v));
    c->p = comma ? comma : c->end;
    *vn = (size_t)(c->p - *v);
    return true;
}

static bool take_comma(struct cursor *c)
{
    if (c->p == c->end || *c->p != ',')
        return false;
    c->p++;
    return true;
}

/* Skips optional ",x=value" extensions up to the end; "m=" marks a mandatory one we lack. */
static bool skip_extensions(struct cursor *c)
{
    while (c->p < c->end) {
        if (!take_comma(c) || c->end - c->p < 2 || c->p[1] != '=' || c->p[0] == 'm')
            return false;
        if (!((c->p[0] >= 'a' && c->p[0] <= 'z') || (c->p[0] >= 'A' && c->p[0] <= 'Z')))
            return false;
        const char *comma = memchr(c->p, ',', (size_t)(c->end - c->p));
        c->p = comma ? comma : c->end;
    }
    return true;
}

/* Printable ASCII except ',' (RFC 5802 "printable"); never empty. */
static bool nonce_valid(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
            return false;
    return true;
}

/* Decodes a saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed. */
static char *decode_saslname(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') {
            out[o++] = s[i];
        } else if (n - i >= 3 && (memcmp(s + i, "=2C", 3) == 0 || memcmp(s + i, "=3D", 3) == 0)) {
            out[o++] = s[i + 1] == '2' ? ',' : '=';
            i += 2;
        } else {
            free(out);
            return NULL;
        }
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* gs2-header: "n," or "y," (no channel binding), then an optional "a=authzid", then ','. */
static bool parse_gs2_header(struct cursor *c, char **authzid)
{
    const char *v;
    size_t vn;
    *authzid = NULL;
    if (c->end - c->p < 2 || (c->p[0] != 'n' && c->p[0] != 'y') || c->p[1] != ',')
        return false; /* "p=" included: we offer no -PLUS mechanism to bind to */
    c->p += 2;
    if (take_attr(c, 'a', &v, &vn) && !(*authzid = decode_saslname(v, vn)))
        return false;
    return take_comma(c);
}

/* client-first-message-bare: "n=user,r=nonce" and optional extensions. */
static bool parse_first_bare(struct cursor *c, char **user, const char **nonce, size_t *nonce_len)
{
    const char *v;
    size_t vn;
    *user = NULL;
    if (!take_attr(c, 'n', &v, &vn) || !(*user = decode_saslname(v, vn)))
        return false;
    if (!take_comma(c) || !take_attr(c, 'r', nonce, nonce_len) || !nonce_valid(*nonce, *nonce_len))
        return false;
    return skip_extensions(c);
}

/* ---- server exchange --------------------------------------------------------------------- */

void scram_server_init(struct scram_server *s, enum scram_hash h)
{
    memset(s, 0, sizeof *s);
    s->hash = h;
    s->state = SCRAM_INIT;
}

void scram_server_fini(struct scram_server *s)
{
    free(s->username);
    free(s->client_first_bare);
    free(s->server_first);
    free(s->nonce);
    free(s->gs2_header);
    OPENSSL_cleanse(s, sizeof *s);
}

int scram_server_client_first(struct scram_server *s, const char *msg, size_t len)
{
    char *authzid = NULL, *user = NULL;
    const char *nonce;
    size_t nonce_len;

    /* username doubles as "client-first seen": the enum has no state between the two */
    if (s->state != SCRAM_INIT || s->username || !msg || memchr(msg, '\0', len))
        return PL_EINVAL;
    struct cursor c = { msg, msg + len };
    if (!parse_gs2_header(&c, &authzid))
        goto fail;
    const char *bare = c.p;
    if (!parse_first_bare(&c, &user, &nonce, &nonce_len))
        goto fail;
    if (authzid && strcmp(authzid, user) != 0)
        goto fail; /* acting for another identity is not supported */
    s->username = user;
    s->gs2_header = xstrndup(msg, (size_t)(bare - msg));
    s->client_first_bare = xstrndup(bare, (size_t)(msg + len - bare));
    s->nonce = xstrndup(nonce, nonce_len);
    free(authzid);
    return PL_OK;
fail:
    free(authzid);
    free(user);
    return PL_EINVAL;
}

/*
 * The secret behind fake salts for unknown users: process-wide and random, so one unknown name
 * always gets the same salt (as a real account would) but names cannot be told apart offline.
 */
static unsigned char fake_secret[32];
static bool fake_secret_ok;
static pthread_once_t fake_secret_once = PTHREAD_ONCE_INIT;

static void make_fake_secret(void)
{
    fake_secret_ok = RAND_bytes(fake_secret, sizeof fake_secret) == 1;
}

static int load_fake_creds(struct scram_server *s, unsigned char *salt, size_t *salt_len,
                           unsigned *iterations)
{
    unsigned char mac[32];
    pthread_once(&fake_secret_once, make_fake_secret);
    if (!fake_secret_ok
        || !compute_hmac(SCRAM_SHA256, fake_secret, sizeof fake_secret, s->username,
                         strlen(s->username), mac)
        || RAND_bytes(s->keys.stored_key, SCRAM_KEY_MAX) != 1
        || RAND_bytes(s->keys.server_key, SCRAM_KEY_MAX) != 1)
        return PL_EIO;
    memcpy(salt, mac, SCRAM_SALT_LEN);
    *salt_len = SCRAM_SALT_LEN;
    *iterations = FAKE_ITERATIONS;
    s->known_user = false;
    return PL_OK;
}

static int load_creds(struct scram_server *s, const struct scram_creds *c, unsigned char *salt,
                      size_t *salt_len, unsigned *iterations)
{
    if (c->salt_len == 0 || c->salt_len > SCRAM_SALT_LEN || c->iterations == 0)
        return PL_EINVAL;
    memcpy(salt, c->salt, c->salt_len);
    *salt_len = c->salt_len;
    *iterations = c->iterations;
    s->keys = s->hash == SCRAM_SHA1 ? c->sha1 : c->sha256;
    s->known_user = true;
    return PL_OK;
}

int scram_server_challenge(struct scram_server *s, const struct scram_creds *creds,
                           const char *server_nonce, struct buf *out)
{
    unsigned char salt[SCRAM_SALT_LEN];
    size_t salt_len;
    unsigned iterations;

    if (s->state != SCRAM_INIT || !s->username || !out || !server_nonce
        || !nonce_valid(server_nonce, strlen(server_nonce)))
        return PL_EINVAL;
    int rc = creds ? load_creds(s, creds, salt, &salt_len, &iterations)
                   : load_fake_creds(s, salt, &salt_len, &iterations);
    if (rc != PL_OK)
        return rc;

    struct buf msg;
    buf_init(&msg);
    buf_printf(&msg, "r=%s%s,s=", s->nonce, server_nonce);
    b64_encode(salt, salt_len, &msg);
    buf_printf(&msg, ",i=%u", iterations);
    buf_append(out, msg.data, msg.len);

    size_t nonce_len = strlen(s->nonce) + strlen(server_nonce);
    free(s->nonce);
    s->nonce = xstrndup(msg.data + 2, nonce_len);
    s->server_first = msg.data; /* the buffer's storage becomes the owned string */
    s->state = SCRAM_SENT_FIRST;
    return PL_OK;
}

/* "c=base64(gs2-header),r=nonce[,extensions]": binds the exchange to what client-first said. */
static bool parse_final_without_proof(const struct scram_server *s, const char *msg, size_t len)
{
    struct cursor c = { msg, msg + len };
    const char *v;
    size_t vn, cb_len;

    if (!take_attr(&c, 'c', &v, &vn))
        return false;
    unsigned char *cb = b64_decode(v, vn, &cb_len);
    bool cb_ok = cb && cb_len == strlen(s->gs2_header) && memcmp(cb, s->gs2_header, cb_len) == 0;
    free(cb);
    if (!cb_ok || !take_comma(&c) || !take_attr(&c, 'r', &v, &vn))
        return false;
    if (vn != strlen(s->nonce) || memcmp(v, s->nonce, vn) != 0)
        return false;
    return skip_extensions(&c);
}

/* "p=base64(proof)" with exactly one key length of proof. */
static bool decode_proof(const struct scram_server *s, const char *p, size_t n,
                         unsigned char *proof)
{
    size_t len;
    if (n < 2 || p[0] != 'p' || p[1] != '=')
        return false;
    unsigned char *raw = b64_decode(p + 2, n - 2, &len);
    bool ok = raw && len == scram_key_len(s->hash);
    if (ok)
        memcpy(proof, raw, len);
    free(raw);
    return ok;
}

/* Recovers ClientKey from the proof and checks H(ClientKey) == StoredKey; appends "v=". */
static int verify_proof(struct scram_server *s, const char *without_proof, size_t wp_len,
                        const unsigned char *proof, struct buf *out)
{
    unsigned char sig[SCRAM_KEY_MAX], key[SCRAM_KEY_MAX], stored[SCRAM_KEY_MAX];
    size_t kl = scram_key_len(s->hash);
    struct buf am;
    int rc = PL_EIO;

    buf_init(&am);
    buf_printf(&am, "%s,%s,", s->client_first_bare, s->server_first);
    buf_append(&am, without_proof, wp_len);
    if (!compute_hmac(s->hash, s->keys.stored_key, kl, am.data, am.len, sig))
        goto fail;
    for (size_t i = 0; i < kl; i++)
        key[i] = proof[i] ^ sig[i];
    if (!compute_hash(s->hash, key, kl, stored))
        goto fail;
    /* the fake keys of an unknown user are random, yet the answer must not depend on luck */
    rc = CRYPTO_memcmp(stored, s->keys.stored_key, kl) == 0 && s->known_user ? PL_OK : PL_EAUTH;
    if (rc == PL_OK && !compute_hmac(s->hash, s->keys.server_key, kl, am.data, am.len, sig))
        rc = PL_EIO;
    if (rc == PL_OK) {
        buf_puts(out, "v=");
        b64_encode(sig, kl, out);
    }
fail:
    /* ClientSignature XOR the public proof gives ClientKey back: wipe both */
    OPENSSL_cleanse(sig, sizeof sig);
    OPENSSL_cleanse(key, sizeof key);
    buf_fini(&am);
    return rc;
}

int scram_server_client_final(struct scram_server *s, const char *msg, size_t len,
                              struct buf *out)
{
    unsigned char proof[SCRAM_KEY_MAX];

    if (s->state != SCRAM_SENT_FIRST || !out)
        return PL_EINVAL;
    s->state = SCRAM_DONE; /* one attempt per exchange, whatever its outcome */
    if (!msg || memchr(msg, '\0', len))
        return PL_EINVAL;
    /* the proof is the last attribute; nothing before it may contain what it signs */
    const char *comma = memrchr(msg, ',', len);
    if (!comma)
        return PL_EINVAL;
    size_t wp_len = (size_t)(comma - msg);
    if (!parse_final_without_proof(s, msg, wp_len)
        || !decode_proof(s, comma + 1, len - wp_len - 1, proof))
        return PL_EINVAL;
    return verify_proof(s, msg, wp_len, proof, out);
}

/* ---- SASL PLAIN -------------------------------------------------------------------------- */

int sasl_plain_parse(const char *msg, size_t len, char **authzid, char **authcid, char **passwd)
{
    *authzid = *authcid = *passwd = NULL;
    const char *nul1 = msg ? memchr(msg, '\0', len) : NULL;
    if (!nul1)
        return PL_EINVAL;
    const char *user = nul1 + 1;
    const char *nul2 = memchr(user, '\0', (size_t)(msg + len - user));
    if (!nul2)
        return PL_EINVAL;
    const char *pass = nul2 + 1;
    size_t pass_len = (size_t)(msg + len - pass);
    if (nul2 == user || pass_len == 0 || memchr(pass, '\0', pass_len))
        return PL_EINVAL;
    *authzid = xstrndup(msg, (size_t)(nul1 - msg));
    *authcid = xstrndup(user, (size_t)(nul2 - user));
    *passwd = xstrndup(pass, pass_len);
    return PL_OK;
}

/* ---- base64 and nonces ------------------------------------------------------------------- */

void b64_encode(const void *data, size_t len, struct buf *out)
{
    /* EVP_EncodeBlock takes an int length: go in chunks of whole 3-byte groups */
    unsigned char chunk[4 * 256 + 1];
    const unsigned char *p = data;
    while (len > 0) {
        size_t n = len < 3 * 256 ? len : 3 * 256;
        int w = EVP_EncodeBlock(chunk, p, (int)n);
        buf_append(out, chunk, (size_t)w);
        p += n;
        len -= n;
    }
}

static bool is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
           || c == '/';
}

/*
 * Strict RFC 4648 check: whole 4-char groups, alphabet only, at most two '=' and only at the
 * end. EVP_DecodeBlock alone would skip whitespace and count padding as zero bytes.
 */
static bool check_b64(const char *s, size_t len, size_t *pad)
{
    *pad = 0;
    if (len % 4 != 0)
        return false;
    while (*pad < len && s[len - 1 - *pad] == '=')
        (*pad)++;
    if (*pad > 2)
        return false;
    for (size_t i = 0; i < len - *pad; i++)
        if (!is_b64_char(s[i]))
            return false;
    return true;
}

unsigned char *b64_decode(const char *s, size_t len, size_t *outlen)
{
    size_t pad;
    if (!s || len > INT_MAX)
        return NULL;
    if (len == 1 && s[0] == '=')
        len = 0; /* SASL's way to say "empty" (RFC 6120 §6.4.2) */
    if (!check_b64(s, len, &pad))
        return NULL;
    unsigned char *out = xmalloc(len / 4 * 3 + 1);
    int n = len ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return NULL;
    }
    n -= (int)pad;
    out[n] = '\0';
    if (outlen)
        *outlen = (size_t)n;
    return out;
}

int scram_random_nonce(char *buf, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!buf || n > INT_MAX)
        return PL_EINVAL;
    if (n > 0 && RAND_bytes((unsigned char *)buf, (int)n) != 1)
        return PL_EIO;
    /* 64 symbols: masking a random byte keeps every symbol equally likely */
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[(unsigned char)buf[i] & 63];
    buf[n] = '\0';
    return PL_OK;
}
