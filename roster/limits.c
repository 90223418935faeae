/* SPDX-License-Identifier: MIT */
/* The bounds a roster set must keep: name and group sizes, groups per item, items and bytes. */
#include <string.h>

#include "roster_int.h"

/* Group names are stored joined by '\n' (items.c), so a group may not hold one. */
static bool text_ok(const char *s, long max)
{
    size_t n = strlen(s);
    return n > 0 && n <= (size_t)max && !strchr(s, '\n');
}

int roster_limits_item(const struct roster_opts *o, const char *name, const char *const *groups,
                       size_t n_groups)
{
    if (name && strlen(name) > (size_t)o->max_name_bytes)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    if (n_groups > (size_t)o->max_groups)
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    for (size_t i = 0; i < n_groups; i++) {
        if (!text_ok(groups[i], o->max_group_bytes))
            return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
        for (size_t k = 0; k < i; k++)
            if (strcmp(groups[k], groups[i]) == 0)
                return ROUTE_ERROR(COND_BAD_REQUEST);
    }
    return ROUTE_DONE;
}

int roster_limits_size(const struct roster_opts *o, size_t n_items, size_t bytes, size_t old_bytes,
                       size_t new_bytes, bool is_new)
{
    if (is_new && n_items >= (size_t)o->max_items)
        return ROUTE_ERROR(COND_RESOURCE_CONSTRAINT);
    if (new_bytes <= old_bytes && !is_new)
        return ROUTE_DONE; /* what does not grow stays allowed, even past the bound */
    size_t after = bytes - (old_bytes < bytes ? old_bytes : bytes) + new_bytes;
    return after > (size_t)o->max_bytes ? ROUTE_ERROR(COND_RESOURCE_CONSTRAINT) : ROUTE_DONE;
}
