/* SPDX-License-Identifier: MIT */
/* XML an account keeps on the server: its vCard (XEP-0054) and its private XML storage
 * (XEP-0049), each a module of its own over storage's userdata fragments. */
#ifndef PL_PROFILE_H
#define PL_PROFILE_H

#include "module.h"
#include "router.h"
#include "storage.h"

#define NS_VCARD "vcard-temp"
#define NS_PRIVATE "jabber:iq:private"

/* A module's state: a copy of its parsed options (size bytes), freed with free(). */
void *profile_keep_opts(const void *opts, size_t size);
/* The account a request from rc is about: the 'to' account, or the sender's own when the iq
 * has no 'to'. NULL when it is addressed to the server's domain. */
const char *profile_owner(const struct route_ctx *rc);
/* May rc's sender change owner's data? Only its own. */
bool profile_is_own(const struct route_ctx *rc, const char *owner);
/* owner's fragment (kind, name) parsed back into a tree (owned), or NULL with *rc_out PL_OK
 * when none is stored; PL_EIO in *rc_out when it cannot be read. */
struct stanza *profile_load(struct server *srv, const char *owner, enum userdata_kind kind,
                            const char *name, int *rc_out);
/* Serializes el and stores it as owner's fragment (kind, name), committed before this
 * returns, so that the reply promises what it says. ROUTE_DONE, or ROUTE_ERROR:
 * not-acceptable past max_bytes, internal-server-error when the store fails. */
int profile_store(struct server *srv, const char *owner, enum userdata_kind kind,
                  const char *name, const struct xel *el, long max_bytes);

#endif
