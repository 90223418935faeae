/* SPDX-License-Identifier: MIT */
/* Typed, domain-level storage interface; backends are tables of function pointers. */
#ifndef PL_STORAGE_H
#define PL_STORAGE_H

#include <stdbool.h>

#include "scram.h"

struct storage;

/* A backend. Every function returns PL_OK or a negative enum pl_err. Account keys are
 * prepared bare JIDs ("user@domain"). */
struct storage_ops {
    const char *name;
    /* Opens (creating and migrating) the store at path. */
    int (*open)(struct storage *st, const char *path);
    void (*close)(struct storage *st);
    /* PL_EEXIST when the account exists. */
    int (*account_create)(struct storage *st, const char *bare, const struct scram_creds *c);
    /* PL_ENOTFOUND when the account does not exist. */
    int (*account_set_creds)(struct storage *st, const char *bare, const struct scram_creds *c);
    int (*account_delete)(struct storage *st, const char *bare);
    /* PL_ENOTFOUND when the account does not exist. */
    int (*creds_get)(struct storage *st, const char *bare, struct scram_creds *out);
    /* Calls fn for each account in JID order. */
    int (*account_list)(struct storage *st, void (*fn)(void *ctx, const char *bare), void *ctx);
    /* Commits writes batched during this loop turn. */
    int (*flush)(struct storage *st);
};

/* A store: its backend and the backend's private state. */
struct storage {
    const struct storage_ops *ops;
    void *impl;
};

extern const struct storage_ops storage_sqlite_ops;

/* Opens the SQLite store at path into st. Returns PL_OK or PL_EIO. */
int storage_open_sqlite(struct storage *st, const char *path);

static inline void storage_close(struct storage *st) { st->ops->close(st); }
static inline int account_create(struct storage *st, const char *bare, const struct scram_creds *c)
{
    return st->ops->account_create(st, bare, c);
}
static inline int account_set_creds(struct storage *st, const char *bare,
                                    const struct scram_creds *c)
{
    return st->ops->account_set_creds(st, bare, c);
}
static inline int account_delete(struct storage *st, const char *bare)
{
    return st->ops->account_delete(st, bare);
}
static inline int creds_get(struct storage *st, const char *bare, struct scram_creds *out)
{
    return st->ops->creds_get(st, bare, out);
}
static inline int account_list(struct storage *st, void (*fn)(void *, const char *), void *ctx)
{
    return st->ops->account_list(st, fn, ctx);
}
static inline int storage_flush(struct storage *st) { return st->ops->flush(st); }

#endif
