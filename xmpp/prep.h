/* SPDX-License-Identifier: MIT */
/* String preparation of JID parts and passwords with GNU libidn's stringprep profiles. */
#ifndef PL_PREP_H
#define PL_PREP_H

#include <stddef.h>

#include "buf.h"

/* Longest prepared JID part, and longest prepared password, in bytes (RFC 7622 §3). */
#define PREP_MAX 1023

/*
 * RFC 3454 §7: a string that is stored (a new account's name, a password being set) must not
 * hold code points unassigned in Unicode 3.2, since a later version may give them a mapping;
 * a string that is only compared (a JID in a stanza, a login) may.
 */
enum prep_mode { PREP_QUERY, PREP_STORE };

/* Why a string was refused; PREP_OK is zero, refusals are negative. */
enum prep_status {
    PREP_OK = 0,
    PREP_EEMPTY = -1,      /* nothing is left after preparation */
    PREP_EUTF8 = -2,       /* not UTF-8, or holds a NUL */
    PREP_EPROHIBITED = -3, /* a character the profile prohibits (space, control, '@'...) */
    PREP_EUNASSIGNED = -4, /* a code point unassigned in Unicode 3.2, in PREP_STORE mode */
    PREP_EBIDI = -5,       /* mixes left-to-right and right-to-left text (RFC 3454 §6) */
    PREP_ETOOLONG = -6,    /* longer than PREP_MAX bytes once prepared */
};

/*
 * Prepare s[0..n) into out, which has room for PREP_MAX + 1 bytes; out is NUL-terminated and
 * *len is its length. Pure ASCII takes a fast path that gives what the profile gives.
 * prep_localpart: Nodeprep (RFC 6122 App. A), which folds case and maps width and NFD to NFC.
 * prep_domain: Nameprep (RFC 3491), then refuses spaces, controls, '@' and '/'.
 * prep_resource: Resourceprep (RFC 6122 App. B), which keeps case.
 * Return PREP_OK or an enum prep_status refusal (out is then unspecified).
 */
int prep_localpart(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len);
int prep_domain(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len);
int prep_resource(const char *s, size_t n, enum prep_mode mode, char *out, size_t *len);

/*
 * SASLprep (RFC 4013) of a NUL-terminated password into *out (owned; the caller wipes and
 * frees it). Returns PREP_OK or an enum prep_status refusal (*out is then NULL).
 */
int prep_password(const char *s, enum prep_mode mode, char **out);

/*
 * Appends s (NUL-terminated) to out as printable ASCII in which look-alikes differ: every code
 * point past printable ASCII, the backslash and the single quote as \uXXXX (\UXXXXXXXX past
 * U+FFFF). A string that is not UTF-8 is written byte by byte: printable ASCII as it is, other
 * bytes as \xHH.
 */
void prep_escape(const char *s, struct buf *out);

/* The enum prep_status of a GNU libidn stringprep result code (Stringprep_rc), for profiles
 * built on libidn elsewhere (the nickname profile). */
int prep_status_of(int rc);

/* A static description of an enum prep_status value. */
const char *prep_strerror(int status);

#endif
