/* SPDX-License-Identifier: MIT */
/* XEP-0280 copies: the message wrapped in <received/> or <sent/> and XEP-0297 <forwarded/>. */
#include "carbons.h"

#include "msgclass.h"
#include "ns.h"

struct stanza *carbons_wrap(const struct stanza *msg, const char *direction, const char *bare)
{
    struct stanza *st = stanza_new("message", NS_CLIENT);
    const char *type = xel_attr(msg->root, "type");
    xel_set_attr(st, st->root, "from", bare);
    if (type)
        xel_set_attr(st, st->root, "type", type);
    struct xel *dir = xel_add_child(st, st->root, direction, NS_CARBONS);
    struct xel *fwd = xel_add_child(st, dir, "forwarded", NS_FORWARD);
    xel_copy_into(st, fwd, msg->root);
    stanza_summarize(st);
    return st;
}
