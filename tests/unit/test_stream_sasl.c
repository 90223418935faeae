/* SPDX-License-Identifier: MIT */
/* Table-driven tests of what SASL attempts cost a stream: one charge per stream and account,
 * taken when password work starts, refunded on success; retries need a token but take none;
 * throttled answers count toward closing the stream. Also PLAIN's authzid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "stream.h"

/* Base64 payloads: PLAIN "\0user\0pencil", "\0user\0wrong", "\0a@b\0x" (no usable name);
 * "no-nuls", "\0broken\0x", "\0other\0x"; SCRAM client-first "n,,n=user,r=abcdefgh". */
#define AUTH(mech, b64) "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" mech \
                        "'>" b64 "</auth>"
#define PLAIN_RIGHT AUTH("PLAIN", "AHVzZXIAcGVuY2ls")
#define PLAIN_WRONG AUTH("PLAIN", "AHVzZXIAd3Jvbmc=")
#define PLAIN_NONAME AUTH("PLAIN", "AGFAYgB4")
#define PLAIN_MALFORMED AUTH("PLAIN", "bm8tbnVscw==")
#define PLAIN_BROKEN AUTH("PLAIN", "AGJyb2tlbgB4")
#define PLAIN_OTHER AUTH("PLAIN", "AG90aGVyAHg=")
#define SCRAM_FIRST AUTH("SCRAM-SHA-256", "biwsbj11c2VyLHI9YWJjZGVmZ2g=")
/* PLAIN "<authzid>\0user\0pencil" with authzid USER@localhost, user@LOCALHOST,
 * other@localhost, user@localhost/res and user. */
#define AZ_UPPER AUTH("PLAIN", "VVNFUkBsb2NhbGhvc3QAdXNlcgBwZW5jaWw=")
#define AZ_DOMAIN AUTH("PLAIN", "dXNlckBMT0NBTEhPU1QAdXNlcgBwZW5jaWw=")
#define AZ_OTHER AUTH("PLAIN", "b3RoZXJAbG9jYWxob3N0AHVzZXIAcGVuY2ls")
#define AZ_RESOURCE AUTH("PLAIN", "dXNlckBsb2NhbGhvc3QvcmVzAHVzZXIAcGVuY2ls")
#define AZ_NODOMAIN AUTH("PLAIN", "dXNlcgB1c2VyAHBlbmNpbA==")
#define ABORT "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"

/* A throttle with two buckets, as server/auth_guard.c keeps them: the source's, and the
 * source with an account's (one bucket for every account here). */
struct fake {
    int source, account; /* tokens left */
    int charges, refunds, results;
    char charged[64], refunded[64];
};

static bool fk_have(const struct fake *f, const char *bare)
{
    return f->source >= 1 && (!bare || f->account >= 1);
}

static int fk_allowed(void *ctx, const char *bare)
{
    return fk_have(ctx, bare) ? PL_OK : PL_ELIMIT;
}

static int fk_charge(void *ctx, const char *bare)
{
    struct fake *f = ctx;
    if (!fk_have(f, bare))
        return PL_ELIMIT;
    f->source--;
    f->account -= bare != NULL;
    f->charges++;
    snprintf(f->charged, sizeof(f->charged), "%s", bare ? bare : "(none)");
    return PL_OK;
}

static void fk_refund(void *ctx, const char *bare)
{
    struct fake *f = ctx;
    f->source++;
    f->account += bare != NULL;
    f->refunds++;
    snprintf(f->refunded, sizeof(f->refunded), "%s", bare ? bare : "(none)");
}

static void fk_result(void *ctx, const char *bare, bool ok)
{
    (void)bare, (void)ok;
    ((struct fake *)ctx)->results++;
}

/* One account, user@localhost with password "pencil"; storage fails for broken@localhost. */
static int fk_creds(void *ctx, const char *bare, struct scram_creds *out)
{
    (void)ctx;
    if (strcmp(bare, "broken@localhost") == 0)
        return PL_EIO;
    if (strcmp(bare, "user@localhost") != 0)
        return PL_ENOTFOUND;
    return scram_creds_make("pencil", SCRAM_MIN_ITERATIONS, out);
}

