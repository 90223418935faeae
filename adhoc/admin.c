/* SPDX-License-Identifier: MIT */
/* XEP-0133 service administration: add and delete users, end their sessions, change a
 * password, list who is online, and an announcement to everyone online. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc.h"
#include "base.h"
#include "buf.h"
#include "jid.h"
#include "ns.h"

#define NODE(name) NS_ADMIN "#" name
/* As many JIDs as one request may name, and a password's bound (in-band registration's). */
#define MAX_JIDS 100
#define MAX_PASSWORD 1023

/* jid as a bare JID of an account here (owned), or NULL. */
static struct jid *local_account(struct server *srv, const char *text)
{
    struct jid *j = text ? jid_parse(text) : NULL;
    if (j && j->local && !j->resource && strcmp(j->domain, module_domain(srv)) == 0)
        return j;
    jid_free(j);
    return NULL;
}

static void jid_field(struct stanza *r, struct xel *x, const char *var, bool multi,
                      const char *label)
{
    struct xel *f = xdata_field(r, x, var, multi ? "jid-multi" : "jid-single", label);
    xel_add_child(r, f, "required", NS_XDATA);
}

static void password_fields(struct stanza *r, struct xel *x, bool verify)
{
    xdata_field(r, x, "password", "text-private", "Password");
    if (verify)
        xdata_field(r, x, "password-verify", "text-private", "Retype password");
}

static int commit(struct server *srv, int rc)
{
    if (rc == PL_OK && module_storage_commit(srv) == PL_OK)
        return ROUTE_DONE;
    module_storage_rollback(srv);
    return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
}

/* The password fields of a form: present, of a sane length, and the same twice if asked. */
static const char *password_of(const struct xel *form, bool verify)
{
    const char *pw = xdata_get(form, "password");
    const char *again = verify ? xdata_get(form, "password-verify") : pw;
    if (!pw || !*pw || strlen(pw) > MAX_PASSWORD || !again || strcmp(pw, again) != 0)
        return NULL;
    return pw;
}

static void add_user_form(struct stanza *r, struct xel *x)
{
    jid_field(r, x, "accountjid", false, "The Jabber ID for the account to be added");
    password_fields(r, x, true);
}

/* Creates the account (create) or changes its password; conflict when creating one that
 * exists, item-not-found when changing one that does not. */
static int set_password(struct server *srv, const struct xel *form, struct adhoc_out *out,
                        bool create)
{
    struct jid *j = local_account(srv, xdata_get(form, "accountjid"));
    const char *pw = password_of(form, create);
    int res = j && pw ? ROUTE_DONE : ROUTE_ERROR(COND_BAD_REQUEST);
    if (res == ROUTE_DONE) {
        int rc = module_account_password(srv, j->bare, pw, create);
        if (rc == (create ? PL_EEXIST : PL_ENOTFOUND))
            res = ROUTE_ERROR(create ? COND_CONFLICT : COND_ITEM_NOT_FOUND);
        else
            res = commit(srv, rc);
        snprintf(out->note, sizeof(out->note), "%s: %s", j->bare,
                 create ? "added" : "password changed");
    }
    jid_free(j);
    return res;
}

static int add_user(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    return set_password(srv, form, out, true);
}

static void change_password_form(struct stanza *r, struct xel *x)
{
    jid_field(r, x, "accountjid", false, "The Jabber ID for this account");
    password_fields(r, x, false);
}

static int change_password(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    return set_password(srv, form, out, false);
}

static void accounts_form(struct stanza *r, struct xel *x)
{
    jid_field(r, x, "accountjids", true, "The Jabber ID(s)");
}

/* The form's accountjids, parsed (owned, *n of them); NULL when one is not an account here
 * (or a full JID, unless full_ok), or there are none or too many. */
static struct jid **accounts_of(struct server *srv, const struct xel *form, bool full_ok,
                                size_t *n)
{
    const char *texts[MAX_JIDS];
    *n = xdata_values(form, "accountjids", texts, MAX_JIDS);
    if (*n == 0 || *n > MAX_JIDS)
        return NULL;
    struct jid **v = xcalloc(*n, sizeof(*v));
    bool ok = true;
    for (size_t i = 0; i < *n; i++) {
        v[i] = jid_parse(texts[i]);
        ok = ok && v[i] && v[i]->local && (full_ok || !v[i]->resource) &&
             strcmp(v[i]->domain, module_domain(srv)) == 0;
    }
    if (ok)
        return v;
    for (size_t i = 0; i < *n; i++)
        jid_free(v[i]);
    free(v);
    return NULL;
}

static void free_jids(struct jid **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jid_free(v[i]);
    free(v);
}

