/* SPDX-License-Identifier: MIT */
/* A node's configuration: defaults, the pubsub#node_config form both ways, publish-options
 * preconditions, and one line per field in storage. Forms and storage share one field parser. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pubsub.h"
#include "xdata.h"

#define PREFIX "pubsub#"
#define MAX_GROUPS 64

static const char *const access_names[] = { "open", "presence", "roster", "whitelist", NULL };
static const char *const publish_names[] = { "publishers", "subscribers", "open", NULL };
static const char *const last_names[] = { "never", "on_sub", "on_sub_and_presence", NULL };

const char *ps_access_name(enum ps_access a)
{
    return access_names[a];
}

void ps_config_defaults(struct ps_config *c, bool pep)
{
    memset(c, 0, sizeof(*c));
    c->persist_items = true;
    c->notify_retract = true;
    c->notify_delete = true;
    c->deliver_payloads = true;
    c->deliver_notifications = true;
    c->max_items = pep ? 1 : 10; /* XEP-0163 keeps the last item; ejabberd's service keeps 10 */
    c->access = pep ? PS_PRESENCE : PS_OPEN;
    c->send_last = pep ? PS_LAST_ON_SUB_AND_PRESENCE : PS_LAST_NEVER;
}

static void free_groups(struct ps_config *c)
{
    for (size_t i = 0; i < c->n_groups; i++)
        free(c->groups[i]);
    free(c->groups);
    c->groups = NULL;
    c->n_groups = 0;
}

void ps_config_fini(struct ps_config *c)
{
    free(c->title);
    free_groups(c);
}

static void set_groups(struct ps_config *c, const char *const *v, size_t n)
{
    free_groups(c);
    c->groups = n ? xcalloc(n, sizeof(*c->groups)) : NULL;
    for (size_t i = 0; i < n; i++)
        c->groups[i] = xstrdup(v[i]);
    c->n_groups = n;
}

void ps_config_copy(struct ps_config *dst, const struct ps_config *src)
{
    *dst = *src;
    dst->title = src->title ? xstrdup(src->title) : NULL;
    dst->groups = NULL;
    dst->n_groups = 0;
    set_groups(dst, (const char *const *)src->groups, src->n_groups);
}

static int choice(const char *const *names, const char *v)
{
    for (int i = 0; v && names[i]; i++)
        if (strcmp(names[i], v) == 0)
            return i;
    return -1;
}

int ps_bool(const char *v)
{
    if (v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0))
        return 1;
    if (v && (strcmp(v, "0") == 0 || strcmp(v, "false") == 0))
        return 0;
    return -1;
}

/* "max" is the bound itself (XEP-0060 §16.4.4), and so is any larger number: clients ask
 * for "as many as you keep" with a big one (Converse publishes bookmarks with 9999), as
 * ejabberd and Prosody accept. */
static long parse_max_items(const char *v, const struct ps_opts *o)
{
    if (!v)
        return -1;
    if (strcmp(v, "max") == 0)
        return o->max_items;
    errno = 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1)
        return -1;
    return n > o->max_items || errno == ERANGE ? o->max_items : n;
}

