/* SPDX-License-Identifier: MIT */
/* Reading the server's replies the bot times: SM counters, offline bodies, MAM query ends. */
#include "replies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strtoull alone accepts signs and blanks; a counter or sequence number is digits only. */
static bool parse_digits(const char *text, uint64_t max, uint64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

bool reply_parse_h(const char *text, uint32_t *h)
{
    uint64_t v;
    if (!parse_digits(text, UINT32_MAX, &v))
        return false;
    *h = (uint32_t)v;
    return true;
}

bool reply_offline_seq(const char *body, uint64_t *seq)
{
    size_t n = strlen(OFFLINE_BODY_PREFIX);
    if (!body || strncmp(body, OFFLINE_BODY_PREFIX, n) != 0)
        return false;
    return parse_digits(body + n, UINT64_MAX, seq);
}

static void copy_text(char *dst, size_t size, const struct xel *el)
{
    snprintf(dst, size, "%s", el ? xel_text(el) : "");
}

bool reply_mam_fin(const struct stanza *iq, struct mam_fin *out)
{
    memset(out, 0, sizeof(*out));
    const struct xel *fin = xel_child(iq->root, "fin", NS_MAM);
    if (!fin)
        return false;
    const char *complete = xel_attr(fin, "complete");
    out->complete = complete && (strcmp(complete, "true") == 0 || strcmp(complete, "1") == 0);
    const struct xel *set = xel_child(fin, "set", NS_RSM);
    if (!set)
        return true;
    copy_text(out->first, sizeof(out->first), xel_child(set, "first", NS_RSM));
    copy_text(out->last, sizeof(out->last), xel_child(set, "last", NS_RSM));
    const struct xel *count = xel_child(set, "count", NS_RSM);
    out->has_count = count && parse_digits(xel_text(count), UINT64_MAX, &out->count);
    return true;
}

const char *reply_mam_queryid(const struct stanza *msg)
{
    const struct xel *res = xel_child(msg->root, "result", NS_MAM);
    if (!res)
        return NULL;
    const char *q = xel_attr(res, "queryid");
    return q ? q : "";
}