static int delete_users(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    size_t n, deleted = 0;
    struct jid **v = accounts_of(srv, form, false, &n);
    if (!v)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    int rc = PL_OK;
    for (size_t i = 0; i < n && rc == PL_OK; i++) {
        rc = module_account_delete(srv, v[i]->bare, "account deleted by an administrator");
        deleted += rc == PL_OK;
        rc = rc == PL_ENOTFOUND ? PL_OK : rc; /* already gone is what was asked */
    }
    free_jids(v, n);
    snprintf(out->note, sizeof(out->note), "%zu of %zu accounts deleted", deleted, n);
    return commit(srv, rc);
}

static int end_sessions(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    size_t n;
    unsigned ended = 0;
    struct jid **v = accounts_of(srv, form, true, &n);
    if (!v)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    for (size_t i = 0; i < n; i++) {
        struct session *s = v[i]->resource ? module_session_find(srv, v[i]->full) : NULL;
        if (s)
            ended += module_end_session(s, "policy-violation", "ended by an administrator");
        else if (!v[i]->resource)
            ended += module_end_sessions(srv, v[i]->bare, "policy-violation",
                                         "ended by an administrator");
    }
    free_jids(v, n);
    snprintf(out->note, sizeof(out->note), "%u sessions ended", ended);
    return ROUTE_DONE;
}

static void online_form(struct stanza *r, struct xel *x)
{
    struct xel *f = xdata_field(r, x, "max_items", "list-single", "Maximum number of items");
    xdata_value(r, f, "100");
    static const char *const choices[] = { "25", "50", "75", "100", "150", "200", "none" };
    for (size_t i = 0; i < ARRAY_LEN(choices); i++)
        xdata_option(r, f, choices[i]);
}

/* The online accounts, each once (by its first session). */
struct online {
    struct server *srv;
    struct stanza *r;
    struct xel *field;
    long left; /* -1: no limit */
};

static void note_online(void *ctx, struct session *sess)
{
    struct online *o = ctx;
    const char *bare = module_session_jid(sess)->bare;
    if (o->left == 0 || module_sessions_first(o->srv, bare) != sess)
        return;
    xdata_value(o->r, o->field, bare);
    o->left -= o->left > 0;
}

static int online_users(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    const char *max = xdata_get(form, "max_items");
    long limit = !max || strcmp(max, "none") == 0 ? -1 : strtol(max, NULL, 10);
    if (limit == 0 || limit < -1)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct xel *x = xdata_form(out->r, out->cmd, "result", NS_ADMIN);
    struct online o = { srv, out->r, xdata_field(out->r, x, "onlineuserjids", "jid-multi",
                                                 "The list of all online users"), limit };
    module_each_session(srv, note_online, &o);
    return ROUTE_DONE;
}

static void announce_form(struct stanza *r, struct xel *x)
{
    xdata_field(r, x, "subject", "text-single", "Subject");
    struct xel *f = xdata_field(r, x, "announcement", "text-multi", "Announcement");
    xel_add_child(r, f, "required", NS_XDATA);
}

static void send_announcement(void *ctx, struct session *sess)
{
    struct stanza *st = ctx;
    stanza_set_to(st, module_session_jid(sess)->full);
    module_send(sess, st);
}

static int announce(struct server *srv, const struct xel *form, struct adhoc_out *out)
{
    const char *lines[MAX_JIDS];
    size_t n = xdata_values(form, "announcement", lines, MAX_JIDS);
    if (n == 0 || n > MAX_JIDS)
        return ROUTE_ERROR(COND_BAD_REQUEST);
    struct buf body;
    buf_init(&body);
    for (size_t i = 0; i < n; i++)
        buf_printf(&body, "%s%s", i ? "\n" : "", lines[i]);
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "headline");
    stanza_set_from(st, module_domain(srv));
    const char *subject = xdata_get(form, "subject");
    if (subject && *subject)
        xel_add_text_child(st, st->root, "subject", subject);
    xel_add_text_child(st, st->root, "body", body.data ? body.data : "");
    stanza_summarize(st);
    module_each_session(srv, send_announcement, st);
    stanza_unref(st);
    buf_fini(&body);
    snprintf(out->note, sizeof(out->note), "announcement sent");
    return ROUTE_DONE;
}

const struct adhoc_cmd adhoc_admin_cmds[] = {
    { NODE("add-user"), "Add a User", add_user_form, add_user },
    { NODE("delete-user"), "Delete a User", accounts_form, delete_users },
    { NODE("end-user-session"), "End a User Session", accounts_form, end_sessions },
    { NODE("change-user-password"), "Change User Password", change_password_form,
      change_password },
    { NODE("get-online-users-list"), "Get List of Online Users", online_form, online_users },
    { NODE("announce"), "Send Announcement to Online Users", announce_form, announce },
};
const size_t adhoc_admin_cmds_count = ARRAY_LEN(adhoc_admin_cmds);
