/* SPDX-License-Identifier: MIT */
/* SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) server side and stored credentials. */
#ifndef PL_SCRAM_H
#define PL_SCRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SCRAM_MIN_ITERATIONS 4096
#define SCRAM_SALT_LEN 16
#define SCRAM_KEY_MAX 32
#define SCRAM_NONCE_LEN 24

enum scram_hash { SCRAM_SHA1, SCRAM_SHA256 };

/* Key length in bytes of a hash (20 or 32). */
size_t scram_key_len(enum scram_hash h);

struct scram_keys {
    unsigned char stored_key[SCRAM_KEY_MAX];
    unsigned char server_key[SCRAM_KEY_MAX];
};

/* What the server keeps for an account: salted keys for both hashes, never the password. */
struct scram_creds {
    unsigned char salt[SCRAM_SALT_LEN];
    size_t salt_len;
    unsigned iterations;
    struct scram_keys sha1;
    struct scram_keys sha256;
};

/* Derives StoredKey/ServerKey for password with salt and iteration count. Returns PL_OK. */
int scram_derive(enum scram_hash h, const char *password, const unsigned char *salt,
                 size_t salt_len, unsigned iterations, struct scram_keys *out);
/* Fills out with a random salt and the keys of both hashes, derived from the SASLprep'd
 * password (prep.h, PREP_STORE). Returns PL_OK, PL_EINVAL when SASLprep refuses the password,
 * or PL_EIO. */
int scram_creds_make(const char *password, unsigned iterations, struct scram_creds *out);
/* Checks a plaintext password (SASL PLAIN), SASLprep'd first, against stored credentials in
 * constant time. False also when SASLprep refuses it. */
bool scram_creds_check(const struct scram_creds *c, const char *password);

enum scram_state { SCRAM_INIT, SCRAM_SENT_FIRST, SCRAM_DONE };

/* One server-side SCRAM exchange; caller's storage, scram_server_init/_fini. */
struct scram_server {
    enum scram_hash hash;
    enum scram_state state;
    char *username;          /* decoded authcid, owned */
    char *client_first_bare; /* owned */
    char *server_first;      /* owned */
    char *nonce;             /* client nonce + server nonce, owned */
    char *gs2_header;        /* owned */
    bool known_user;
    struct scram_keys keys;
};

void scram_server_init(struct scram_server *s, enum scram_hash h);
void scram_server_fini(struct scram_server *s);
/* Parses client-first-message; on PL_OK s->username is set. PL_EINVAL when malformed. */
int scram_server_client_first(struct scram_server *s, const char *msg, size_t len);
/*
 * Appends server-first-message to out. creds is NULL for an unknown user: the exchange goes
 * on with credentials derived from a process secret so that the answer does not reveal which
 * accounts exist, and ends in PL_EAUTH. server_nonce is printable, no commas.
 */
int scram_server_challenge(struct scram_server *s, const struct scram_creds *creds,
                           const char *server_nonce, struct buf *out);
/* Verifies client-final-message; on PL_OK appends server-final-message to out.
 * PL_EAUTH on a wrong proof or unknown user, PL_EINVAL when malformed. */
int scram_server_client_final(struct scram_server *s, const char *msg, size_t len,
                              struct buf *out);

/* Splits a SASL PLAIN message "authzid\0authcid\0passwd" into owned strings.
 * Returns PL_OK or PL_EINVAL. authzid is "" when absent. */
int sasl_plain_parse(const char *msg, size_t len, char **authzid, char **authcid, char **passwd);

/* Base64 via OpenSSL. encode appends to out; decode returns an owned buffer (NUL-terminated)
 * and its length in *outlen, or NULL when the input is not valid base64. "=" decodes to "". */
void b64_encode(const void *data, size_t len, struct buf *out);
unsigned char *b64_decode(const char *s, size_t len, size_t *outlen);

/* Fills buf with n random printable nonce characters (no ','), NUL-terminated (buf has n+1). */
int scram_random_nonce(char *buf, size_t n);

#endif
