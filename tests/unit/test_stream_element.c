/* SPDX-License-Identifier: MIT */
/* Top-level elements that are not stanzas (XEP-0352's <active/>) go to the owner once bound,
 * which may refuse them (unsupported-stanza-type); extension features follow authentication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "stream.h"
#include "stream_fx.h"

struct fake {
    int elements; /* offered to the owner */
    bool accept;
    char last[64];
};

static void fk_stanza(void *ctx, struct stanza *st) { (void)ctx; stanza_unref(st); }

static bool fk_element(void *ctx, struct stanza *st)
{
    struct fake *f = ctx;
    f->elements++;
    snprintf(f->last, sizeof(f->last), "%s %s", st->root->name, st->root->ns);
    return f->accept;
}

static const struct stream_hooks hooks = {
    .starttls = fx_starttls, .auth_allowed = fx_auth_ok, .auth_charge = fx_auth_ok,
    .auth_refund = fx_auth_refund, .auth_result = fx_auth_result, .get_creds = fx_creds_pencil,
    .bind = fx_bind_user, .stanza = fk_stanza, .element = fk_element,
};

static const struct stream_feature extra[] = { { "csi", "urn:xmpp:csi:0" } };

static const struct stream_config cfg = {
    .domain = "localhost",
    .limits = { .max_stanza_bytes = 4096, .max_depth = 16, .max_attrs = 16 },
    .max_bytes_before_auth = 65536,
    .max_auth_failures = 3,
    .auth_features = extra,
    .n_auth_features = 1,
};

#define HEADER "<stream:stream xmlns='jabber:client' " \
               "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"

static void feed(struct stream *s, const char *xml)
{
    stream_feed(s, xml, strlen(xml));
}

/* A stream up to binding; returns the output of the features after authentication. */
static struct stream *bound(struct fake *f, char *features, size_t n)
{
    struct stream *s = stream_new(&cfg, &hooks, f, true, false);
    feed(s, HEADER);
    assert_null(strstr((const char *)stream_output(s)->data, "urn:xmpp:csi:0"));
    feed(s, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
            "AHVzZXIAcGVuY2ls</auth>");
    buf_reset(stream_output(s));
    feed(s, HEADER);
    snprintf(features, n, "%.*s", (int)stream_output(s)->len, stream_output(s)->data);
    feed(s, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    assert_int_equal(stream_state(s), STREAM_BOUND);
    buf_reset(stream_output(s));
    return s;
}

static void test_features_after_auth(void **state)
{
    (void)state;
    struct fake f = { 0 };
    char features[2048];
    struct stream *s = bound(&f, features, sizeof(features));
    assert_non_null(strstr(features, "<csi xmlns='urn:xmpp:csi:0'/>"));
    stream_free(s);
}

static void test_element_accepted(void **state)
{
    (void)state;
    struct fake f = { .accept = true };
    char features[2048];
    struct stream *s = bound(&f, features, sizeof(features));
    feed(s, "<inactive xmlns='urn:xmpp:csi:0'/><active xmlns='urn:xmpp:csi:0'/>");
    assert_int_equal(f.elements, 2);
    assert_string_equal(f.last, "active urn:xmpp:csi:0");
    assert_int_equal(stream_state(s), STREAM_BOUND);
    assert_int_equal(stream_output(s)->len, 0);
    stream_free(s);
}

static void test_element_refused(void **state)
{
    (void)state;
    struct fake f = { .accept = false };
    char features[2048];
    struct stream *s = bound(&f, features, sizeof(features));
    feed(s, "<other xmlns='urn:example'/>");
    assert_int_equal(f.elements, 1);
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    assert_non_null(strstr((const char *)stream_output(s)->data, "<unsupported-stanza-type"));
    stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_after_auth),
        cmocka_unit_test(test_element_accepted),
        cmocka_unit_test(test_element_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
