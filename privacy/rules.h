/* SPDX-License-Identifier: MIT */
/* XEP-0016 privacy rules: items of one list and the pure evaluator that applies them. */
#ifndef PL_PRIVACY_RULES_H
#define PL_PRIVACY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "jid.h"

/* What an item matches on; PRIV_T_ANY is the fall-through item (no 'type'). */
enum priv_type { PRIV_T_ANY = 0, PRIV_T_JID = 1, PRIV_T_GROUP = 2, PRIV_T_SUB = 3 };

/* Stanza kinds an item covers (its child elements); an item without children covers all. */
enum priv_kind {
    PRIV_MESSAGE = 1u << 0,
    PRIV_IQ = 1u << 1,
    PRIV_PRES_IN = 1u << 2,
    PRIV_PRES_OUT = 1u << 3,
};
#define PRIV_KINDS_ALL (PRIV_MESSAGE | PRIV_IQ | PRIV_PRES_IN | PRIV_PRES_OUT)

/* Subscription bits, the same values as roster/roster.h's enum roster_sub. */
enum priv_sub { PRIV_SUB_NONE = 0, PRIV_SUB_TO = 1, PRIV_SUB_FROM = 2, PRIV_SUB_BOTH = 3 };

/* One rule. value is the item's 'value' as stored (group name, subscription word, JID);
 * jid is value parsed for PRIV_T_JID and sub the parsed word for PRIV_T_SUB. */
struct priv_item {
    unsigned order;
    enum priv_type type;
    bool allow;
    unsigned kinds; /* enum priv_kind bits, PRIV_KINDS_ALL when the item has no child */
    const char *value;
    const struct jid *jid;
    enum priv_sub sub;
};

/* The other party as the list owner's roster sees it (groups borrowed). */
struct priv_peer {
    const struct jid *jid;
    bool in_roster;
    enum priv_sub sub;
    const char *const *groups;
    size_t n_groups;
};

/*
 * Walks items (sorted by ascending order) for a stanza of one kind (a single enum priv_kind
 * bit, or 0 for stanzas only child-less items cover: subscriptions, probes, outgoing
 * messages and iqs) exchanged with peer. Returns true to allow; the first matching item
 * decides and is stored in *matched (NULL when nothing matched: allowed, XEP-0016 §2.2 r7).
 */
bool priv_rules_allow(const struct priv_item *items, size_t n, unsigned kind,
                      const struct priv_peer *peer, const struct priv_item **matched);

/* Does the item's JID pattern cover jid (XEP-0016 §2.1 matching order)? */
bool priv_jid_match(const struct jid *pattern, const struct jid *jid);

/* Parses a subscription word ("none", "to", "from", "both"); false for anything else. */
bool priv_sub_parse(const char *s, enum priv_sub *out);
/* Do the items use roster data (group or subscription items)? */
bool priv_rules_need_roster(const struct priv_item *items, size_t n);

#endif