static void fk_starttls(void *ctx) { (void)ctx; }
static int fk_bind(void *ctx, const char *resource, struct jid **full)
{
    (void)ctx, (void)resource, (void)full;
    return PL_EINVAL;
}
static void fk_stanza(void *ctx, struct stanza *st)
{
    (void)ctx;
    stanza_unref(st);
}

static const struct stream_hooks hooks = {
    .starttls = fk_starttls, .auth_allowed = fk_allowed, .auth_charge = fk_charge,
    .auth_refund = fk_refund, .auth_result = fk_result, .get_creds = fk_creds,
    .bind = fk_bind, .stanza = fk_stanza,
};

static const struct stream_config cfg = {
    .domain = "localhost",
    .limits = { .max_stanza_bytes = 4096, .max_depth = 16, .max_attrs = 16 },
    .max_bytes_before_auth = 65536,
    .tls_available = true,
    .max_auth_failures = 3,
};

struct sasl_case {
    const char *name;
    int source, account; /* tokens in the fake throttle's buckets */
    const char *send[5];
    const char *want[5]; /* per element sent: success, challenge, a failure condition, and
                          * "+closed" when the stream ended with policy-violation */
    int charges, refunds;
    const char *charged, *refunded;
};

static const struct sasl_case cases[] = {
    { "right password: charged, then refunded", 9, 9, { PLAIN_RIGHT },
      { "success" }, 1, 1, "user@localhost", "user@localhost" },
    { "wrong three times: charged once, closed", 9, 9,
      { PLAIN_WRONG, PLAIN_WRONG, PLAIN_WRONG },
      { "not-authorized", "not-authorized", "not-authorized+closed" }, 1, 0, "user@localhost",
      "" },
    { "wrong, then right: the failure's charge stays", 9, 9,
      { PLAIN_WRONG, PLAIN_RIGHT }, { "not-authorized", "success" }, 1, 0, "user@localhost",
      "" },
    { "SCRAM charged at client-first, before any proof", 9, 9, { SCRAM_FIRST, ABORT },
      { "challenge", "aborted" }, 1, 0, "user@localhost", "" },
    { "an aborted exchange's charge covers the next attempt", 9, 9,
      { SCRAM_FIRST, ABORT, PLAIN_RIGHT }, { "challenge", "aborted", "success" }, 1, 1,
      "user@localhost", "user@localhost" },
    { "another account on the same stream is charged again", 9, 9,
      { PLAIN_WRONG, PLAIN_OTHER, PLAIN_OTHER },
      { "not-authorized", "not-authorized", "not-authorized+closed" }, 2, 0, "other@localhost",
      "" },
    { "an unusable name is charged to the source", 9, 9, { PLAIN_NONAME },
      { "not-authorized" }, 1, 0, "(none)", "" },
    { "each account named is charged; a success refunds only its own", 9, 9,
      { PLAIN_NONAME, PLAIN_RIGHT }, { "not-authorized", "success" }, 2, 1, "user@localhost",
      "user@localhost" },
    { "malformed input costs nothing", 9, 9, { PLAIN_MALFORMED, PLAIN_RIGHT },
      { "malformed-request", "success" }, 1, 1, "user@localhost", "user@localhost" },
    { "a storage failure is refunded at once", 9, 9, { PLAIN_BROKEN, PLAIN_WRONG },
      { "temporary-auth-failure", "not-authorized" }, 2, 1, "user@localhost",
      "broken@localhost" },
    { "throttled source: refused before parsing, and the retries close the stream", 0, 9,
      { PLAIN_RIGHT, SCRAM_FIRST, PLAIN_RIGHT },
      { "temporary-auth-failure", "temporary-auth-failure", "temporary-auth-failure+closed" },
      0, 0, "", "" },
    { "throttled account: refused at PLAIN and at client-first, and closed", 9, 0,
      { PLAIN_RIGHT, SCRAM_FIRST, PLAIN_RIGHT },
      { "temporary-auth-failure", "temporary-auth-failure", "temporary-auth-failure+closed" },
      0, 0, "", "" },
    { "a retry on a charged stream needs a source token, and takes none", 1, 9,
      { PLAIN_WRONG, PLAIN_WRONG, PLAIN_RIGHT },
      { "not-authorized", "temporary-auth-failure", "temporary-auth-failure+closed" }, 1, 0,
      "user@localhost", "" },
    { "a retry needs a token for its account, and takes none", 9, 1,
      { PLAIN_WRONG, SCRAM_FIRST, PLAIN_RIGHT },
      { "not-authorized", "temporary-auth-failure", "temporary-auth-failure+closed" }, 1, 0,
      "user@localhost", "" },
    { "retries with tokens left are not charged again", 2, 2,
      { PLAIN_WRONG, PLAIN_WRONG, PLAIN_RIGHT }, { "not-authorized", "not-authorized", "success" },
      1, 0, "user@localhost", "" },
    { "an unusable name retried needs a source token", 1, 9, { PLAIN_NONAME, PLAIN_NONAME },
      { "not-authorized", "temporary-auth-failure" }, 1, 0, "(none)", "" },
    { "authzid compared prepared: the local part's case", 9, 9, { AZ_UPPER }, { "success" }, 1,
      1, "user@localhost", "user@localhost" },
    { "authzid compared prepared: the domain's case", 9, 9, { AZ_DOMAIN }, { "success" }, 1, 1,
      "user@localhost", "user@localhost" },
    { "authzid of another account", 9, 9, { AZ_OTHER, AZ_RESOURCE, AZ_NODOMAIN },
      { "invalid-authzid", "invalid-authzid", "invalid-authzid" }, 0, 0, "", "" },
};

