/* SPDX-License-Identifier: MIT */
/* Parsing and checking the <item/> elements of a privacy list (XEP-0016 §2.1). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "privacy.h"

void priv_items_free(struct priv_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jid_free((struct jid *)items[i].jid);
    free(items);
}

/* xs:unsignedInt: digits only, at most 4294967295. */
static bool parse_order(const char *s, unsigned *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v > 4294967295ull)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool parse_type(const char *s, enum priv_type *out)
{
    static const char *const names[] = { "jid", "group", "subscription" };
    if (!s) {
        *out = PRIV_T_ANY;
        return true;
    }
    for (unsigned i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum priv_type)(i + 1);
            return true;
        }
    }
    return false;
}

/* The stanza kinds of an item's children; false for an unknown child. */
static bool parse_kinds(const struct xel *item, unsigned *kinds)
{
    static const char *const names[] = { "message", "iq", "presence-in", "presence-out" };
    *kinds = 0;
    for (const struct xel *c = item->first; c; c = c->next) {
        if (!c->name)
            continue;
        unsigned k = 0;
        while (k < ARRAY_LEN(names) && strcmp(c->name, names[k]) != 0)
            k++;
        if (k == ARRAY_LEN(names) || !c->ns || strcmp(c->ns, NS_PRIVACY) != 0)
            return false;
        *kinds |= 1u << k;
    }
    if (!*kinds)
        *kinds = PRIV_KINDS_ALL;
    return true;
}

/* The value must suit the type: a valid JID, a non-empty group, a subscription word. */
static bool check_value(struct priv_item *it)
{
    switch (it->type) {
    case PRIV_T_ANY:
        it->value = NULL;
        return true;
    case PRIV_T_JID:
        it->jid = it->value ? jid_parse(it->value) : NULL;
        if (it->jid)
            it->value = it->jid->full; /* stored prepared */
        return it->jid != NULL;
    case PRIV_T_GROUP:
        return it->value && *it->value;
    case PRIV_T_SUB:
        return priv_sub_parse(it->value, &it->sub);
    }
    return false;
}

static bool parse_item(const struct xel *el, struct priv_item *it)
{
    const char *action = xel_attr(el, "action");
    *it = (struct priv_item){ .value = xel_attr(el, "value") };
    if (!el->ns || strcmp(el->ns, NS_PRIVACY) != 0 || strcmp(el->name, "item") != 0)
        return false;
    if (!action || (strcmp(action, "allow") != 0 && strcmp(action, "deny") != 0))
        return false;
    it->allow = action[0] == 'a';
    return parse_order(xel_attr(el, "order"), &it->order) &&
           parse_type(xel_attr(el, "type"), &it->type) && parse_kinds(el, &it->kinds) &&
           check_value(it);
}

static int by_order(const void *a, const void *b)
{
    const struct priv_item *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorted by order, equal neighbours are duplicates. */
static bool orders_unique(struct priv_item *items, size_t n)
{
    qsort(items, n, sizeof(*items), by_order);
    for (size_t i = 1; i < n; i++)
        if (items[i].order == items[i - 1].order)
            return false;
    return true;
}

enum stanza_cond priv_items_parse(const struct xel *list, struct priv_item **out, size_t *n)
{
    size_t count = 0;
    for (const struct xel *c = list->first; c; c = c->next)
        count += c->name != NULL;
    *out = NULL;
    *n = 0;
    if (count > PRIV_MAX_ITEMS)
        return COND_POLICY_VIOLATION;
    struct priv_item *items = xcalloc(count ? count : 1, sizeof(*items));
    size_t k = 0;
    for (const struct xel *c = list->first; c; c = c->next) {
        if (c->name && !parse_item(c, &items[k++]))
            goto bad;
    }
    if (!orders_unique(items, k))
        goto bad;
    *out = items;
    *n = k;
    return COND_NONE;
bad:
    priv_items_free(items, k);
    return COND_BAD_REQUEST;
}
