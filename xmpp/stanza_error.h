/* SPDX-License-Identifier: MIT */
/* Stanza error conditions (RFC 6120 §8.3) and error replies. */
#ifndef PL_STANZA_ERROR_H
#define PL_STANZA_ERROR_H

#include "stanza.h"

enum stanza_cond {
    COND_NONE = 0,
    COND_BAD_REQUEST,
    COND_CONFLICT,
    COND_FEATURE_NOT_IMPLEMENTED,
    COND_FORBIDDEN,
    COND_GONE,
    COND_INTERNAL_SERVER_ERROR,
    COND_ITEM_NOT_FOUND,
    COND_JID_MALFORMED,
    COND_NOT_ACCEPTABLE,
    COND_NOT_ALLOWED,
    COND_NOT_AUTHORIZED,
    COND_POLICY_VIOLATION,
    COND_RECIPIENT_UNAVAILABLE,
    COND_REDIRECT,
    COND_REGISTRATION_REQUIRED,
    COND_REMOTE_SERVER_NOT_FOUND,
    COND_REMOTE_SERVER_TIMEOUT,
    COND_RESOURCE_CONSTRAINT,
    COND_SERVICE_UNAVAILABLE,
    COND_SUBSCRIPTION_REQUIRED,
    COND_UNDEFINED_CONDITION,
    COND_UNEXPECTED_REQUEST,
    COND_COUNT
};

/* The condition's element name ("bad-request", ...). */
const char *stanza_cond_name(enum stanza_cond cond);
/*
 * Returns an owned error reply to orig: same element and id, to/from swapped, type error,
 * the original payload, then <error type=...><cond/><text/>?</error>. text may be NULL.
 * An extra condition element in another namespace may be added with xel_add_child after.
 */
struct stanza *stanza_error_reply(const struct stanza *orig, enum stanza_cond cond,
                                  const char *text);
/* Returns an owned <iq type='result'/> reply to an iq (to/from swapped, same id). */
struct stanza *stanza_iq_result(const struct stanza *iq);

#endif
