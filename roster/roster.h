/* SPDX-License-Identifier: MIT */
/* Rosters (RFC 6121 §2) as other modules see them: subscription state and groups of a contact. */
#ifndef PL_ROSTER_H
#define PL_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "ns.h" /* NS_ROSTER, NS_ROSTER_VER, NS_LAST */

struct server;
struct session;

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


/* Calls fn for each contact of owner_bare whose subscription includes ROSTER_SUB_FROM (they may
 * see owner's presence). The roster is read from storage when owner is offline. contact_bare
 * is borrowed for the call; fn may call other roster functions. */
void roster_for_each_subscriber(struct server *srv, const char *owner_bare,
                                void (*fn)(void *ctx, const char *contact_bare), void *ctx);
/* The same for each contact whose presence owner_bare may see (ROSTER_SUB_TO). */
void roster_for_each_subscription(struct server *srv, const char *owner_bare,
                                  void (*fn)(void *ctx, const char *contact_bare), void *ctx);
/* True when owner_bare's roster has an item in group (read from storage when offline). */
bool roster_has_group(struct server *srv, const char *owner_bare, const char *group);
/* Calls fn for each full JID sess sent directed presence to and still tracks (RFC 6121
 * §4.6). jid is borrowed for the call; fn may call other roster functions. */
void roster_for_each_directed(struct server *srv, const struct session *sess,
                              void (*fn)(void *ctx, const char *jid), void *ctx);

#endif
