/* SPDX-License-Identifier: MIT */
/* The stream owner the fuzz targets share: a user/pencil account, every other hook a stub. */
#include "fuzz_hooks.h"

#include <stdbool.h>
#include <string.h>

#include "base.h"
#include "stanza.h"

/* The stream pretends to be on direct TLS so that PLAIN (user/pencil) can log in and the
 * fuzzer reaches the bound state without computing SCRAM proofs. */
static int fz_allowed(void *ctx, const char *bare)
{
    (void)ctx, (void)bare;
    return PL_OK;
}

static int fz_charge(void *ctx, const char *bare)
{
    (void)ctx;
    return bare && strncmp(bare, "slow", 4) == 0 ? PL_ELIMIT : PL_OK;
}

static void fz_refund(void *ctx, const char *bare) { (void)ctx, (void)bare; }

static int fz_creds(void *ctx, const char *bare, struct scram_creds *out)
{
    static struct scram_creds creds;
    static int made;
    (void)ctx;
    if (strcmp(bare, "user@localhost") != 0)
        return PL_ENOTFOUND;
    if (!made) {
        memset(&creds, 0, sizeof(creds));
        creds.salt_len = 4;
        memcpy(creds.salt, "salt", 4);
        creds.iterations = 4096;
        scram_derive(SCRAM_SHA1, "pencil", creds.salt, 4, 4096, &creds.sha1);
        scram_derive(SCRAM_SHA256, "pencil", creds.salt, 4, 4096, &creds.sha256);
        made = 1;
    }
    *out = creds;
    return PL_OK;
}

static void fz_result(void *ctx, const char *bare, bool ok) { (void)ctx, (void)bare, (void)ok; }
static void fz_starttls(void *ctx) { (void)ctx; }
static void fz_closed(void *ctx) { (void)ctx; }
static void fz_stanza(void *ctx, struct stanza *st)
{
    (void)ctx;
    stanza_unref(st);
}

static int fz_bind(void *ctx, const char *resource, struct jid **full)
{
    (void)ctx;
    *full = jid_make("user", "localhost", resource ? resource : "generated");
    return *full ? PL_OK : PL_EINVAL;
}

const struct stream_hooks fuzz_hooks = {
    .starttls = fz_starttls, .auth_allowed = fz_allowed, .auth_charge = fz_charge,
    .auth_refund = fz_refund, .get_creds = fz_creds, .auth_result = fz_result,
    .bind = fz_bind, .stanza = fz_stanza, .closed = fz_closed,
};

const struct stream_config fuzz_cfg = {
    .domain = "localhost",
    .limits = { .max_stanza_bytes = 4096, .max_depth = 16, .max_attrs = 16 },
    .max_bytes_before_auth = 8192,
    .tls_available = true,
    .registration = true,
    .max_auth_failures = 3,
};

