/* SPDX-License-Identifier: MIT */
/* What a feature module exports: routes, disco features, options and lifecycle hooks. */
#ifndef PL_MODULE_H
#define PL_MODULE_H

#include <stddef.h>

#include "config.h"
#include "router.h"

struct server;
struct session;

struct module {
    const char *name;
    /* Options read from the module's [name] section into a struct of options_size bytes. */
    const struct cfg_opt *options;
    size_t n_options;
    size_t options_size;
    const struct route *routes;
    size_t n_routes;
    /* Disco#info features the module provides (NULL-terminated, may be NULL). */
    const char *const *features;
    /* Creates the module's state; opts points at its parsed options. PL_OK or an error. */
    int (*init)(struct server *srv, const void *opts, void **state);
    void (*fini)(void *state);
    /* A resource was bound / has gone: session_close runs at the end of the loop turn in
     * which the connection ended, after the session left the table. */
    void (*session_open)(void *state, struct session *sess);
    void (*session_close)(void *state, struct session *sess);
};

/* The static registry (server/modules.c). */
extern const struct module *const modules[];
extern const size_t modules_count;

#endif
