/* SPDX-License-Identifier: MIT */
/* XEP-0156 connection discovery: the host-meta documents naming the WebSocket and BOSH
 * endpoints, in XRD (RFC 6415) and in JSON. */
#ifndef PL_HOST_META_H
#define PL_HOST_META_H

#include "buf.h"

/* base: the scheme and authority the client reached us at, e.g. "https://example.org:5443".
 * The WebSocket URL is derived from it (ws:// or wss://). */
void host_meta_xrd(const char *base, struct buf *out);
void host_meta_json(const char *base, struct buf *out);

#endif
