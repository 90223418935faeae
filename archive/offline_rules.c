/* SPDX-License-Identifier: MIT */
/* Which messages offline storage keeps (XEP-0160, -0085, -0334), and their stored form. */
#include "offline.h"

#include <string.h>
#include <time.h>

#include "base.h"
#include "ns.h"

#define NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define NS_HINTS "urn:xmpp:hints"
#define NS_SID "urn:xmpp:sid:0"

static bool is_ns(const struct xel *el, const char *ns) { return el->ns && strcmp(el->ns, ns) == 0; }

/* Children that say nothing to a reader by themselves: with a chat state and only these, a
 * message is a typing notification, worthless once its moment has passed. */
static bool incidental(const struct xel *el)
{
    return is_ns(el, NS_CHATSTATES) || is_ns(el, NS_HINTS) || is_ns(el, NS_SID) ||
           is_ns(el, NS_DELAY) || (is_ns(el, NS_CLIENT) && strcmp(el->name, "thread") == 0);
}

static bool chat_state_only(const struct stanza *st)
{
    bool state = false;
    for (const struct xel *c = st->root->first; c; c = c->next) {
        if (!c->name)
            continue; /* whitespace between children */
        if (!incidental(c))
            return false;
        state |= is_ns(c, NS_CHATSTATES);
    }
    return state;
}

enum offline_verdict offline_classify(const struct stanza *st)
{
    if (st->kind != STANZA_MESSAGE || !(st->type & (MSG_CHAT | MSG_NORMAL)))
        return OFFLINE_SKIP; /* headline, groupchat, error: the usual rules apply */
    if (chat_state_only(st))
        return OFFLINE_DROP;
    if (xel_child(st->root, "no-store", NS_HINTS))
        return OFFLINE_SKIP;
    return OFFLINE_STORE;
}

const char *offline_stanza_id(const struct stanza *st, const char *owner)
{
    for (const struct xel *c = st->root->first; c; c = c->next) {
        if (!c->name || strcmp(c->name, "stanza-id") != 0 || !is_ns(c, NS_SID))
            continue;
        const char *by = xel_attr(c, "by");
        const char *id = xel_attr(c, "id");
        if (by && id && *id && strcmp(by, owner) == 0)
            return id;
    }
    return NULL;
}

bool offline_from_store(const struct stanza *st, const char *domain)
{
    const struct xel *last = NULL;
    for (const struct xel *c = st->root->first; c; c = c->next)
        if (c->name)
            last = c;
    const char *from = last && strcmp(last->name, "delay") == 0 && is_ns(last, NS_DELAY)
                           ? xel_attr(last, "from")
                           : NULL;
    return from && strcmp(from, domain) == 0;
}

/* XEP-0082 date-time in UTC; false when the clock is beyond what the format holds. */
static bool format_stamp(long long when, char *out, size_t size)
{
    time_t t = (time_t)when;
    struct tm tm;
    return gmtime_r(&t, &tm) && strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0;
}

bool offline_serialize(const struct stanza *st, const char *domain, long long when,
                       struct buf *out)
{
    char stamp[32];
    if (!format_stamp(when, stamp, sizeof(stamp)))
        return false;
    struct stanza *d = stanza_new("delay", NS_DELAY);
    xel_set_attr(d, d->root, "from", domain);
    xel_set_attr(d, d->root, "stamp", stamp);
    /* The stanza's own tags around its children, then the delay: no copy of the tree. */
    const char *ns = xel_write_open(st->root, NS_CLIENT, out);
    for (const struct xel *c = st->root->first; c; c = c->next)
        xel_write(c, ns, out);
    xel_write(d->root, ns, out);
    xel_write_close(st->root, out);
    stanza_unref(d);
    return true;
}
