/* SPDX-License-Identifier: MIT */
/* Login and registration throttling: buckets per source and per source and account. */
#include "auth_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "log.h"
#include "loglimit.h"
#include "throttle.h"

#define GUARD_MAX_KEYS 65536
#define GUARD_LOG_INTERVAL_MS 60000

/* No bucket is kept per account alone: failures from many sources would then lock the
 * account's owner out everywhere. The owner's own source stays usable unless it fails. */
struct auth_guard {
    struct throttle *source;  /* failed logins per source */
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

/* "source|bare", owned; '|' appears in neither an address nor a bare JID's domain. */
static char *pair_key(const char *prefix, const char *source, const char *bare)
{
    size_t n = strlen(prefix) + strlen(source) + strlen(bare) + 2;
    char *k = xmalloc(n);
    snprintf(k, n, "%s%s|%s", prefix, source, bare);
    return k;
}

static void log_refusal(struct auth_guard *g, const char *tag, const char *source,
                        const char *bare)
{
    unsigned long held;
    if (!loglimit_pass(g->log, source, throttle_now_ms(), &held))
        return;
    if (held)
        log_warn(tag, "login%s%s from %s throttled after repeated failures; %lu more throttled "
                 "attempts from %s suppressed", bare ? " for " : "", bare ? bare : "", source,
                 held, source);
    else
        log_warn(tag, "login%s%s from %s throttled after repeated failures", bare ? " for " : "",
                 bare ? bare : "", source);
}

bool auth_guard_may_start(struct auth_guard *g, const char *tag, const char *source)
{
    if (throttle_allowed(g->source, source, throttle_now_ms()))
        return true;
    log_refusal(g, tag, source, NULL);
    return false;
}

bool auth_guard_charge(struct auth_guard *g, const char *tag, const char *source,
                       const char *bare)
{
    uint64_t now = throttle_now_ms();
    char *pair = bare ? pair_key("", source, bare) : NULL;
    bool ok = throttle_allowed(g->source, source, now) &&
              (!pair || throttle_allowed(g->account, pair, now));
    if (ok) {
        throttle_charge(g->source, source, now);
        if (pair)
            throttle_charge(g->account, pair, now);
    } else {
        log_refusal(g, tag, source, bare);
    }
    free(pair);
    return ok;
}

void auth_guard_refund(struct auth_guard *g, const char *source, const char *bare)
{
    uint64_t now = throttle_now_ms();
    throttle_refund(g->source, source, now);
    if (bare) {
        char *pair = pair_key("", source, bare);
        throttle_refund(g->account, pair, now);
        free(pair);
    }
}

bool auth_guard_register(struct auth_guard *g, const char *source)
{
    char *key = pair_key("register/", source, "");
    bool ok = throttle_charge(g->account, key, throttle_now_ms());
    free(key);
    return ok;
}

static void log_held(void *ctx, const char *source, unsigned long held)
{
    (void)ctx;
    log_warn("auth", "%lu more throttled login attempts from %s suppressed", held, source);
}

void auth_guard_tick(struct auth_guard *g)
{
    loglimit_flush(g->log, throttle_now_ms(), log_held, NULL);
}
