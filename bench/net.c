/* SPDX-License-Identifier: MIT */
/* Sockets for the bot: numeric loopback addresses, source address ranges, the fd limit. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base.h"

#define MAX_SOURCES 65536

int net_addr_parse(const char *host, int port, struct net_addr *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        out->len = sizeof(*in);
        return PL_OK;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof(*in6);
        return PL_OK;
    }
    return PL_EINVAL;
}

/* Doubling growth: a /16 range is 65,536 addresses, one realloc each would be quadratic. */
static void add_source(struct net_sources *s, const struct net_addr *a)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->addrs = xrealloc(s->addrs, s->cap * sizeof(*s->addrs));
    }
    s->addrs[s->n++] = *a;
}

/* "A-B": every IPv4 address from A to B. */
static int add_range(struct net_sources *s, const char *lo, const char *hi)
{
    struct net_addr a, b;
    if (net_addr_parse(lo, 0, &a) != PL_OK || net_addr_parse(hi, 0, &b) != PL_OK ||
        a.ss.ss_family != AF_INET || b.ss.ss_family != AF_INET)
        return PL_EINVAL;
    uint32_t from = ntohl(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr);
    uint32_t to = ntohl(((struct sockaddr_in *)&b.ss)->sin_addr.s_addr);
    if (to < from || to - from >= MAX_SOURCES)
        return PL_EINVAL;
    for (uint64_t ip = from; ip <= to; ip++) {
        ((struct sockaddr_in *)&a.ss)->sin_addr.s_addr = htonl((uint32_t)ip);
        add_source(s, &a);
    }
    return PL_OK;
}

static int add_item(struct net_sources *s, char *item, int family)
{
    char *dash = strchr(item, '-');
    int rc;
    if (dash) {
        *dash = '\0';
        rc = add_range(s, item, dash + 1);
    } else {
        struct net_addr a;
        rc = net_addr_parse(item, 0, &a);
        if (rc == PL_OK)
            add_source(s, &a);
    }
    if (rc == PL_OK && s->addrs[s->n - 1].ss.ss_family != family)
        rc = PL_EINVAL; /* a source must speak the server's address family */
    return rc;
}

int net_sources_parse(const char *spec, int family, struct net_sources *out)
{
    memset(out, 0, sizeof(*out));
    if (!spec || !*spec)
        return PL_OK;
    char *copy = xstrdup(spec), *save = NULL;
    int rc = PL_OK;
    for (char *item = strtok_r(copy, ",", &save); item && rc == PL_OK;
         item = strtok_r(NULL, ",", &save))
        rc = add_item(out, item, family);
    free(copy);
    if (rc == PL_OK && out->n == 0)
        rc = PL_EINVAL;
    if (rc != PL_OK)
        net_sources_fini(out);
    return rc;
}

void net_sources_fini(struct net_sources *s)
{
    free(s->addrs);
    memset(s, 0, sizeof(*s));
}

int net_socket(struct net_sources *s, int family)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* XMPP is many small writes: Nagle with delayed ACKs would add 40 ms to latencies. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (s->n == 0)
        return fd;
    /* The port is picked at connect time from the whole 4-tuple, so each source address
     * gets its own ephemeral range instead of sharing one bind()-time pool. */
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    const struct net_addr *a = &s->addrs[s->next];
    s->next = (s->next + 1) % s->n;
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

long net_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}
