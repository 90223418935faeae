/* SPDX-License-Identifier: MIT */
/* XEP-0004 data forms: forms and fields written into a stanza, values read from one. */
#ifndef PL_XDATA_H
#define PL_XDATA_H

#include <stddef.h>

#include "stanza.h"

#define NS_XDATA "jabber:x:data"

/* Appends <x xmlns='jabber:x:data' type=type/> to parent, with its hidden FORM_TYPE field
 * when form_type is given; returns the <x/>. */
struct xel *xdata_form(struct stanza *st, struct xel *parent, const char *type,
                       const char *form_type);
/* Appends a field; type and label may be NULL (none). */
struct xel *xdata_field(struct stanza *st, struct xel *x, const char *var, const char *type,
                        const char *label);
void xdata_value(struct stanza *st, struct xel *field, const char *value);
/* An <option/> of a list field, labelled with its value. */
void xdata_option(struct stanza *st, struct xel *field, const char *value);
/* The field var of a form, NULL when absent. */
const struct xel *xdata_field_of(const struct xel *form, const char *var);
/* Up to max values of var into out; returns how many there are (more than max: too many). */
size_t xdata_values(const struct xel *form, const char *var, const char **out, size_t max);
/* The first value of var, NULL when the form has none. */
const char *xdata_get(const struct xel *form, const char *var);

#endif
