/* SPDX-License-Identifier: MIT */
/* Tests of XEP-0115's verification string (xmpp/caps.c): the XEP's own two examples, the
 * order of what is hashed, and the results §5.4 says must not be trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "caps.h"

#define Q "<query xmlns='http://jabber.org/protocol/disco#info'>"
#define F(v) "<feature var='" v "'/>"
#define BASIC_FEATURES                                                                     \
    F("http://jabber.org/protocol/caps") F("http://jabber.org/protocol/disco#info")          \
    F("http://jabber.org/protocol/disco#items") F("http://jabber.org/protocol/muc")
#define SOFTWARE_FORM                                                                      \
    "<x xmlns='jabber:x:data' type='result'>"                                              \
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value>"  \
    "</field><field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"       \
    "<field var='os'><value>Mac</value></field>"                                          \
    "<field var='os_version'><value>10.5.1</value></field>"                               \
    "<field var='software'><value>Psi</value></field>"                                    \
    "<field var='software_version'><value>0.11</value></field></x>"

/* caps_ver of the serialized query; false when refused (out is then "-"). */
static bool ver_of(const char *xml, char out[CAPS_VER_LEN + 1])
{
    struct stanza *st = stanza_parse(xml, strlen(xml));
    assert_non_null(st);
    bool ok = caps_ver(st->root, out);
    if (!ok)
        strcpy(out, "-");
    stanza_unref(st);
    return ok;
}

static void test_xep_simple_example(void **state)
{
    (void)state;
    char v[CAPS_VER_LEN + 1];
    assert_true(ver_of(Q "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
                       BASIC_FEATURES "</query>", v));
    assert_string_equal(v, "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

/* Two identities with xml:lang, a form: its fields and values sorted (given out of order
 * here, and the features too) give the XEP's value all the same. */
static void test_xep_complex_example(void **state)
{
    (void)state;
    char v[CAPS_VER_LEN + 1];
    assert_true(ver_of(Q "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
                       "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
                       F("http://jabber.org/protocol/muc") F("http://jabber.org/protocol/caps")
                       F("http://jabber.org/protocol/disco#items")
                       F("http://jabber.org/protocol/disco#info") SOFTWARE_FORM "</query>", v));
    assert_string_equal(v, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

static void test_untrusted_results(void **state)
{
    (void)state;
    char v[CAPS_VER_LEN + 1];
    const char *id = "<identity category='client' name='X' type='pc'/>";
    char xml[4096];
    snprintf(xml, sizeof(xml), Q "%s%s" BASIC_FEATURES "</query>", id, id);
    assert_false(ver_of(xml, v)); /* a repeated identity */
    snprintf(xml, sizeof(xml), Q "%s" BASIC_FEATURES F("http://jabber.org/protocol/muc")
             "</query>", id);
    assert_false(ver_of(xml, v)); /* a repeated feature */
    snprintf(xml, sizeof(xml), Q "%s" BASIC_FEATURES SOFTWARE_FORM SOFTWARE_FORM "</query>", id);
    assert_false(ver_of(xml, v)); /* a repeated form type */
    snprintf(xml, sizeof(xml), Q "%s<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'"
             " type='hidden'><value>a</value><value>b</value></field></x></query>", id);
    assert_false(ver_of(xml, v)); /* a form type with two values */
}

/* A form whose FORM_TYPE is not hidden, or that has none, is left out of the hash. */
static void test_forms_left_out(void **state)
{
    (void)state;
    char plain[CAPS_VER_LEN + 1], v[CAPS_VER_LEN + 1];
    assert_true(ver_of(Q "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
                       BASIC_FEATURES "</query>", plain));
    assert_true(ver_of(Q "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
                       BASIC_FEATURES "<x xmlns='jabber:x:data' type='result'><field "
                       "var='FORM_TYPE'><value>urn:x</value></field></x>"
                       "<x xmlns='jabber:x:data' type='result'><field var='a'><value>1</value>"
                       "</field></x></query>", v));
    assert_string_equal(v, plain);
    assert_true(ver_of(Q "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
                       BASIC_FEATURES "<x xmlns='jabber:x:data' type='result'><field "
                       "var='FORM_TYPE' type='hidden'><value>urn:x</value></field></x>"
                       "</query>", v));
    assert_string_not_equal(v, plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xep_simple_example),
        cmocka_unit_test(test_xep_complex_example),
        cmocka_unit_test(test_untrusted_results),
        cmocka_unit_test(test_forms_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
