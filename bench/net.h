/* SPDX-License-Identifier: MIT */
/* Sockets for the bot: the server address, round-robin source addresses, the fd limit. */
#ifndef PB_NET_H
#define PB_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* A numeric address and its length. */
struct net_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Source addresses handed out in turn; owned array, net_sources_fini. */
struct net_sources {
    struct net_addr *addrs;
    size_t n;
    size_t cap;
    size_t next;
};

/* Parses a numeric host and port. Returns PL_OK or PL_EINVAL. */
int net_addr_parse(const char *host, int port, struct net_addr *out);
/*
 * Parses "A", "A-B" (IPv4, last address inclusive, at most 65536) or "A,B,C" into sources of
 * the given family. NULL or "" gives an empty list (no bind). Returns PL_OK or PL_EINVAL.
 */
int net_sources_parse(const char *spec, int family, struct net_sources *out);
void net_sources_fini(struct net_sources *s);
/*
 * A non-blocking TCP socket bound to the next source address (port chosen at connect time),
 * or -1 with errno set.
 */
int net_socket(struct net_sources *s, int family);
/* Raises RLIMIT_NOFILE to the hard limit; returns the new soft limit. */
long net_raise_nofile(void);

#endif
