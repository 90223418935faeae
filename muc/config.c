/* SPDX-License-Identifier: MIT */
/* A room's configuration: defaults, the stored text form, and the muc#roomconfig data form. */
#include "muc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* One option of the form: its field, its type, and where it lives in struct muc_config.
 * alias: the same field under the name another server uses (accepted on submit). */
enum field_kind { F_TEXT, F_SECRET, F_BOOL, F_INT, F_CHOICE };

struct field {
    const char *var;
    const char *alias;
    enum field_kind kind;
    const char *label;
    size_t offset;
    const char *const *choices; /* F_CHOICE: names by value, NULL-terminated */
};

static const char *const whois_names[] = { "moderators", "anyone", NULL };
static const char *const pm_names[] = { "anyone", "participants", "moderators", "none", NULL };

#define C(field) offsetof(struct muc_config, field)
static const struct field fields[] = {
    { "muc#roomconfig_roomname", NULL, F_TEXT, "Name", C(name), NULL },
    { "muc#roomconfig_roomdesc", NULL, F_TEXT, "Description", C(desc), NULL },
    { "muc#roomconfig_lang", NULL, F_TEXT, "Language", C(lang), NULL },
    { "muc#roomconfig_publicroom", NULL, F_BOOL, "List the room publicly", C(listed), NULL },
    { "muc#roomconfig_persistentroom", NULL, F_BOOL, "Keep the room when it is empty",
      C(persistent), NULL },
    { "muc#roomconfig_membersonly", NULL, F_BOOL, "Members only", C(members_only), NULL },
    { "muc#roomconfig_moderatedroom", NULL, F_BOOL, "Moderated (visitors need voice)",
      C(moderated), NULL },
    { "muc#roomconfig_passwordprotectedroom", NULL, F_BOOL, "Require a password",
      C(password_protected), NULL },
    { "muc#roomconfig_roomsecret", NULL, F_SECRET, "Password", C(password), NULL },
    { "muc#roomconfig_maxusers", NULL, F_INT, "Most occupants (0: the service's limit)",
      C(max_users), NULL },
    { "muc#roomconfig_whois", NULL, F_CHOICE, "Who may see real JIDs", C(whois),
      whois_names },
    { "muc#roomconfig_historylength", "muc#maxhistoryfetch", F_INT,
      "Messages of history a joiner gets", C(history), NULL },
    { "muc#roomconfig_allowpm", NULL, F_CHOICE, "Who may send private messages",
      C(allow_pm), pm_names },
    { "muc#roomconfig_changesubject", NULL, F_BOOL, "Occupants may change the subject",
      C(change_subject), NULL },
    { "muc#roomconfig_allowinvites", NULL, F_BOOL, "Occupants may invite others",
      C(allow_invites), NULL },
    { "muc#roomconfig_enablearchiving", "mam", F_BOOL, "Archive messages (XEP-0313)",
      C(archive), NULL },
};

static char **str_at(struct muc_config *c, const struct field *f)
{
    return (char **)((char *)c + f->offset);
}

static bool *bool_at(struct muc_config *c, const struct field *f)
{
    return (bool *)((char *)c + f->offset);
}

static long *long_at(struct muc_config *c, const struct field *f)
{
    return (long *)((char *)c + f->offset);
}

static int *int_at(struct muc_config *c, const struct field *f)
{
    return (int *)((char *)c + f->offset);
}

void muc_config_defaults(struct muc_config *c)
{
    *c = (struct muc_config){
        .name = xstrdup(""), .desc = xstrdup(""), .lang = xstrdup(""), .password = xstrdup(""),
        .listed = true, .change_subject = true, .allow_invites = true, .archive = true,
        .whois = WHOIS_MODERATORS, .allow_pm = PM_ANYONE, .history = 20,
    };
}

void muc_config_fini(struct muc_config *c)
{
    free(c->name);
    free(c->desc);
    free(c->lang);
    free(c->password);
}

static void config_copy(struct muc_config *dst, const struct muc_config *src)
{
    *dst = *src;
    dst->name = xstrdup(src->name);
    dst->desc = xstrdup(src->desc);
    dst->lang = xstrdup(src->lang);
    dst->password = xstrdup(src->password);
}

/* ---- stored form: one "var=value" line per field, '\' and newlines escaped ---------------- */

static void put_value(struct muc_config *c, const struct field *f, struct buf *out)
{
    switch (f->kind) {
    case F_TEXT:
    case F_SECRET:
        for (const char *p = *str_at(c, f); *p; p++) {
            if (*p == '\\' || *p == '\n')
                buf_puts(out, *p == '\\' ? "\\\\" : "\\n");
            else
                buf_append(out, p, 1);
        }
        break;
    case F_BOOL:
        buf_puts(out, *bool_at(c, f) ? "1" : "0");
        break;
    case F_INT:
        buf_printf(out, "%ld", *long_at(c, f));
        break;
    case F_CHOICE:
        buf_printf(out, "%d", *int_at(c, f));
        break;
    }
}

void muc_config_encode(const struct muc_config *c, struct buf *out)
{
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        buf_printf(out, "%s=", fields[i].var);
        put_value((struct muc_config *)c, &fields[i], out);
        buf_puts(out, "\n");
    }
}

static char *unescape(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            *o++ = s[++i] == 'n' ? '\n' : s[i];
        else
            *o++ = s[i];
    }
    *o = '\0';
    return out;
}

