/* SPDX-License-Identifier: MIT */
/* Stanza policy: asks every module's filter hooks whether a stanza may pass between two parties. */
#include <string.h>

#include "module.h"
#include "ns.h"
#include "server.h"

/* Is jid (prepared, full or bare) an address of the account bare? */
static bool same_account(const char *jid, const char *bare)
{
    size_t n = strlen(bare);
    return jid && strncmp(jid, bare, n) == 0 && (jid[n] == '\0' || jid[n] == '/');
}

static void verdict_init(struct filter_verdict *v)
{
    *v = (struct filter_verdict){ .res = ROUTE_PASS };
}

int module_filter_out(struct server *srv, const char *owner, const struct session *sender,
                      const char *to, const struct stanza *st, struct filter_verdict *v)
{
    verdict_init(v);
    /* XEP-0016 §2.1: a user's own resources are never blocked from each other. */
    if (!to || same_account(to, owner))
        return v->res;
    for (size_t i = 0; i < modules_count; i++) {
        if (!modules[i]->filter_out)
            continue;
        if (modules[i]->filter_out(srv->mod_state[i], owner, sender, to, st, v) != ROUTE_PASS)
            return v->res;
        verdict_init(v);
    }
    return v->res;
}

int module_filter_in(struct server *srv, const char *owner, const struct session *sess,
                     const struct stanza *st, struct filter_verdict *v)
{
    verdict_init(v);
    if (!st->from || same_account(st->from, owner))
        return v->res;
    for (size_t i = 0; i < modules_count; i++) {
        if (!modules[i]->filter_in)
            continue;
        if (modules[i]->filter_in(srv->mod_state[i], owner, sess, st, v) != ROUTE_PASS)
            return v->res;
        verdict_init(v);
    }
    return v->res;
}

struct stanza *module_filter_error(const struct stanza *st, const struct filter_verdict *v)
{
    if (v->res >= 0 || (st->type & (STANZA_ERROR_TYPES | IQ_RESULT)) || st->kind == STANZA_OTHER)
        return NULL; /* never answer an error or a result (RFC 6120 §8.3.1) */
    struct stanza *r = stanza_error_reply(st, (enum stanza_cond)-v->res, NULL);
    if (v->app_name) {
        struct xel *err = xel_child(r->root, "error", NS_CLIENT);
        if (err) {
            xel_add_child(r, err, v->app_name, v->app_ns);
            /* XEP-0191 §5.3: a block is not something the sender can fix by retrying. */
            xel_set_attr(r, err, "type", "cancel");
        }
    }
    return r;
}
