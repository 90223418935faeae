/* SPDX-License-Identifier: MIT */
/* SASL negotiation (RFC 6120 §6): SCRAM-SHA-256, SCRAM-SHA-1, and PLAIN over TLS only. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "stream_int.h"

struct mech_row {
    const char *name;
    enum sasl_mech mech;
    bool needs_tls;
};

/* Offered in this order of preference. */
static const struct mech_row mechs[] = {
    { "SCRAM-SHA-256", MECH_SCRAM_SHA256, false },
    { "SCRAM-SHA-1", MECH_SCRAM_SHA1, false },
    { "PLAIN", MECH_PLAIN, true },
};

void sasl_features(struct stream *s, struct stanza *st, struct xel *features)
{
    struct xel *m = xel_add_child(st, features, "mechanisms", NS_SASL);
    for (size_t i = 0; i < ARRAY_LEN(mechs); i++) {
        if (mechs[i].needs_tls && !s->tls_active)
            continue;
        xel_add_text_child(st, m, "mechanism", mechs[i].name);
    }
}

void sasl_reset(struct stream *s)
{
    if (s->scram) {
        scram_server_fini(s->scram);
        free(s->scram);
        s->scram = NULL;
    }
    s->mech = MECH_NONE;
}

void sasl_failure(struct stream *s, const char *condition)
{
    struct stanza *st = stanza_new("failure", NS_SASL);
    xel_add_child(st, st->root, condition, NS_SASL);
    stream_write_el(s, st->root);
    stanza_unref(st);
}

static void add_b64_text(struct stanza *st, struct xel *el, const char *data, size_t len)
{
    struct buf b;
    buf_init(&b);
    b64_encode(data, len, &b);
    xel_add_text(st, el, b.data ? b.data : "", b.len);
    buf_fini(&b);
}

/* A failed attempt. A wrong password keeps the stream's charge; it and a refusal by the
 * throttle count toward closing the stream, so retrying while throttled ends it too. */
static void fail_auth(struct stream *s, const char *condition, const char *bare)
{
    bool wrong = strcmp(condition, "not-authorized") == 0;
    bool counts = wrong || strcmp(condition, "temporary-auth-failure") == 0;
    if (wrong) {
        s->charge = CHARGE_KEPT;
        s->hooks->auth_result(s->ctx, bare, false);
    }
    sasl_reset(s);
    sasl_failure(s, condition);
    if (counts && ++s->auth_failures >= s->cfg->max_auth_failures)
        stream_error(s, "policy-violation", "too many failed authentication attempts");
}

static void succeed(struct stream *s, const char *bare, const struct buf *final)
{
    struct stanza *st = stanza_new("success", NS_SASL);
    if (final && final->len)
        add_b64_text(st, st->root, final->data, final->len);
    stream_write_el(s, st->root);
    stanza_unref(st);
    sasl_reset(s);
    s->user = xstrdup(bare);
    if (s->charge == CHARGE_PENDING)
        s->hooks->auth_refund(s->ctx, s->charged_user);
    s->hooks->auth_result(s->ctx, bare, true);
    s->restart = true;
    parser_stop(s->parser);
}

/* The account a SASL authcid names, as an owned bare JID string; NULL when invalid. */
static char *user_for(struct stream *s, const char *authcid)
{
    struct jid *j = jid_make(authcid, s->cfg->domain, NULL);
    if (!j)
        return NULL;
    char *bare = xstrdup(j->bare);
    jid_free(j);
    return bare;
}

/* Does a PLAIN authzid name the account bare? Both are compared prepared (RFC 6120 §6.3.8:
 * the authzid is a bare JID), so "ALICE@localhost" is alice@localhost; a resource or
 * another account is refused. */
static bool authzid_matches(const char *authzid, const char *bare)
{
    struct jid *j = jid_parse(authzid);
    bool same = j && !j->resource && strcmp(j->bare, bare) == 0;
    jid_free(j);
    return same;
}

