/* SPDX-License-Identifier: MIT */
/* The XEP-0016 rule evaluator: pure functions over a list's items and a peer. */
#include "rules.h"

#include <string.h>

/* A domain pattern also covers its subdomains ("example.com" covers "chat.example.com"). */
static bool domain_covers(const char *pattern, const char *domain)
{
    size_t p = strlen(pattern), d = strlen(domain);
    if (d == p)
        return strcmp(pattern, domain) == 0;
    return d > p && domain[d - p - 1] == '.' && strcmp(domain + d - p, pattern) == 0;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool priv_jid_match(const struct jid *pattern, const struct jid *jid)
{
    if (pattern->local) {
        /* user@domain/resource: that resource only; user@domain: any of its resources. */
        if (!pattern->resource)
            return str_eq(pattern->bare, jid->bare);
        return str_eq(pattern->bare, jid->bare) && str_eq(pattern->resource, jid->resource);
    }
    if (pattern->resource) /* domain/resource: exactly that JID */
        return !jid->local && str_eq(pattern->full, jid->full);
    return domain_covers(pattern->domain, jid->domain);
}

bool priv_sub_parse(const char *s, enum priv_sub *out)
{
    static const char *const words[] = { "none", "to", "from", "both" };
    for (unsigned i = 0; s && i < 4; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = (enum priv_sub)i;
            return true;
        }
    }
    return false;
}

static bool in_group(const struct priv_peer *peer, const char *group)
{
    for (size_t i = 0; peer->in_roster && i < peer->n_groups; i++)
        if (str_eq(peer->groups[i], group))
            return true;
    return false;
}

/* 'none' also covers entities that are not in the roster at all. */
static bool item_matches(const struct priv_item *it, const struct priv_peer *peer)
{
    switch (it->type) {
    case PRIV_T_ANY:
        return true;
    case PRIV_T_JID:
        return it->jid && peer->jid && priv_jid_match(it->jid, peer->jid);
    case PRIV_T_GROUP:
        return in_group(peer, it->value);
    case PRIV_T_SUB:
        return (peer->in_roster ? peer->sub : PRIV_SUB_NONE) == it->sub;
    }
    return false;
}

static bool kind_covered(const struct priv_item *it, unsigned kind)
{
    return (it->kinds & PRIV_KINDS_ALL) == PRIV_KINDS_ALL || (it->kinds & kind) != 0;
}

bool priv_rules_allow(const struct priv_item *items, size_t n, unsigned kind,
                      const struct priv_peer *peer, const struct priv_item **matched)
{
    for (size_t i = 0; i < n; i++) {
        if (kind_covered(&items[i], kind) && item_matches(&items[i], peer)) {
            if (matched)
                *matched = &items[i];
            return items[i].allow;
        }
    }
    if (matched)
        *matched = NULL;
    return true;
}

bool priv_rules_need_roster(const struct priv_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].type == PRIV_T_GROUP || items[i].type == PRIV_T_SUB)
            return true;
    return false;
}
