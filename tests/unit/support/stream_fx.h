/* SPDX-License-Identifier: MIT */
/* Stream owners' hooks the stream tests share: every login allowed, the account user@localhost
 * with the password "pencil", resources bound as asked (or "r"). */
#ifndef PL_STREAM_FX_H
#define PL_STREAM_FX_H

#include <stdbool.h>

#include "stream.h"

int fx_auth_ok(void *ctx, const char *bare);
void fx_auth_refund(void *ctx, const char *bare);
void fx_auth_result(void *ctx, const char *bare, bool ok);
void fx_starttls(void *ctx);
int fx_creds_pencil(void *ctx, const char *bare, struct scram_creds *out);
int fx_bind_user(void *ctx, const char *resource, struct jid **full);

#endif
