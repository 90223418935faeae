/* SPDX-License-Identifier: MIT */
/* The server's TLS context. */
#ifndef PL_TLS_H
#define PL_TLS_H

typedef struct ssl_ctx_st SSL_CTX;

/* Builds a server SSL_CTX from PEM files (TLS 1.2+, released idle buffers).
 * Returns NULL (reason logged) when the files cannot be used. */
SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file);

#endif
