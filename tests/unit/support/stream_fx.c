/* SPDX-License-Identifier: MIT */
/* Stream owners' hooks the stream tests share. */
#include "stream_fx.h"

#include "base.h"

int fx_auth_ok(void *ctx, const char *bare)
{
    (void)ctx, (void)bare;
    return PL_OK;
}

void fx_auth_refund(void *ctx, const char *bare) { (void)ctx, (void)bare; }

void fx_auth_result(void *ctx, const char *bare, bool ok) { (void)ctx, (void)bare, (void)ok; }

void fx_starttls(void *ctx) { (void)ctx; }

int fx_creds_pencil(void *ctx, const char *bare, struct scram_creds *out)
{
    (void)ctx, (void)bare;
    return scram_creds_make("pencil", SCRAM_MIN_ITERATIONS, out);
}

int fx_bind_user(void *ctx, const char *resource, struct jid **full)
{
    (void)ctx;
    struct jid *user = jid_parse("user@localhost");
    *full = jid_with_resource(user, resource ? resource : "r");
    jid_free(user);
    return PL_OK;
}