/* What one element got: "success", "challenge" or the failure's condition, "+closed" when
 * a policy-violation stream error followed. */
static void classify(const char *out, char *got, size_t n)
{
    const char *f = strstr(out, "<failure");
    if (strstr(out, "<success"))
        snprintf(got, n, "success");
    else if (strstr(out, "<challenge"))
        snprintf(got, n, "challenge");
    else if (f && (f = strstr(f, "><")))
        snprintf(got, n, "%.*s", (int)strcspn(f + 2, " />"), f + 2);
    else
        snprintf(got, n, "nothing");
    if (strstr(out, "policy-violation"))
        snprintf(got + strlen(got), n - strlen(got), "+closed");
}

static const char header[] = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                             "xmlns:stream='http://etherx.jabber.org/streams' "
                             "to='localhost' version='1.0'>";

static void run_case(const struct sasl_case *c)
{
    struct fake f = { .source = c->source, .account = c->account };
    struct stream *s = stream_new(&cfg, &hooks, &f, true, false);
    assert_int_equal(stream_feed(s, header, strlen(header)), PL_OK);
    for (size_t i = 0; c->send[i]; i++) {
        struct buf *out = stream_output(s);
        buf_reset(out);
        stream_feed(s, c->send[i], strlen(c->send[i]));
        buf_append(out, "", 1);
        char got[64];
        classify(out->data, got, sizeof(got));
        if (strcmp(got, c->want[i]) != 0)
            fail_msg("%s: element %zu: got %s, want %s", c->name, i, got, c->want[i]);
    }
    if (f.charges != c->charges || f.refunds != c->refunds ||
        strcmp(f.charged, c->charged) != 0 || strcmp(f.refunded, c->refunded) != 0)
        fail_msg("%s: %d charges (%s), %d refunds (%s)", c->name, f.charges, f.charged,
                 f.refunds, f.refunded);
    stream_free(s);
}

static void test_sasl_charges(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sasl_charges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
