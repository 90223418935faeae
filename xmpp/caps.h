/* SPDX-License-Identifier: MIT */
/* XEP-0115 entity capabilities: the verification string of a disco#info result. */
#ifndef PL_CAPS_H
#define PL_CAPS_H

#include <stdbool.h>

#include "stanza.h"

#define NS_CAPS "http://jabber.org/protocol/caps"
/* SHA-1 in base64: 28 characters. */
#define CAPS_VER_LEN 28

/* The 'ver' of query (a disco#info <query/>): the §5.1 string of its identities, features
 * and extended forms, hashed with SHA-1, in base64. False for a result that §5.4 says must
 * not be trusted (a repeated identity, feature or form type, or a form type with two
 * values), or when hashing fails. */
bool caps_ver(const struct xel *query, char out[CAPS_VER_LEN + 1]);

#endif