static const struct field *field_named(const char *var, size_t n)
{
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (strlen(fields[i].var) == n && strncmp(fields[i].var, var, n) == 0)
            return &fields[i];
    return NULL;
}

/* Stored values were checked when submitted: only their syntax is read back. */
static void decode_one(struct muc_config *c, const struct field *f, char *v)
{
    switch (f->kind) {
    case F_TEXT:
    case F_SECRET:
        free(*str_at(c, f));
        *str_at(c, f) = v;
        return;
    case F_BOOL:
        *bool_at(c, f) = strcmp(v, "1") == 0;
        break;
    case F_INT:
        *long_at(c, f) = strtol(v, NULL, 10);
        break;
    case F_CHOICE:
        *int_at(c, f) = (int)strtol(v, NULL, 10);
        break;
    }
    free(v);
}

void muc_config_decode(struct muc_config *c, const char *text)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *eq = memchr(line, '=', len);
        const struct field *f = eq ? field_named(line, (size_t)(eq - line)) : NULL;
        if (f)
            decode_one(c, f, unescape(eq + 1, len - (size_t)(eq + 1 - line)));
        line = end ? end + 1 : NULL;
    }
}

/* ---- the data form -------------------------------------------------------------------------- */

static const char *const kind_types[] = {
    [F_TEXT] = "text-single", [F_SECRET] = "text-private", [F_BOOL] = "boolean",
    [F_INT] = "text-single", [F_CHOICE] = "list-single",
};

static void add_field(struct stanza *st, struct xel *x, const struct field *f,
                      struct muc_config *c)
{
    struct xel *el = xdata_field(st, x, f->var, kind_types[f->kind], f->label);
    struct buf v;
    buf_init(&v);
    if (f->kind == F_CHOICE)
        buf_puts(&v, f->choices[*int_at(c, f)]);
    else
        put_value(c, f, &v);
    xdata_value(st, el, v.len ? v.data : "");
    buf_fini(&v);
    for (size_t i = 0; f->kind == F_CHOICE && f->choices[i]; i++)
        xdata_option(st, el, f->choices[i]);
}

void muc_config_form(struct stanza *st, struct xel *parent, const struct muc_room *r,
                     const struct muc_mod *m)
{
    (void)m;
    struct xel *x = xdata_form(st, parent, "form", NS_MUC_ROOMCONFIG);
    xel_add_text_child(st, x, "title", "Configuration of the room");
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        add_field(st, x, &fields[i], (struct muc_config *)&r->cfg);
}

/* ---- submitting the form -------------------------------------------------------------------- */

static bool parse_bool(const char *v, bool *out)
{
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

/* The limits a value must keep: text length, numbers within the service's bounds. */
static bool apply_value(struct muc_config *c, const struct field *f, const char *v,
                        const struct muc_mod *m)
{
    switch (f->kind) {
    case F_TEXT:
    case F_SECRET:
        if (strlen(v) > 1024)
            return false;
        free(*str_at(c, f));
        *str_at(c, f) = xstrdup(v);
        return true;
    case F_BOOL:
        return parse_bool(v, bool_at(c, f));
    case F_INT:
        if (f->offset == C(max_users) && strcmp(v, "none") == 0)
            v = "0";
        return parse_long(v, 0, f->offset == C(history) ? m->opts.max_history
                                                        : m->opts.max_occupants,
                          long_at(c, f));
    case F_CHOICE:
        for (int i = 0; f->choices[i]; i++) {
            if (strcmp(f->choices[i], v) == 0) {
                *int_at(c, f) = i;
                return true;
            }
        }
        return false;
    }
    return false;
}

static const struct field *field_for(const char *var)
{
    for (size_t i = 0; var && i < ARRAY_LEN(fields); i++)
        if (strcmp(fields[i].var, var) == 0 || (fields[i].alias && strcmp(fields[i].alias, var) == 0))
            return &fields[i];
    return NULL;
}

/* Fields this service does not know are left alone, as XEP-0004 lets a service do. */
static int apply_form(struct muc_config *c, const struct xel *form, const struct muc_mod *m)
{
    for (const struct xel *f = form->first; f; f = f->next) {
        if (!f->name || strcmp(f->name, "field") != 0)
            continue;
        const char *var = xel_attr(f, "var");
        const struct xel *value = xel_child(f, "value", NS_XDATA);
        if (var && strcmp(var, "FORM_TYPE") == 0) {
            if (!value || strcmp(xel_text(value), NS_MUC_ROOMCONFIG) != 0)
                return ROUTE_ERROR(COND_BAD_REQUEST);
            continue;
        }
        const struct field *fd = field_for(var);
        if (fd && !apply_value(c, fd, value ? xel_text(value) : "", m))
            return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    }
    if (c->password_protected && !c->password[0])
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    return ROUTE_DONE;
}

int muc_config_submit(struct muc_room *r, const struct xel *form, const struct muc_mod *m,
                      bool *changed)
{
    struct muc_config c;
    config_copy(&c, &r->cfg);
    int res = apply_form(&c, form, m);
    if (res != ROUTE_DONE) {
        muc_config_fini(&c);
        return res;
    }
    struct buf before, after;
    buf_init(&before);
    buf_init(&after);
    muc_config_encode(&r->cfg, &before);
    muc_config_encode(&c, &after);
    *changed = before.len != after.len || memcmp(before.data, after.data, before.len) != 0;
    buf_fini(&before);
    buf_fini(&after);
    muc_config_fini(&r->cfg);
    r->cfg = c;
    return ROUTE_DONE;
}
