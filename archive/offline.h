/* SPDX-License-Identifier: MIT */
/* Offline storage (XEP-0160): what the module's files share. */
#ifndef PL_OFFLINE_H
#define PL_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

/* What to do with a message for an account that has no available resource. */
enum offline_verdict {
    OFFLINE_STORE, /* keep it for the next login */
    OFFLINE_DROP,  /* a chat state alone: worthless later, dropped without an error */
    OFFLINE_SKIP,  /* not ours (headline, groupchat, error, <no-store/>): the usual rules apply */
};

/* Decides for st (a message) per XEP-0160, XEP-0085 and XEP-0334. */
enum offline_verdict offline_classify(const struct stanza *st);
/* The id of st's <stanza-id/> given by owner (borrowed from st), NULL when it has none. */
const char *offline_stanza_id(const struct stanza *st, const char *owner);
/* Appends st to out as stored: with a XEP-0203 <delay/> from domain, stamped when (seconds
 * since the epoch). false when when cannot be written as a date (nothing appended then). */
bool offline_serialize(const struct stanza *st, const char *domain, long long when,
                       struct buf *out);
/* Parses one stored stanza (xml, len bytes) back into a tree (owned), NULL when it is not one
 * well-formed jabber:client stanza. */
struct stanza *offline_parse(const char *xml, size_t len);

#endif
