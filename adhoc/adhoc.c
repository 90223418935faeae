/* SPDX-License-Identifier: MIT */
/* XEP-0050 ad-hoc commands on the server's JID: listed in disco#items at the commands node
 * (only to those who may run them), each run in two steps: execute opens its form in a
 * session, complete with that session's id runs it (or one step, when the execute carries a
 * submitted form). Only [adhoc] admins may run any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc.h"
#include "base.h"
#include "clock.h"
#include "ns.h"

/* A form handed out: its id, for whom and which command, and when (it expires). */
struct adhoc_session {
    char id[33];
    char *full;
    const struct adhoc_cmd *cmd;
    uint64_t at_ms;
};

#define SESSION_TTL_MS (10 * 60 * 1000)

struct adhoc_opts {
    char *admins; /* bare JIDs, space-separated */
};

struct adhoc_mod {
    struct server *srv;
    struct adhoc_opts opts;
    struct adhoc_session sessions[ADHOC_SESSIONS];
    size_t next; /* the slot the next session takes (the oldest) */
};

static bool is_admin(const struct adhoc_mod *m, const char *bare)
{
    return jid_listed(m->opts.admins, bare);
}

static const struct adhoc_cmd *find_cmd(const char *node)
{
    for (size_t i = 0; node && i < adhoc_admin_cmds_count; i++)
        if (strcmp(adhoc_admin_cmds[i].node, node) == 0)
            return &adhoc_admin_cmds[i];
    return NULL;
}

static const char *sender(const struct route_ctx *rc) { return module_session_jid(rc->sess)->full; }

static struct adhoc_session *session_open(struct adhoc_mod *m, const char *full,
                                          const struct adhoc_cmd *cmd)
{
    struct adhoc_session *s = &m->sessions[m->next];
    m->next = (m->next + 1) % ADHOC_SESSIONS;
    free(s->full);
    *s = (struct adhoc_session){ .full = xstrdup(full), .cmd = cmd, .at_ms = clock_now_ms() };
    if (!random_hex(s->id, (sizeof(s->id) - 1) / 2)) {
        free(s->full);
        s->full = NULL;
        return NULL;
    }
    return s;
}

/* The session id for this requester and command, taken (it is used once); false when it is
 * unknown, someone else's or expired. */
static bool session_take(struct adhoc_mod *m, const char *id, const char *full,
                         const struct adhoc_cmd *cmd)
{
    for (size_t i = 0; i < ADHOC_SESSIONS; i++) {
        struct adhoc_session *s = &m->sessions[i];
        if (!s->full || strcmp(s->id, id) != 0)
            continue;
        bool ok = strcmp(s->full, full) == 0 && s->cmd == cmd &&
                  clock_now_ms() - s->at_ms < SESSION_TTL_MS;
        free(s->full);
        s->full = NULL;
        return ok;
    }
    return false;
}

/* The <command/> of the answer, with the node, session id and status. */
static struct adhoc_out answer(const struct stanza *st, const struct adhoc_cmd *cmd,
                               const char *sid, const char *status)
{
    struct adhoc_out out = { .r = stanza_iq_result(st) };
    out.cmd = xel_add_child(out.r, out.r->root, "command", NS_COMMANDS);
    xel_set_attr(out.r, out.cmd, "node", cmd->node);
    if (sid)
        xel_set_attr(out.r, out.cmd, "sessionid", sid);
    xel_set_attr(out.r, out.cmd, "status", status);
    return out;
}

static int send_answer(struct route_ctx *rc, struct adhoc_out *out)
{
    router_reply(rc, out->r);
    stanza_unref(out->r);
    return ROUTE_DONE;
}

/* Execute without a form: the command's form, in a new session. */
static int open_form(struct route_ctx *rc, const struct stanza *st, const struct adhoc_cmd *cmd)
{
    struct adhoc_session *s = session_open(rc->state, sender(rc), cmd);
    if (!s)
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    struct adhoc_out out = answer(st, cmd, s->id, "executing");
    struct xel *actions = xel_add_child(out.r, out.cmd, "actions", NS_COMMANDS);
    xel_set_attr(out.r, actions, "execute", "complete");
    xel_add_child(out.r, actions, "complete", NS_COMMANDS);
    struct xel *x = xdata_form(out.r, out.cmd, "form", NS_ADMIN);
    xel_add_text_child(out.r, x, "title", cmd->name);
    cmd->form(out.r, x);
    return send_answer(rc, &out);
}

static int run_form(struct route_ctx *rc, const struct stanza *st, const struct adhoc_cmd *cmd,
                    const char *sid, const struct xel *form)
{
    struct adhoc_out out = answer(st, cmd, sid, "completed");
    int res = cmd->run(rc->srv, form, &out);
    if (res != ROUTE_DONE) {
        stanza_unref(out.r);
        return res;
    }
    if (out.note[0])
        xel_set_attr(out.r, xel_add_text_child(out.r, out.cmd, "note", out.note), "type", "info");
    return send_answer(rc, &out);
}

