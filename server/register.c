/* SPDX-License-Identifier: MIT */
/* XEP-0077: account creation before login; password change and account removal after it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_guard.h"
#include "base.h"
#include "clock.h"
#include "transport.h"
#include "hooks.h"
#include "log.h"
#include "module.h"
#include "ns.h"
#include "prep.h"
#include "server.h"
#include "session_end.h"
#include "session.h"

/* Same bound as a JID part: generous for passphrases, small enough to keep input bounded. */
#define REGISTER_PASSWORD_MAX 1023

#define REGISTER_INSTRUCTIONS "Choose a username and password to register with this server."

/* Text of q's <name/> child; NULL when the child is absent, "" when it is empty. */
static const char *get_field(const struct xel *q, const char *name)
{
    const struct xel *el = xel_child(q, name, NS_REGISTER);
    return el ? xel_text(el) : NULL;
}

/*
 * Zeroes the password inside the request's arena. The stanza outlives the handler (the
 * router may copy its payload into an error reply), and an emptied field must not carry it.
 */
static void wipe_password(struct xel *q)
{
    struct xel *pw = xel_child(q, "password", NS_REGISTER);
    for (struct xel *c = pw ? pw->first : NULL; c; c = c->next) {
        if (c->name)
            continue;
        explicit_bzero((char *)c->text, c->text_len); /* arena memory, const only in the API */
        c->text_len = 0;
    }
}

/* Maps a storage result onto the condition XEP-0077 answers with. */
static enum stanza_cond cond_for(int err)
{
    switch (err) {
    case PL_OK: return COND_NONE;
    case PL_EEXIST: return COND_CONFLICT;
    case PL_ENOTFOUND: return COND_ITEM_NOT_FOUND;
    case PL_EINVAL: return COND_NOT_ACCEPTABLE; /* SASLprep refused the password */
    default: return COND_INTERNAL_SERVER_ERROR;
    }
}

/* A name that can be stored: no code point unassigned in Unicode 3.2 (prep.h, PREP_STORE).
 * Nodeprep is idempotent, so the prepared local part stands for what the user sent. */
static bool local_storable(const char *local)
{
    char out[PREP_MAX + 1];
    size_t len;
    return local && prep_localpart(local, strlen(local), PREP_STORE, out, &len) == PREP_OK;
}

/*
 * Checks the <username/> and <password/> fields (XEP-0077 §3.1: missing or unusable data is
 * not-acceptable). On COND_NONE *account is the prepared bare JID (owned) and *password
 * borrows the request's text.
 */
static enum stanza_cond read_credentials(const struct route_ctx *rc, const struct xel *q,
                                         struct jid **account, const char **password)
{
    const char *user = get_field(q, "username");
    const char *pw = get_field(q, "password");

    if (!user || !user[0] || !pw || !pw[0] || strlen(pw) > REGISTER_PASSWORD_MAX)
        return COND_NOT_ACCEPTABLE;
    *account = jid_make(user, rc->srv->cfg.domain, NULL);
    if (!*account || !local_storable((*account)->local)) {
        jid_free(*account);
        *account = NULL;
        return COND_NOT_ACCEPTABLE;
    }
    *password = pw;
    return COND_NONE;
}

