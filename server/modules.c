/* SPDX-License-Identifier: MIT */
/* The static module registry: every feature module Parley is built with, in routing order. */
#include "module.h"

#include "base.h"
#include "session.h"

extern const struct module adhoc_module;
extern const struct module pubsub_module;
extern const struct module disco_module;
extern const struct module ping_module;
extern const struct module version_module;
extern const struct module time_module;
extern const struct module register_module;
extern const struct module roster_module;
extern const struct module last_module;
extern const struct module archive_module;
extern const struct module carbons_module;
extern const struct module csi_module;
extern const struct module offline_module;
extern const struct module muc_module;
extern const struct module upload_module;
extern const struct module vcard_module;
extern const struct module private_module;
/* Last: its session_close must run after the others have said goodbye through its filters. */
extern const struct module privacy_module;

/* adhoc and pubsub before disco: they answer disco at the commands node and at PEP nodes,
 * disco the rest. */
const struct module *const modules[] = {
    &adhoc_module,   &pubsub_module,   &disco_module,    &ping_module,
    &version_module, &time_module,     &register_module, &roster_module,
    &last_module,    &archive_module,  &carbons_module,
    &csi_module,     &offline_module,  &muc_module,      &upload_module,
    &vcard_module,   &private_module,  &privacy_module,
};

const size_t modules_count = ARRAY_LEN(modules);
/* Each registered module has a per-session slot and a state slot. */
_Static_assert(ARRAY_LEN(modules) <= MODULE_SLOTS, "raise MODULE_SLOTS in server/session.h");
