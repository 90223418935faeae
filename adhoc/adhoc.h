/* SPDX-License-Identifier: MIT */
/* Ad-hoc commands (XEP-0050) and the service administration commands of XEP-0133, for the
 * JIDs in [adhoc] admins. */
#ifndef PL_ADHOC_H
#define PL_ADHOC_H

#include <stdint.h>

#include "module.h"
#include "router.h"
#include "xdata.h"

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_ADMIN "http://jabber.org/protocol/admin"
#define ADHOC_SESSIONS 64

/* What running a command gives back: a note for its user, or a result form in cmd. */
struct adhoc_out {
    struct stanza *r;
    struct xel *cmd;
    char note[256];
};

/* A command: the form its execution opens, and what the submitted form does (ROUTE_DONE,
 * or ROUTE_ERROR with nothing changed). */
struct adhoc_cmd {
    const char *node, *name;
    void (*form)(struct stanza *r, struct xel *x);
    int (*run)(struct server *srv, const struct xel *form, struct adhoc_out *out);
};

/* The administration commands (admin.c). */
extern const struct adhoc_cmd adhoc_admin_cmds[];
extern const size_t adhoc_admin_cmds_count;

#endif
