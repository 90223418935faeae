/* SPDX-License-Identifier: MIT */
/* The <body/> wrappers a BOSH session answers with (XEP-0124 §7.2, §8, §17; XEP-0206). */
#include <inttypes.h>
#include <string.h>

#include "bosh_int.h"
#include "ns.h"

#define BODY_START "<body xmlns='" NS_HTTPBIND "'"
/* Framed output declares its namespaces on each element, but XEP-0206 §2 wants the prefix on
 * any body that may carry stream features or a stream error. */
#define STREAM_DECL " xmlns:stream='" NS_STREAM "'"

static void put_text(struct buf *out, const char *name, const char *value)
{
    buf_printf(out, " %s='", name);
    xml_escape(value, strlen(value), out);
    buf_append(out, "'", 1);
}

static void put_number(struct buf *out, const char *name, uint64_t value)
{
    buf_printf(out, " %s='%" PRIu64 "'", name, value);
}

static void put_payload(struct buf *out, const char *payload, size_t n)
{
    if (n == 0) {
        buf_puts(out, "/>");
        return;
    }
    buf_append(out, ">", 1);
    buf_append(out, payload, n);
    buf_puts(out, "</body>");
}

/* The attributes that XEP-0124 §7.2 keeps to the creation response; 0 means no limit for
 * inactivity and polling, no pauses for maxpause, so those are left out. */
static void put_session_attrs(const struct bosh_session *s, struct buf *out)
{
    const struct bosh_params *p = &s->p;
    put_text(out, "sid", s->sid);
    put_number(out, "wait", p->wait);
    put_number(out, "requests", p->requests);
    put_number(out, "hold", p->hold);
    if (p->inactivity)
        put_number(out, "inactivity", p->inactivity);
    if (p->polling)
        put_number(out, "polling", p->polling);
    if (p->maxpause)
        put_number(out, "maxpause", p->maxpause);
    buf_printf(out, " ver='%u.%u'", p->ver_major, p->ver_minor);
    put_text(out, "from", s->lim->domain);
}

void bosh_write_creation(const struct bosh_session *s, const char *payload, size_t n,
                         struct buf *out)
{
    buf_puts(out, BODY_START STREAM_DECL);
    if (s->p.xmpp_1)
        buf_puts(out, " xmlns:xmpp='" NS_XBOSH "'");
    put_session_attrs(s, out);
    if (s->authid[0])
        put_text(out, "authid", s->authid);
    /* XEP-0206 §3: restartlogic tells the client we act on xmpp:restart; a client that spoke
     * no XMPP version gets neither. */
    if (s->p.xmpp_1)
        buf_puts(out, " xmpp:version='1.0' xmpp:restartlogic='true'");
    if (s->p.acks)
        put_number(out, "ack", s->p.rid); /* XEP-0124 §9.1: acks are on for the session */
    put_payload(out, payload, n);
}

void bosh_write_body(uint64_t ack, const char *payload, size_t n, struct buf *out)
{
    buf_puts(out, BODY_START);
    if (n)
        buf_puts(out, STREAM_DECL);
    if (ack)
        put_number(out, "ack", ack);
    put_payload(out, payload, n);
}

void bosh_write_end(enum bosh_condition c, const char *uri, const char *payload, size_t n,
                    struct buf *out)
{
    buf_puts(out, BODY_START);
    if (n || c == BOSH_REMOTE_STREAM_ERROR)
        buf_puts(out, STREAM_DECL);
    buf_puts(out, " type='terminate'");
    if (bosh_condition_name(c))
        put_text(out, "condition", bosh_condition_name(c));
    if (c != BOSH_SEE_OTHER_URI || !uri) {
        put_payload(out, payload, n);
        return;
    }
    buf_append(out, ">", 1);
    if (n)
        buf_append(out, payload, n);
    buf_puts(out, "<uri>");
    xml_escape(uri, strlen(uri), out);
    buf_puts(out, "</uri></body>");
}

void bosh_write_recoverable(struct buf *out)
{
    buf_puts(out, BODY_START " type='error'/>");
}

void bosh_write_terminate(struct buf *out, enum bosh_condition cond)
{
    bosh_write_end(cond, NULL, NULL, 0, out);
}
