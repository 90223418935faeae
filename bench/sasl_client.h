/* SPDX-License-Identifier: MIT */
/* Client side of SASL: SCRAM-SHA-256/SHA-1 (RFC 5802, RFC 7677) with cached keys, and PLAIN. */
#ifndef PB_SASL_CLIENT_H
#define PB_SASL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "keycache.h"
#include "opts.h"
#include "scram.h"

enum sasl_client_state { SASLC_FIRST, SASLC_FINAL, SASLC_DONE };

/* One exchange; caller's storage, sasl_client_init/_fini. */
struct sasl_client {
    int mech; /* enum bench_sasl */
    enum sasl_client_state state;
    const char *user;     /* borrowed */
    const char *password; /* borrowed */
    char cnonce[SCRAM_NONCE_LEN + 1];
    struct buf first_bare; /* client-first-message-bare */
    unsigned char server_sig[SCRAM_KEY_MAX];
};

/* The mechanism name for <auth mechanism='...'/>. */
const char *sasl_client_mech_name(int mech);
void sasl_client_init(struct sasl_client *sc, int mech, const char *user, const char *password);
void sasl_client_fini(struct sasl_client *sc);
/* Appends the initial response (raw, not base64) to out. Returns PL_OK or PL_EIO. */
int sasl_client_start(struct sasl_client *sc, struct buf *out);
/*
 * sasl_client_start with a given client nonce instead of a random one (the RFC test vectors):
 * printable, no ',', 1 to SCRAM_NONCE_LEN characters. PLAIN ignores it. PL_OK or PL_EINVAL.
 */
int sasl_client_start_nonce(struct sasl_client *sc, const char *cnonce, struct buf *out);
/*
 * Answers a challenge (raw bytes): server-first gets client-final appended to out, using kc
 * for the keys; a server-final sent as a challenge is verified and answered empty.
 * Returns PL_OK, PL_EINVAL for a malformed challenge, PL_EAUTH for a bad server signature.
 */
int sasl_client_challenge(struct sasl_client *sc, struct keycache *kc, const char *msg,
                          size_t len, struct buf *out);
/* Checks the additional data of <success/> (server-final for SCRAM). PL_OK or PL_EAUTH. */
int sasl_client_success(struct sasl_client *sc, const char *msg, size_t len);

#endif