static int execute(struct route_ctx *rc, struct stanza *st)
{
    struct adhoc_mod *m = rc->state;
    const struct xel *c = xel_child(st->root, "command", NS_COMMANDS);
    const struct adhoc_cmd *cmd = find_cmd(xel_attr(c, "node"));
    if (!cmd)
        return ROUTE_ERROR(COND_ITEM_NOT_FOUND);
    if (!is_admin(m, module_session_jid(rc->sess)->bare))
        return ROUTE_ERROR(COND_FORBIDDEN);
    const char *action = xel_attr(c, "action"), *sid = xel_attr(c, "sessionid");
    action = action ? action : "execute";
    const struct xel *form = xel_child(c, "x", NS_XDATA);
    const char *type = form ? xel_attr(form, "type") : NULL;
    bool submitted = type && strcmp(type, "submit") == 0;
    if (sid && !session_take(m, sid, sender(rc), cmd))
        return ROUTE_ERROR(COND_BAD_REQUEST); /* bad-sessionid */
    if (strcmp(action, "cancel") == 0 && sid) {
        struct adhoc_out out = answer(st, cmd, sid, "canceled");
        return send_answer(rc, &out);
    }
    if (strcmp(action, "execute") != 0 && strcmp(action, "complete") != 0)
        return ROUTE_ERROR(COND_BAD_REQUEST); /* bad-action */
    if (!sid && !submitted)
        return open_form(rc, st, cmd);
    if (!submitted)
        return ROUTE_ERROR(COND_BAD_REQUEST); /* bad-payload */
    return run_form(rc, st, cmd, sid, form);
}

/* disco#items at the commands node: the commands the requester may run. */
static int list_commands(struct route_ctx *rc, struct stanza *st)
{
    struct adhoc_mod *m = rc->state;
    const struct xel *q = xel_child(st->root, "query", NS_DISCO_ITEMS);
    const char *node = q ? xel_attr(q, "node") : NULL;
    if (!node || strcmp(node, NS_COMMANDS) != 0 || rc->target != TARGET_SERVER)
        return ROUTE_PASS;
    struct stanza *r = stanza_iq_result(st);
    struct xel *out = xel_add_child(r, r->root, "query", NS_DISCO_ITEMS);
    xel_set_attr(r, out, "node", NS_COMMANDS);
    bool admin = is_admin(m, module_session_jid(rc->sess)->bare);
    for (size_t i = 0; admin && i < adhoc_admin_cmds_count; i++) {
        struct xel *it = xel_add_child(r, out, "item", NS_DISCO_ITEMS);
        xel_set_attr(r, it, "jid", module_domain(rc->srv));
        xel_set_attr(r, it, "node", adhoc_admin_cmds[i].node);
        xel_set_attr(r, it, "name", adhoc_admin_cmds[i].name);
    }
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}

/* Before disco's own rows, which know only the empty node. */
static const struct route adhoc_routes[] = {
    { .elem = "iq", .ns = NS_DISCO_ITEMS, .types = IQ_GET, .targets = TARGET_SERVER,
      .min_state = SESS_BOUND, .fn = list_commands },
    { .elem = "iq", .ns = NS_COMMANDS, .types = IQ_SET, .targets = TARGET_SERVER,
      .min_state = SESS_BOUND, .fn = execute },
};

static int adhoc_init(struct server *srv, const void *opts, void **state)
{
    struct adhoc_mod *m = xcalloc(1, sizeof(*m));
    m->srv = srv;
    m->opts = *(const struct adhoc_opts *)opts;
    *state = m;
    return PL_OK;
}

static void adhoc_fini(void *state)
{
    struct adhoc_mod *m = state;
    for (size_t i = 0; i < ADHOC_SESSIONS; i++)
        free(m->sessions[i].full);
    free(m);
}

#define OPT(field) offsetof(struct adhoc_opts, field)
static const struct cfg_opt adhoc_options[] = {
    { "admins", CFG_STRING, OPT(admins), "", 0, 65535, NULL },
};

static const char *const adhoc_features[] = { NS_COMMANDS, NULL };

const struct module adhoc_module = {
    .name = "adhoc",
    .options = adhoc_options,
    .n_options = ARRAY_LEN(adhoc_options),
    .options_size = sizeof(struct adhoc_opts),
    .routes = adhoc_routes,
    .n_routes = ARRAY_LEN(adhoc_routes),
    .features = adhoc_features,
    .init = adhoc_init,
    .fini = adhoc_fini,
};
