/* SPDX-License-Identifier: MIT */
/* The privacy module's shared state: lists cached per account, active lists per session. */
#ifndef PL_PRIVACY_H
#define PL_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>

/* hmap.h is xmpp/'s string-keyed hash map, a container like buf.h. Everything of the server
 * is reached through module.h. */
#include "hmap.h"
#include "module.h"
#include "rules.h"

#define NS_PRIVACY "jabber:iq:privacy"
#define NS_BLOCKING "urn:xmpp:blocking"
#define NS_BLOCKING_ERRORS "urn:xmpp:blocking:errors"

/* The XEP-0191 blocklist is this privacy list: one deny item without children per JID. It is
 * enforced at all times, before the session's active (or the default) list. */
#define PRIV_BLOCKLIST "Blocked contacts"

/* Bounds on what one account may store: every input is bounded. */
#define PRIV_MAX_LISTS 64
#define PRIV_MAX_ITEMS 1024
#define PRIV_MAX_NAME 1023

/* One named list; items sorted by order, their value strings and JIDs owned by the list. */
struct priv_list {
    struct priv_list *next;
    char *name;
    struct priv_item *items;
    size_t n;
};

/* An account's lists, cached while it has sessions (sessions counts them). */
struct priv_account {
    char *bare;
    unsigned sessions;
    char *default_name; /* NULL: no default list */
    struct priv_list *lists;
    size_t n_lists;
};

/* Per-session state (the module's session slot). */
struct priv_session {
    struct priv_account *acct;
    char *active; /* NULL: the default list applies */
};

/* The module's state. */
struct privacy {
    struct server *srv;
    struct hmap accounts; /* bare JID -> struct priv_account */
    int slot;
    unsigned long pushes; /* numbers push ids */
    /* The last JID decided about, parsed, and its text: a fan-out (a room's message) asks
     * about one sender for every recipient, and parses it once. */
    char *last_text;
    struct jid *last_jid;
};

/* ---- lists.c: the cache and its storage -------------------------------------------------- */

/* The cached account, loading it on first use (NULL on a storage error). Release an account
 * loaded without a session with priv_account_done. */
struct priv_account *priv_account_get(struct privacy *p, const char *bare);
/* Drops acct from the cache when no session holds it. */
void priv_account_done(struct privacy *p, struct priv_account *acct);
void priv_account_free(struct priv_account *acct);
/* The list called name (borrowed; NULL when there is none or name is NULL). */
struct priv_list *priv_list_find(const struct priv_account *acct, const char *name);
/* Replaces (or with n == 0 removes) list name with items (copied; need not be sorted) and
 * commits it. PL_OK, or PL_ELIMIT / PL_EIO with the cached lists unchanged. */
int priv_list_store(struct privacy *p, struct priv_account *acct, const char *name,
                    const struct priv_item *items, size_t n);
/* Sets the default list name (NULL: none) and commits it. PL_OK or PL_EIO (unchanged). */
int priv_default_store(struct privacy *p, struct priv_account *acct, const char *name);
/* The per-session state of sess (NULL before session_open). */
struct priv_session *priv_session_get(struct privacy *p, const struct session *sess);

/* ---- privacy.c / blocking.c: pushes ------------------------------------------------------ */

/* Sends st (a push; 'to' is set per resource) to every bound resource of acct. */
void priv_push_all(struct privacy *p, const char *bare, struct stanza *st);
/* Pushes <query><list name='name'/></query> to every resource (XEP-0016 §2.2 rule 10). */
void priv_push_list(struct privacy *p, const char *bare, const char *name);
/* Pushes the whole blocklist (<unblock/> then <block/> with every item) after an edit made
 * through XEP-0016, so XEP-0191 clients stay in step. */
void blocking_push_resync(struct privacy *p, const char *bare);
/* XEP-0191 §5.3/§5.4 presence side effects of blocking (blocked true) or unblocking the
 * JID jid (prepared): unavailable presence both ways, or current presence both ways, as far
 * as the roster lets each side see the other; a block also ends presence the user's resources
 * directed to JIDs it covers (block_presence.c). */
void priv_block_presence(struct privacy *p, const char *owner, const char *jid, bool blocked);
/* iq handlers of the two namespaces (routes of the privacy module). */
int privacy_iq(struct route_ctx *rc, struct stanza *st);
int blocking_iq(struct route_ctx *rc, struct stanza *st);

/* ---- items.c: <item/> elements ---------------------------------------------------------- */

/* Parses the <item/> children of a <list/> into *out (owned; free with priv_items_free):
 * COND_NONE, or the condition XEP-0016 gives (bad-request for a bad action, order, type,
 * value or child, or a duplicate order; policy-violation past PRIV_MAX_ITEMS). */
enum stanza_cond priv_items_parse(const struct xel *list, struct priv_item **out, size_t *n);
void priv_items_free(struct priv_item *items, size_t n);

/* ---- enforce.c: the module's filter hooks ------------------------------------------------ */

int priv_filter_out(void *state, const char *owner, const struct session *sender, const char *to,
                    const struct stanza *st, struct filter_verdict *v);
int priv_filter_in(void *state, const char *owner, const struct session *sess,
                   const struct stanza *st, struct filter_verdict *v);
/* May sess of acct (NULL: the account as a whole) send presence notifications to the JID
 * `to` (prepared, bare or full), as the blocklist and the applied list say? */
bool priv_presence_out_allowed(struct privacy *p, const struct priv_account *acct,
                               const struct session *sess, const char *to);

/* ---- visibility.c: who stops seeing the user's presence (XEP-0016 §2.11) ----------------- */

/* Who may see each available resource of bare right now: its subscribers, and the JIDs it
 * sent directed presence to, as far as the lists in force allow. Owned by the caller, who
 * passes it to priv_seen_settle once the lists have changed. */
struct priv_seen;
struct priv_seen *priv_seen_take(struct privacy *p, const char *bare);
/* Sends unavailable presence from each resource to whoever saw it in seen and may no longer
 * (the lists now deny presence-out to them); frees seen. */
void priv_seen_settle(struct privacy *p, struct priv_seen *seen);
/* Unavailable presence from sess to `to` (bare: each of its available resources; full: that
 * resource when available), sent directly: the lists now in force would stop it on the
 * normal path, and it is the last presence the other side must hear (block_presence.c). */
void priv_send_unavailable(struct privacy *p, const struct session *from, const char *to);

#endif
