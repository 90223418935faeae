/* SPDX-License-Identifier: MIT */
/* XEP-0004 data forms: forms and fields written into a stanza, values read from one. */
#include "xdata.h"

#include <string.h>

struct xel *xdata_form(struct stanza *st, struct xel *parent, const char *type,
                       const char *form_type)
{
    struct xel *x = xel_add_child(st, parent, "x", NS_XDATA);
    xel_set_attr(st, x, "type", type);
    if (form_type)
        xdata_value(st, xdata_field(st, x, "FORM_TYPE", "hidden", NULL), form_type);
    return x;
}

struct xel *xdata_field(struct stanza *st, struct xel *x, const char *var, const char *type,
                        const char *label)
{
    struct xel *f = xel_add_child(st, x, "field", NS_XDATA);
    xel_set_attr(st, f, "var", var);
    if (type)
        xel_set_attr(st, f, "type", type);
    if (label)
        xel_set_attr(st, f, "label", label);
    return f;
}

void xdata_value(struct stanza *st, struct xel *field, const char *value)
{
    xel_add_text_child(st, field, "value", value);
}

void xdata_option(struct stanza *st, struct xel *field, const char *value)
{
    struct xel *o = xel_add_child(st, field, "option", NS_XDATA);
    xel_set_attr(st, o, "label", value);
    xdata_value(st, o, value);
}

const struct xel *xdata_field_of(const struct xel *form, const char *var)
{
    for (const struct xel *f = form->first; f; f = f->next) {
        const char *v = f->name && strcmp(f->name, "field") == 0 ? xel_attr(f, "var") : NULL;
        if (v && strcmp(v, var) == 0)
            return f;
    }
    return NULL;
}

size_t xdata_values(const struct xel *form, const char *var, const char **out, size_t max)
{
    const struct xel *f = xdata_field_of(form, var);
    size_t n = 0;
    for (const struct xel *v = f ? f->first : NULL; v; v = v->next)
        if (v->name && strcmp(v->name, "value") == 0) {
            if (n < max)
                out[n] = xel_text(v);
            n++;
        }
    return n;
}

const char *xdata_get(const struct xel *form, const char *var)
{
    const char *v = NULL;
    return xdata_values(form, var, &v, 1) ? v : NULL;
}
