/* SPDX-License-Identifier: MIT */
/* Login and registration throttling: buckets per source and per source and account. */
#include "auth_guard.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "log.h"
#include "loglimit.h"

#define GUARD_MAX_KEYS 65536
#define GUARD_LOG_INTERVAL_MS 60000
#define REGISTER_PREFIX "register/"

/* No bucket is kept per account alone: failures from many sources would then lock the
 * account's owner out everywhere. The owner's own source stays usable unless it fails. */
struct auth_guard {
    struct throttle *source;  /* login attempts per source */
    struct throttle *account; /* per source and account; registrations per source */
    struct loglimit *log;     /* refusals logged per source */
};

struct auth_guard *auth_guard_new(long per_source, long per_account)
{
    struct auth_guard *g = xcalloc(1, sizeof(*g));
    g->source = throttle_new(per_source, GUARD_MAX_KEYS);
    g->account = throttle_new(per_account, GUARD_MAX_KEYS);
    g->log = loglimit_new(GUARD_LOG_INTERVAL_MS, GUARD_MAX_KEYS);
    return g;
}

void auth_guard_free(struct auth_guard *g)
{
    if (!g)
        return;
    throttle_free(g->source);
    throttle_free(g->account);
    loglimit_free(g->log);
    free(g);
}

/* '|' appears neither in a source key nor in base64; a registration key has none. */
void auth_guard_pair_key(const char *source, const char *bare, char out[AUTH_GUARD_KEY_LEN])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)bare, strlen(bare), digest);
    int n = snprintf(out, THROTTLE_SOURCE_LEN + 1, "%.*s|", THROTTLE_SOURCE_LEN - 1, source);
    EVP_EncodeBlock((unsigned char *)out + n, digest, sizeof(digest)); /* 44 chars and NUL */
}

static void log_refusal(struct auth_guard *g, const char *tag, const char *source,
                        const char *bare, uint64_t now)
{
    unsigned long held;
    if (!loglimit_pass(g->log, source, now, &held))
        return;
    char note[64] = "";
    if (held)
        snprintf(note, sizeof(note), "; %lu more throttled since the previous line", held);
    /* The limiter is per source: the account named is only this attempt's. */
    log_warn(tag, "logins from %s throttled after repeated failures%s%s%s%s", source,
             bare ? " (this one for " : "", bare ? bare : "", bare ? ")" : "", note);
}

/* Does source, and source with bare unless it is NULL, have a token? pair is bare's key. */
static bool have_tokens(struct auth_guard *g, const char *source, const char *pair,
                        uint64_t now)
{
    return throttle_allowed(g->source, source, now) &&
           (!pair || throttle_allowed(g->account, pair, now));
}

bool auth_guard_allowed(struct auth_guard *g, const char *tag, const char *source,
                        const char *bare, uint64_t now_ms)
{
    char pair[AUTH_GUARD_KEY_LEN];
    if (bare)
        auth_guard_pair_key(source, bare, pair);
    if (have_tokens(g, source, bare ? pair : NULL, now_ms))
        return true;
    log_refusal(g, tag, source, bare, now_ms);
    return false;
}

bool auth_guard_charge(struct auth_guard *g, const char *tag, const char *source,
                       const char *bare, uint64_t now_ms)
{
    char pair[AUTH_GUARD_KEY_LEN];
    if (bare)
        auth_guard_pair_key(source, bare, pair);
    if (!have_tokens(g, source, bare ? pair : NULL, now_ms)) {
        log_refusal(g, tag, source, bare, now_ms);
        return false;
    }
    throttle_charge(g->source, source, now_ms);
    if (bare)
        throttle_charge(g->account, pair, now_ms);
    return true;
}

void auth_guard_refund(struct auth_guard *g, const char *source, const char *bare,
                       uint64_t now_ms)
{
    throttle_refund(g->source, source, now_ms);
    if (bare) {
        char pair[AUTH_GUARD_KEY_LEN];
        auth_guard_pair_key(source, bare, pair);
        throttle_refund(g->account, pair, now_ms);
    }
}

bool auth_guard_register(struct auth_guard *g, const char *source, uint64_t now_ms)
{
    char key[sizeof(REGISTER_PREFIX) + THROTTLE_SOURCE_LEN];
    snprintf(key, sizeof(key), REGISTER_PREFIX "%s", source);
    return throttle_charge(g->account, key, now_ms);
}

static void log_held(void *ctx, const char *source, unsigned long held)
{
    (void)ctx;
    log_warn("auth", "%lu more logins from %s throttled since the previous line", held, source);
}

void auth_guard_tick(struct auth_guard *g, uint64_t now_ms)
{
    loglimit_flush(g->log, now_ms, log_held, NULL);
}
