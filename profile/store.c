/* SPDX-License-Identifier: MIT */
/* What the vCard and private storage modules share: whose data a request is about, and a
 * fragment stored or read back. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "profile.h"

void *profile_keep_opts(const void *opts, size_t size)
{
    void *copy = xmalloc(size);
    memcpy(copy, opts, size);
    return copy;
}

const char *profile_owner(const struct route_ctx *rc)
{
    if (!rc->to)
        return module_session_jid(rc->sess)->bare;
    return rc->to->local ? rc->to->bare : NULL;
}

bool profile_is_own(const struct route_ctx *rc, const char *owner)
{
    return owner && strcmp(owner, module_session_jid(rc->sess)->bare) == 0;
}

struct stanza *profile_load(struct server *srv, const char *owner, enum userdata_kind kind,
                            const char *name, int *rc_out)
{
    char *xml = NULL;
    int rc = userdata_get(module_storage(srv), owner, kind, name, &xml);
    *rc_out = rc == PL_ENOTFOUND ? PL_OK : rc;
    if (rc != PL_OK)
        return NULL;
    struct stanza *st = stanza_parse(xml, strlen(xml));
    free(xml);
    if (!st)
        *rc_out = PL_EIO; /* only this module writes the column, always well-formed */
    return st;
}

int profile_store(struct server *srv, const char *owner, enum userdata_kind kind,
                  const char *name, const struct xel *el, long max_bytes)
{
    struct buf b;
    buf_init(&b);
    xel_write(el, NULL, &b);
    if ((long)b.len > max_bytes) {
        buf_fini(&b);
        return ROUTE_ERROR(COND_NOT_ACCEPTABLE);
    }
    int rc = userdata_put(module_storage(srv), owner, kind, name, b.data);
    buf_fini(&b);
    if (rc != PL_OK || module_storage_commit(srv) != PL_OK) {
        module_storage_rollback(srv);
        return ROUTE_ERROR(COND_INTERNAL_SERVER_ERROR);
    }
    module_userdata_stored(srv, owner, kind, name, el);
    return ROUTE_DONE;
}
