/* SPDX-License-Identifier: MIT */
/* Reading the server's replies the bot times: XEP-0198 counters, offline sequence numbers in
 * message bodies, and the end of a XEP-0313 query (its <fin/> and RSM set). */
#ifndef PB_REPLIES_H
#define PB_REPLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stanza.h"

#define NS_MAM "urn:xmpp:mam:2"
#define NS_RSM "http://jabber.org/protocol/rsm"
#define NS_XDATA "jabber:x:data"
#define NS_FULLTEXT_FIELD "{urn:xmpp:fulltext:0}fulltext"

/* Prefix of the bodies the offline scenario stores: "parley-offline N". */
#define OFFLINE_BODY_PREFIX "parley-offline "

/* Parses an XEP-0198 h: plain decimal digits, 0 .. 2^32 - 1. False for anything else. */
bool reply_parse_h(const char *text, uint32_t *h);

/* The N of an offline scenario body "parley-offline N" (decimal, no sign, nothing after it).
 * False for any other body. */
bool reply_offline_seq(const char *body, uint64_t *seq);

/* What the <fin/> of a MAM query says; ids are copied (truncated to the buffers). */
struct mam_fin {
    bool complete;
    bool has_count;
    uint64_t count;
    char first[96], last[96];
};

/*
 * Reads the <fin xmlns='urn:xmpp:mam:2'/> of an iq result to a MAM query, with its RSM set
 * (first, last, count where given). Returns true when the result carries a fin element.
 */
bool reply_mam_fin(const struct stanza *iq, struct mam_fin *out);

/* The queryid of a MAM result message (<result xmlns='urn:xmpp:mam:2' queryid=''/>), or NULL
 * when the message is not one. Borrowed from the stanza. */
const char *reply_mam_queryid(const struct stanza *msg);

#endif