/* The registration form for a stream that has not logged in yet. */
static int reply_form(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", NS_REGISTER);

    xel_add_text_child(r, q, "instructions", REGISTER_INSTRUCTIONS);
    xel_add_text_child(r, q, "username", NULL);
    xel_add_text_child(r, q, "password", NULL);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* Before authentication: hand out the form or create an account, when the config allows it. */
static int register_new(struct route_ctx *rc, struct stanza *st, struct xel *q)
{
    struct jid *account = NULL;
    const char *password = NULL;

    if (!rc->srv->cfg.allow_registration)
        return ROUTE_ERROR(COND_SERVICE_UNAVAILABLE);
    if (st->type == IQ_GET)
        return reply_form(rc, st);
    if (xel_child(q, "remove", NS_REGISTER))
        return ROUTE_ERROR(COND_NOT_AUTHORIZED); /* only a logged-in account can cancel */
    /* Every attempt costs PBKDF2 and disk: one source (the key login throttling counts) gets
     * auth_failures_per_minute, and a name that is taken is refused before any key is
     * derived. */
    if (!auth_guard_register(rc->srv->auth_guard, rc->tp->peer_key, clock_now_ms()))
        return ROUTE_ERROR(COND_RESOURCE_CONSTRAINT);
    enum stanza_cond cond = read_credentials(rc, q, &account, &password);
    if (cond != COND_NONE)
        return ROUTE_ERROR(cond);
    if (server_account_exists(rc->srv, account->bare))
        cond = COND_CONFLICT;
    else
        cond = cond_for(module_account_password(rc->srv, account->bare, password, true));
    if (cond == COND_NONE) {
        log_info(rc->tp->tag, "registered %s", account->bare);
        router_reply_result(rc, st);
    }
    jid_free(account);
    return cond == COND_NONE ? ROUTE_DONE : ROUTE_ERROR(cond);
}

/* A logged-in account asking for the form learns that it is registered and as whom. */
static int reply_registered(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *r = stanza_iq_result(st);
    struct xel *q = xel_add_child(r, r->root, "query", NS_REGISTER);

    xel_add_text_child(r, q, "registered", NULL);
    xel_add_text_child(r, q, "username", rc->sess->jid->local);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* XEP-0077 §3.3: the new password must not cross the wire in the clear. */
static int change_password(struct route_ctx *rc, struct stanza *st, struct xel *q)
{
    struct jid *account = NULL;
    const char *password = NULL;
    const char *bare = rc->sess->jid->bare;

    if (!transport_secure(rc->tp))
        return ROUTE_ERROR(COND_NOT_AUTHORIZED);
    enum stanza_cond cond = read_credentials(rc, q, &account, &password);
    if (cond != COND_NONE)
        return ROUTE_ERROR(cond);
    if (strcmp(account->bare, bare) != 0)
        cond = COND_BAD_REQUEST; /* one account may not set another's password */
    else
        cond = cond_for(module_account_password(rc->srv, bare, password, false));
    jid_free(account);
    if (cond != COND_NONE)
        return ROUTE_ERROR(cond);
    log_info(rc->tp->tag, "password changed for %s", bare);
    return router_reply_result(rc, st);
}

/* Closing our own stream detaches rc->sess; it stays allocated until the loop turn ends. */
static int remove_account(struct route_ctx *rc, struct stanza *st)
{
    const char *bare = rc->sess->jid->bare; /* owned by the stream, which outlives the close */
    int err = account_delete(&rc->srv->store, bare);

    /* Already gone (parleyctl deluser meanwhile) is what was asked for. */
    if (err != PL_OK && err != PL_ENOTFOUND)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    log_info(rc->tp->tag, "account %s removed by its owner", bare);
    hooks_account_deleted(rc->srv, bare);
    router_reply_result(rc, st);
    /* its other streams end: their login no longer exists (XEP-0077 §3.2) */
    session_kick_account(rc->srv, bare, rc->sess, "not-authorized", "account removed");
    rc->tp->ops->close(rc->tp, "not-authorized", "account removed");
    return ROUTE_DONE;
}

static int register_bound(struct route_ctx *rc, struct stanza *st, struct xel *q)
{
    if (st->type == IQ_GET)
        return reply_registered(rc, st);
    if (xel_child(q, "remove", NS_REGISTER))
        return remove_account(rc, st);
    return change_password(rc, st, q);
}

/* One route for both stream states: rc->sess is NULL exactly until a resource is bound. */
static int register_iq(struct route_ctx *rc, struct stanza *st)
{
    struct xel *q = xel_child(st->root, "query", NS_REGISTER);
    if (!q)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    int ret = rc->sess ? register_bound(rc, st, q) : register_new(rc, st, q);
    wipe_password(q);
    return ret;
}

static const struct route register_routes[] = {
    { .elem = "iq", .ns = NS_REGISTER, .types = IQ_GET | IQ_SET, .targets = TARGET_SERVER,
      .min_state = SESS_NONE, .cost = 50, .fn = register_iq }, /* PBKDF2 on every set */
};

static const char *const register_features[] = { NS_REGISTER, NULL };

const struct module register_module = {
    .name = "register",
    .routes = register_routes,
    .n_routes = sizeof(register_routes) / sizeof(register_routes[0]),
    .features = register_features,
};
