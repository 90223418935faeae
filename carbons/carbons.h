/* SPDX-License-Identifier: MIT */
/* Message Carbons (XEP-0280) and Client State Indication (XEP-0352): shared declarations. */
#ifndef PL_CARBONS_H
#define PL_CARBONS_H

#include "module.h"

/* A copy of msg for another resource of bare: <message from=bare type=msg's> wrapping msg in
 * <direction xmlns='urn:xmpp:carbons:2'> (received or sent) and <forwarded/>; no 'to' yet.
 * Owned by the caller. */
struct stanza *carbons_wrap(const struct stanza *msg, const char *direction, const char *bare);

extern const struct module carbons_module;
extern const struct module csi_module;

#endif
