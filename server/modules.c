/* SPDX-License-Identifier: MIT */
/* The static module registry: every feature module Parley is built with, in routing order. */
#include "module.h"

#include "base.h"

extern const struct module adhoc_module;
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
extern const struct module vcard_module;
extern const struct module private_module;
/* Last: its session_close must run after the others have said goodbye through its filters. */
extern const struct module privacy_module;

/* adhoc before disco: it answers disco#items at the commands node, disco the rest. */
const struct module *const modules[] = {
    &adhoc_module,   &disco_module,    &ping_module,
    &version_module, &time_module,     &register_module, &roster_module,
    &last_module,    &archive_module,  &carbons_module,
    &csi_module,     &offline_module,  &muc_module,
    &vcard_module,   &private_module,  &privacy_module,
};

const size_t modules_count = ARRAY_LEN(modules);