/* The boolean fields, by name and place. */
static bool *bool_field(struct ps_config *c, const char *var)
{
    static const struct { const char *name; size_t off; } fields[] = {
        { "persist_items", offsetof(struct ps_config, persist_items) },
        { "notify_retract", offsetof(struct ps_config, notify_retract) },
        { "notify_delete", offsetof(struct ps_config, notify_delete) },
        { "deliver_payloads", offsetof(struct ps_config, deliver_payloads) },
        { "deliver_notifications", offsetof(struct ps_config, deliver_notifications) },
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (strcmp(fields[i].name, var) == 0)
            return (bool *)((char *)c + fields[i].off);
    return NULL;
}

/* The list-single fields, by name, choices and place. */
static int *enum_field(struct ps_config *c, const char *var, const char *const **names)
{
    static const struct { const char *name; const char *const *names; size_t off; } fields[] = {
        { "access_model", access_names, offsetof(struct ps_config, access) },
        { "publish_model", publish_names, offsetof(struct ps_config, publish_model) },
        { "send_last_published_item", last_names, offsetof(struct ps_config, send_last) },
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (strcmp(fields[i].name, var) == 0) {
            *names = fields[i].names;
            return (int *)((char *)c + fields[i].off);
        }
    }
    return NULL;
}

/* Sets field var (without its prefix) from values: 0 done, -1 a bad value, 1 not a field. */
static int set_field(struct ps_config *c, const char *var, const char *const *v, size_t n,
                     const struct ps_opts *o)
{
    bool *b = bool_field(c, var);
    const char *const *names;
    int *e = enum_field(c, var, &names);
    int i;
    if (b) {
        if ((i = ps_bool(n ? v[0] : NULL)) < 0)
            return -1;
        *b = i;
    } else if (strcmp(var, "max_items") == 0) {
        long m = parse_max_items(n ? v[0] : NULL, o);
        if (m < 0)
            return -1;
        c->max_items = m;
    } else if (e) {
        if ((i = choice(names, n ? v[0] : NULL)) < 0)
            return -1;
        *e = i;
    } else if (strcmp(var, "title") == 0) {
        free(c->title);
        c->title = n && v[0][0] ? xstrdup(v[0]) : NULL;
    } else if (strcmp(var, "roster_groups_allowed") == 0) {
        set_groups(c, v, n);
    } else {
        return 1;
    }
    return 0;
}

/* The form's fields other than FORM_TYPE, one by one: fn(ctx, var without prefix, values). */
static int each_field(const struct xel *form,
                      int (*fn)(void *ctx, const char *var, const char *const *v, size_t n),
                      void *ctx)
{
    for (const struct xel *f = form->first; f; f = f->next) {
        const char *var = f->name && strcmp(f->name, "field") == 0 ? xel_attr(f, "var") : NULL;
        if (!var || strcmp(var, "FORM_TYPE") == 0)
            continue;
        const char *v[MAX_GROUPS];
        size_t n = xdata_values(form, var, v, MAX_GROUPS);
        if (n > MAX_GROUPS)
            return -1;
        int rc = fn(ctx, strncmp(var, PREFIX, strlen(PREFIX)) == 0 ? var + strlen(PREFIX) : var,
                    v, n);
        if (rc)
            return rc;
    }
    return 0;
}

struct apply_ctx {
    struct ps_config *c;
    const struct ps_opts *o;
};

static int apply_one(void *ctx, const char *var, const char *const *v, size_t n)
{
    struct apply_ctx *a = ctx;
    return set_field(a->c, var, v, n, a->o) < 0 ? -1 : 0; /* unknown fields: not ours to keep */
}

int ps_config_apply(struct ps_config *c, const struct xel *form, const struct ps_opts *o)
{
    struct ps_config next;
    ps_config_copy(&next, c);
    struct apply_ctx a = { &next, o };
    if (each_field(form, apply_one, &a) != 0) {
        ps_config_fini(&next);
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    }
    ps_config_fini(c);
    *c = next;
    return ROUTE_DONE;
}

static bool same_config(const struct ps_config *a, const struct ps_config *b)
{
    if (a->persist_items != b->persist_items || a->notify_retract != b->notify_retract ||
        a->notify_delete != b->notify_delete || a->deliver_payloads != b->deliver_payloads ||
        a->deliver_notifications != b->deliver_notifications ||
        a->max_items != b->max_items || a->access != b->access ||
        a->publish_model != b->publish_model || a->send_last != b->send_last ||
        a->n_groups != b->n_groups)
        return false;
    if ((a->title == NULL) != (b->title == NULL) || (a->title && strcmp(a->title, b->title)))
        return false;
    for (size_t i = 0; i < a->n_groups; i++)
        if (strcmp(a->groups[i], b->groups[i]) != 0)
            return false;
    return true;
}

struct match_ctx {
    struct ps_config want;
    const struct ps_opts *o;
};

/* A precondition the service does not know cannot be met (XEP-0060 §7.1.5). */
static int match_one(void *ctx, const char *var, const char *const *v, size_t n)
{
    struct match_ctx *m = ctx;
    return set_field(&m->want, var, v, n, m->o) != 0 ? -1 : 0;
}

bool ps_config_matches(const struct ps_config *c, const struct xel *form,
                       const struct ps_opts *o)
{
    struct match_ctx m = { .o = o };
    ps_config_copy(&m.want, c);
    bool ok = each_field(form, match_one, &m) == 0 && same_config(&m.want, c);
    ps_config_fini(&m.want);
    return ok;
}

static void text_field(struct stanza *st, struct xel *x, const char *var, const char *type,
                       const char *value)
{
    xdata_value(st, xdata_field(st, x, var, type, NULL), value ? value : "");
}

static void list_field(struct stanza *st, struct xel *x, const char *var,
                       const char *const *names, int value)
{
    struct xel *f = xdata_field(st, x, var, "list-single", NULL);
    for (int i = 0; names[i]; i++)
        xdata_option(st, f, names[i]);
    xdata_value(st, f, names[value]);
}

void ps_config_form(struct stanza *st, struct xel *parent, const struct ps_config *c,
                    const char *type)
{
    struct xel *x = xdata_form(st, parent, type, NS_PUBSUB_CONFIG);
    char n[24];
    snprintf(n, sizeof(n), "%ld", c->max_items);
    text_field(st, x, PREFIX "title", "text-single", c->title);
    text_field(st, x, PREFIX "max_items", "text-single", n);
    text_field(st, x, PREFIX "persist_items", "boolean", c->persist_items ? "1" : "0");
    text_field(st, x, PREFIX "notify_retract", "boolean", c->notify_retract ? "1" : "0");
    text_field(st, x, PREFIX "notify_delete", "boolean", c->notify_delete ? "1" : "0");
    text_field(st, x, PREFIX "deliver_payloads", "boolean", c->deliver_payloads ? "1" : "0");
    text_field(st, x, PREFIX "deliver_notifications", "boolean",
               c->deliver_notifications ? "1" : "0");
    list_field(st, x, PREFIX "access_model", access_names, c->access);
    list_field(st, x, PREFIX "publish_model", publish_names, c->publish_model);
    list_field(st, x, PREFIX "send_last_published_item", last_names, c->send_last);
    struct xel *g = xdata_field(st, x, PREFIX "roster_groups_allowed", "list-multi", NULL);
    for (size_t i = 0; i < c->n_groups; i++)
        xdata_value(st, g, c->groups[i]);
}

/* Storage keeps the result form itself: one parser reads forms and what was stored. */
char *ps_config_serialize(const struct ps_config *c)
{
    struct stanza *st = stanza_new("c", NULL);
    ps_config_form(st, st->root, c, "result");
    struct buf b;
    buf_init(&b);
    xel_write(xel_first_elem(st->root), NULL, &b);
    stanza_unref(st);
    return b.data;
}

/* What was stored under larger bounds than today's takes today's. */
static int load_one(void *ctx, const char *var, const char *const *v, size_t n)
{
    struct apply_ctx *a = ctx;
    if (set_field(a->c, var, v, n, a->o) < 0 && strcmp(var, "max_items") == 0)
        a->c->max_items = a->o->max_items;
    return 0;
}

void ps_config_parse(struct ps_config *c, const char *text, const struct ps_opts *o)
{
    struct stanza *st = stanza_parse(text, strlen(text));
    struct apply_ctx a = { c, o };
    if (st)
        each_field(st->root, load_one, &a);
    stanza_unref(st);
}
