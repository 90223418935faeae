/* SPDX-License-Identifier: MIT */
/* Rosters (RFC 6121 §2) as other modules see them: subscription state and groups of a contact. */
#ifndef PL_ROSTER_H
#define PL_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "ns.h" /* NS_ROSTER, NS_ROSTER_VER, NS_LAST */

struct server;

/* Subscription bits of a roster item, as privacy rules and presence use them. */
enum roster_sub { ROSTER_SUB_NONE = 0, ROSTER_SUB_TO = 1, ROSTER_SUB_FROM = 2, ROSTER_SUB_BOTH = 3 };

/* What owner_bare's roster says about contact_bare: found, subscription, groups.
 * Strings borrowed until the next call or the next roster change. */
struct roster_contact {
    bool found;
    enum roster_sub sub;
    const char *const *groups;
    size_t n_groups;
};
void roster_contact_get(struct server *srv, const char *owner_bare, const char *contact_bare,
                        struct roster_contact *out);

#endif
