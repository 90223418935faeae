/* SPDX-License-Identifier: MIT */
/* Builds the one SSL_CTX every TLS connection (STARTTLS or direct) is made from. */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "log.h"

static void log_ssl_error(const char *what, const char *file)
{
    char msg[256] = "";
    ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
    log_error("tls", "%s %s: %s", what, file, msg);
    ERR_clear_error();
}

static bool is_mismatch(unsigned long err)
{
    int reason = ERR_GET_REASON(err);
    return ERR_GET_LIB(err) == ERR_LIB_X509 &&
           (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH);
}

SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Idle connections give their 34 KiB of record buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* XMPP clients resume streams (XEP-0198), not TLS sessions; as Prosody does by default,
     * offer no tickets and keep no session cache: each ticket costs a login about 35 us and
     * each cached TLS 1.2 session about 1 KiB. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* No read-ahead: libevent's TLS bufferevent goes on reading only while SSL_pending() says
     * so, and that ignores records OpenSSL has read but not yet decrypted; they would wait. */
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        log_ssl_error("cannot load certificate", cert_file);
        goto fail;
    }
    /* OpenSSL compares the key with the certificate as it loads it; say so plainly. */
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        if (is_mismatch(ERR_peek_last_error())) {
            ERR_clear_error();
            log_error("tls", "private key %s does not match certificate %s", key_file,
                      cert_file);
        } else {
            log_ssl_error("cannot load private key", key_file);
        }
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
