/* SPDX-License-Identifier: MIT */
/* Stream management on the stream (XEP-0198): <enable/>, <resume/>, <r/> and <a/>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "sm.h"
#include "stream_int.h"

/* <failed xmlns='urn:xmpp:sm:3' [h='']><condition xmlns=stanzas/></failed> */
static void write_failed(struct stream *s, const char *condition, const uint32_t *h)
{
    char hs[16];
    buf_puts(&s->out, "<failed xmlns='" NS_SM "'");
    if (h) {
        snprintf(hs, sizeof(hs), "%u", (unsigned)*h);
        buf_puts(&s->out, " h='");
        buf_puts(&s->out, hs);
        buf_puts(&s->out, "'");
    }
    buf_puts(&s->out, "><");
    buf_puts(&s->out, condition);
    buf_puts(&s->out, " xmlns='" NS_STANZAS "'/></failed>");
    stream_element_written(s);
}

/* An h attribute: a decimal counter below 2^32. */
static bool parse_h(const char *text, uint32_t *h)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 10)
        return false;
    unsigned long long v = strtoull(text, NULL, 10);
    if (v > UINT32_MAX)
        return false;
    *h = (uint32_t)v;
    return true;
}

static bool is_true(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void sm_enable(struct stream *s, const struct xel *el)
{
    if (s->state != STREAM_BOUND || s->sm) {
        write_failed(s, "unexpected-request", NULL);
        return;
    }
    const char *max = xel_attr(el, "max");
    unsigned max_s = max ? (unsigned)strtoul(max, NULL, 10) : 0;
    s->sm = s->hooks->sm_enable(s->ctx, is_true(xel_attr(el, "resume")), max_s);
    if (!s->sm) {
        write_failed(s, "service-unavailable", NULL);
        return;
    }
    char tail[48];
    buf_puts(&s->out, "<enabled xmlns='" NS_SM "'");
    if (s->sm->id[0]) {
        buf_puts(&s->out, " id='");
        buf_puts(&s->out, s->sm->id);
        snprintf(tail, sizeof(tail), "' resume='true' max='%u'", s->sm->max_s);
        buf_puts(&s->out, tail);
    }
    buf_puts(&s->out, "/>");
    stream_element_written(s);
}

static void sm_resume(struct stream *s, const struct xel *el)
{
    const char *previd = xel_attr(el, "previd");
    uint32_t h, known_h;
    if (s->state != STREAM_BINDING || s->sm) {
        write_failed(s, "unexpected-request", NULL);
        return;
    }
    if (!previd || !parse_h(xel_attr(el, "h"), &h)) {
        write_failed(s, "bad-request", NULL);
        return;
    }
    struct sm *sm = NULL;
    int rc = s->hooks->sm_resume(s->ctx, previd, &sm, &known_h);
    if (rc != PL_OK) {
        write_failed(s, "item-not-found", rc == PL_EEXIST ? &known_h : NULL);
        return;
    }
    s->sm = sm;
    s->state = STREAM_BOUND;
    if (sm_acked(sm, h) != PL_OK) {
        stream_error(s, "undefined-condition", "h acknowledges stanzas never sent");
        return;
    }
    char tail[32];
    buf_puts(&s->out, "<resumed xmlns='" NS_SM "' previd='");
    buf_puts(&s->out, sm->id);
    snprintf(tail, sizeof(tail), "' h='%u'/>", (unsigned)sm->h_committed);
    buf_puts(&s->out, tail);
    stream_element_written(s);
    s->hooks->sm_resumed(s->ctx);
}

static void sm_ack(struct stream *s, const struct xel *el)
{
    uint32_t h;
    if (!parse_h(xel_attr(el, "h"), &h)) {
        stream_error(s, "undefined-condition", "an <a/> without a valid h");
        return;
    }
    if (sm_acked(s->sm, h) != PL_OK)
        stream_error(s, "undefined-condition", "h acknowledges stanzas never sent");
}

bool stream_sm_handle(struct stream *s, const struct xel *el)
{
    if (!el->ns || strcmp(el->ns, NS_SM) != 0 || !s->hooks->sm_enable)
        return false;
    if (strcmp(el->name, "enable") == 0)
        sm_enable(s, el);
    else if (strcmp(el->name, "resume") == 0)
        sm_resume(s, el);
    else if (!s->sm || s->state != STREAM_BOUND)
        write_failed(s, "unexpected-request", NULL);
    else if (strcmp(el->name, "r") == 0)
        s->hooks->sm_ack_wanted(s->ctx);
    else if (strcmp(el->name, "a") == 0)
        sm_ack(s, el);
    else
        write_failed(s, "feature-not-implemented", NULL);
    return true;
}

void stream_sm_ack(struct stream *s)
{
    char a[64];
    if (!s->sm || s->state != STREAM_BOUND)
        return;
    snprintf(a, sizeof(a), "<a xmlns='" NS_SM "' h='%u'/>", (unsigned)s->sm->h_committed);
    buf_puts(&s->out, a);
    stream_element_written(s);
}

struct sm *stream_sm(const struct stream *s) { return s->sm; }

void stream_sm_forget(struct stream *s) { s->sm = NULL; }
