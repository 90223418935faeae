/* SPDX-License-Identifier: MIT */
/* Prepares group chat occupant nicknames (XEP-0045) with the PRECIS Nickname profile (RFC 8266). */
#ifndef PL_NICK_H
#define PL_NICK_H

#include <stddef.h>

#include "prep.h"

/* Longest prepared nickname, and longest comparison key, in bytes. */
#define NICK_MAX 1023

/*
 * RFC 8266 enforcement of s[0..n) into out, which has room for NICK_MAX + 1 bytes; out is
 * NUL-terminated and *len is its length. This is the nickname as it is shown: non-ASCII spaces
 * become U+0020, spaces are trimmed and collapsed, invisible code points (RFC 3454 B.1) are
 * dropped, NFKC is applied, and case is kept. key_out (the same size; *key_len its length) gets
 * the comparison form, additionally case-folded: two nicknames are the same when their keys
 * are equal ("Juliet", "JULIET" and fullwidth "ｊｕｌｉｅｔ" all give "juliet").
 * A prepared nickname is also a resourcepart that prep_resource (PREP_QUERY) leaves unchanged.
 * Pure ASCII takes a fast path that gives what the general path gives. Both buffers belong to
 * the caller and are unspecified after a refusal.
 * Returns PREP_OK or an enum prep_status refusal: PREP_EEMPTY when nothing is left,
 * PREP_EUTF8 for bad UTF-8 or a NUL, PREP_EPROHIBITED for a control, private use,
 * non-character, surrogate, display-changing or tagging code point (RFC 3454 C.2-C.9),
 * PREP_EBIDI for right-to-left text mixed with left-to-right text (RFC 3454 §6), PREP_ETOOLONG
 * when the input is over 4 * NICK_MAX bytes or either form is over NICK_MAX bytes.
 */
int nick_prepare(const char *s, size_t n, char *out, size_t *len, char *key_out, size_t *key_len);

#endif
