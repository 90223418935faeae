/* SPDX-License-Identifier: MIT */
/* The data forms (XEP-0004) of ad-hoc commands: fields written, values read. */
#include <string.h>

#include "adhoc.h"

struct xel *adhoc_field(struct stanza *r, struct xel *x, const char *var, const char *type,
                        const char *label)
{
    struct xel *f = xel_add_child(r, x, "field", NS_XDATA);
    xel_set_attr(r, f, "var", var);
    xel_set_attr(r, f, "type", type);
    if (label)
        xel_set_attr(r, f, "label", label);
    return f;
}

void adhoc_field_value(struct stanza *r, struct xel *field, const char *value)
{
    xel_add_text_child(r, field, "value", value);
}

static const struct xel *field_of(const struct xel *form, const char *var)
{
    for (const struct xel *f = form->first; f; f = f->next) {
        const char *v = f->name && strcmp(f->name, "field") == 0 ? xel_attr(f, "var") : NULL;
        if (v && strcmp(v, var) == 0)
            return f;
    }
    return NULL;
}

size_t adhoc_values(const struct xel *form, const char *var, const char **out, size_t max)
{
    const struct xel *f = field_of(form, var);
    size_t n = 0;
    for (const struct xel *v = f ? f->first : NULL; v; v = v->next)
        if (v->name && strcmp(v->name, "value") == 0) {
            if (n < max)
                out[n] = xel_text(v);
            n++;
        }
    return n;
}

const char *adhoc_value(const struct xel *form, const char *var)
{
    const char *v = NULL;
    return adhoc_values(form, var, &v, 1) ? v : NULL;
}