static bool same_user(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Charges a stream once per account it names, before any password work: a client retrying
 * other mechanisms for the same account rides on the first charge, while naming another
 * account pays again (or that account's bucket would never see the attempt). A retry still
 * needs a whole token left, or a source with empty buckets would get max_auth_failures
 * password checks per connection. Returns PL_OK, or PL_ELIMIT when the throttle refuses. */
static int charge_attempt(struct stream *s, const char *bare)
{
    if (s->charge != CHARGE_NONE && same_user(bare, s->charged_user))
        return s->hooks->auth_allowed(s->ctx, bare) == PL_OK ? PL_OK : PL_ELIMIT;
    if (s->hooks->auth_charge(s->ctx, bare) != PL_OK)
        return PL_ELIMIT;
    s->charge = CHARGE_PENDING; /* an earlier account's charge stays spent */
    free(s->charged_user);
    s->charged_user = bare ? xstrdup(bare) : NULL;
    return PL_OK;
}

/* No password was checked (storage failed): the client is not made to pay for it. */
static void uncharge(struct stream *s)
{
    if (s->charge != CHARGE_PENDING)
        return;
    s->hooks->auth_refund(s->ctx, s->charged_user);
    s->charge = CHARGE_NONE;
    free(s->charged_user);
    s->charged_user = NULL;
}

/* Charges the attempt, then looks up credentials (none for an unusable name, bare NULL):
 * PL_OK, PL_ENOTFOUND, or a failure written. */
static int fetch_creds(struct stream *s, const char *bare, struct scram_creds *c)
{
    int rc = charge_attempt(s, bare);
    if (rc == PL_OK)
        rc = bare ? s->hooks->get_creds(s->ctx, bare, c) : PL_ENOTFOUND;
    if (rc != PL_OK && rc != PL_ENOTFOUND && rc != PL_ELIMIT)
        uncharge(s);
    if (rc != PL_OK && rc != PL_ENOTFOUND)
        fail_auth(s, "temporary-auth-failure", bare);
    return rc;
}

/* The same PBKDF2 work a real account costs, so timing does not tell who exists. */
static void unknown_user_delay(const char *passwd)
{
    static const unsigned char salt[SCRAM_SALT_LEN] = "parley-no-user";
    struct scram_keys k;
    scram_derive(SCRAM_SHA256, passwd, salt, sizeof(salt), SCRAM_MIN_ITERATIONS, &k);
}

static void plain_auth(struct stream *s, const char *msg, size_t len)
{
    char *authzid = NULL, *authcid = NULL, *passwd = NULL, *bare = NULL;
    struct scram_creds c;
    if (sasl_plain_parse(msg, len, &authzid, &authcid, &passwd) != PL_OK) {
        fail_auth(s, "malformed-request", NULL);
        goto done;
    }
    bare = user_for(s, authcid);
    if (!bare) {
        if (fetch_creds(s, NULL, &c) == PL_ENOTFOUND) /* still charged to this source */
            fail_auth(s, "not-authorized", NULL);
        goto done;
    }
    if (*authzid && !authzid_matches(authzid, bare)) {
        fail_auth(s, "invalid-authzid", NULL);
        goto done;
    }
    int rc = fetch_creds(s, bare, &c);
    if (rc == PL_ENOTFOUND)
        unknown_user_delay(passwd); /* answer as slowly as for a real account */
    if (rc == PL_OK && scram_creds_check(&c, passwd))
        succeed(s, bare, NULL);
    else if (rc == PL_OK || rc == PL_ENOTFOUND)
        fail_auth(s, "not-authorized", bare);
done:
    if (passwd)
        memset(passwd, 0, strlen(passwd));
    free(authzid), free(authcid), free(passwd), free(bare);
}

static void send_challenge(struct stream *s, const struct buf *b)
{
    struct stanza *st = stanza_new("challenge", NS_SASL);
    if (b && b->len)
        add_b64_text(st, st->root, b->data, b->len);
    stream_write_el(s, st->root);
    stanza_unref(st);
}

static void scram_first(struct stream *s, const char *msg, size_t len)
{
    s->scram = xcalloc(1, sizeof(*s->scram));
    scram_server_init(s->scram, s->mech == MECH_SCRAM_SHA1 ? SCRAM_SHA1 : SCRAM_SHA256);
    if (scram_server_client_first(s->scram, msg, len) != PL_OK) {
        fail_auth(s, "malformed-request", NULL);
        return;
    }
    char *bare = user_for(s, s->scram->username);
    struct scram_creds c;
    int rc = fetch_creds(s, bare, &c);
    if (rc == PL_OK || rc == PL_ENOTFOUND) {
        char nonce[SCRAM_NONCE_LEN + 1];
        struct buf b;
        buf_init(&b);
        /* An unknown user gets a plausible challenge and fails at the proof. */
        if (scram_random_nonce(nonce, SCRAM_NONCE_LEN) == PL_OK &&
            scram_server_challenge(s->scram, rc == PL_OK ? &c : NULL, nonce, &b) == PL_OK)
            send_challenge(s, &b);
        else
            fail_auth(s, "temporary-auth-failure", NULL);
        buf_fini(&b);
    }
    free(bare);
}

static void scram_final(struct stream *s, const char *msg, size_t len)
{
    char *bare = user_for(s, s->scram->username);
    struct buf b;
    buf_init(&b);
    int rc = scram_server_client_final(s->scram, msg, len, &b);
    if (rc == PL_OK && bare)
        succeed(s, bare, &b);
    else if (rc == PL_EAUTH || rc == PL_OK)
        fail_auth(s, "not-authorized", bare);
    else
        fail_auth(s, "malformed-request", NULL);
    buf_fini(&b);
    free(bare);
}

static void step(struct stream *s, const char *msg, size_t len)
{
    if (s->mech == MECH_PLAIN)
        plain_auth(s, msg, len);
    else if (!s->scram)
        scram_first(s, msg, len);
    else
        scram_final(s, msg, len);
}

/* Decodes an <auth>/<response> payload; "=" is an empty response (RFC 6120 §6.4.2). */
static void step_b64(struct stream *s, const struct xel *el)
{
    const char *text = xel_text(el);
    size_t n = 0;
    unsigned char *msg = b64_decode(text, strlen(text), &n);
    if (!msg) {
        fail_auth(s, "incorrect-encoding", NULL);
        return;
    }
    step(s, (const char *)msg, n);
    free(msg);
}

static const struct mech_row *find_mech(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(mechs); i++)
        if (strcmp(mechs[i].name, name) == 0)
            return &mechs[i];
    return NULL;
}

static void handle_auth(struct stream *s, const struct xel *el)
{
    sasl_reset(s);
    if (s->hooks->auth_allowed(s->ctx, NULL) != PL_OK) {
        fail_auth(s, "temporary-auth-failure", NULL); /* before any payload is even parsed */
        return;
    }
    const struct mech_row *m = find_mech(xel_attr(el, "mechanism"));
    if (!m) {
        sasl_failure(s, "invalid-mechanism");
        return;
    }
    if (m->needs_tls && !s->tls_active) {
        sasl_failure(s, "encryption-required");
        return;
    }
    s->mech = m->mech;
    if (*xel_text(el) == '\0')
        send_challenge(s, NULL); /* no initial response: ask for it */
    else
        step_b64(s, el);
}

void sasl_handle(struct stream *s, const struct xel *el)
{
    if (strcmp(el->name, "auth") == 0) {
        handle_auth(s, el);
    } else if (strcmp(el->name, "response") == 0 && s->mech != MECH_NONE) {
        step_b64(s, el);
    } else if (strcmp(el->name, "abort") == 0) {
        sasl_reset(s);
        sasl_failure(s, "aborted");
    } else {
        sasl_reset(s);
        sasl_failure(s, "malformed-request");
    }
}
