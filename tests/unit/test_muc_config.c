/* SPDX-License-Identifier: MIT */
/* Tests of a room's configuration (muc/config.c): the stored text form both ways, the
 * muc#roomconfig form a client submits (good values, bad ones that change nothing), and what
 * the form offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "muc.h"

/* A submitted form: pairs of var and value, ended by NULL. */
static struct stanza *form_of(const char *const *pairs)
{
    struct stanza *st = stanza_new("x", NS_XDATA);
    xel_set_attr(st, st->root, "type", "submit");
    for (size_t i = 0; pairs && pairs[i]; i += 2) {
        struct xel *f = xel_add_child(st, st->root, "field", NS_XDATA);
        xel_set_attr(st, f, "var", pairs[i]);
        xel_add_text_child(st, f, "value", pairs[i + 1]);
    }
    return st;
}

static struct muc_mod mod = { .opts = { .max_occupants = 1000, .max_history = 50 } };

static void room_init(struct muc_room *r)
{
    memset(r, 0, sizeof(*r));
    muc_config_defaults(&r->cfg);
}

static int submit(struct muc_room *r, const char *const *pairs, bool *changed)
{
    struct stanza *form = form_of(pairs);
    int res = muc_config_submit(r, form->root, &mod, changed);
    stanza_unref(form);
    return res;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct muc_room r;
    room_init(&r);
    bool changed;
    static const char *const set[] = {
        "muc#roomconfig_roomname", "Line one\nline \\two", "muc#roomconfig_persistentroom", "1",
        "muc#roomconfig_membersonly", "true", "muc#roomconfig_whois", "anyone",
        "muc#roomconfig_maxusers", "30", "muc#maxhistoryfetch", "7",
        "muc#roomconfig_allowpm", "moderators", "some#unknown_field", "ignored", NULL,
    };
    assert_int_equal(submit(&r, set, &changed), ROUTE_DONE);
    assert_true(changed);
    struct buf text;
    buf_init(&text);
    muc_config_encode(&r.cfg, &text);
    struct muc_config back;
    muc_config_defaults(&back);
    muc_config_decode(&back, text.data);
    assert_string_equal(back.name, "Line one\nline \\two");
    assert_true(back.persistent && back.members_only && !back.moderated && back.listed);
    assert_int_equal(back.whois, WHOIS_ANYONE);
    assert_int_equal(back.max_users, 30);
    assert_int_equal(back.history, 7);
    assert_int_equal(back.allow_pm, PM_MODERATORS);
    struct buf again;
    buf_init(&again);
    muc_config_encode(&back, &again);
    assert_string_equal(text.data, again.data);
    assert_int_equal(submit(&r, set, &changed), ROUTE_DONE);
    assert_false(changed); /* the same values again */
    buf_fini(&text);
    buf_fini(&again);
    muc_config_fini(&back);
    muc_config_fini(&r.cfg);
}

static void test_decode_is_lenient(void **state)
{
    (void)state;
    struct muc_config c;
    muc_config_defaults(&c);
    muc_config_decode(&c, "no equals sign\nmuc#roomconfig_roomdesc=a\\nb\nfuture_key=1\n"
                          "muc#roomconfig_moderatedroom=1");
    assert_string_equal(c.desc, "a\nb");
    assert_true(c.moderated);
    assert_int_equal(c.history, 20); /* untouched default */
    muc_config_fini(&c);
}

struct bad_case {
    const char *var, *value;
    int res;
};

static void test_bad_values_change_nothing(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "muc#roomconfig_maxusers", "many", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_maxusers", "1001", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_maxusers", "-1", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_historylength", "51", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_whois", "everybody", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_publicroom", "yes please", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "muc#roomconfig_passwordprotectedroom", "1", ROUTE_ERROR(COND_NOT_ACCEPTABLE) },
        { "FORM_TYPE", "jabber:x:other", ROUTE_ERROR(COND_BAD_REQUEST) },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct muc_room r;
        room_init(&r);
        struct buf before, after;
        buf_init(&before);
        buf_init(&after);
        muc_config_encode(&r.cfg, &before);
        const char *const pairs[] = { "muc#roomconfig_roomname", "renamed", cases[i].var,
                                      cases[i].value, NULL };
        bool changed = false;
        assert_int_equal(submit(&r, pairs, &changed), cases[i].res);
        muc_config_encode(&r.cfg, &after);
        assert_string_equal(before.data, after.data); /* not even the good field applied */
        buf_fini(&before);
        buf_fini(&after);
        muc_config_fini(&r.cfg);
    }
}

static void test_form_offers_every_field_with_its_value(void **state)
{
    (void)state;
    struct muc_room r;
    room_init(&r);
    free(r.cfg.name);
    r.cfg.name = strdup("Lobby");
    struct stanza *st = stanza_new("query", NS_MUC_OWNER);
    muc_config_form(st, st->root, &r, &mod);
    const struct xel *x = xel_child(st->root, "x", NS_XDATA);
    assert_non_null(x);
    assert_string_equal(xel_attr(x, "type"), "form");
    size_t fields = 0;
    bool saw_name = false, saw_type = false;
    for (const struct xel *f = x->first; f; f = f->next) {
        if (!f->name || strcmp(f->name, "field") != 0)
            continue;
        fields++;
        const char *var = xel_attr(f, "var");
        const char *v = xel_text(xel_child(f, "value", NS_XDATA));
        saw_name |= strcmp(var, "muc#roomconfig_roomname") == 0 && strcmp(v, "Lobby") == 0;
        saw_type |= strcmp(var, "FORM_TYPE") == 0 && strcmp(v, NS_MUC_ROOMCONFIG) == 0;
    }
    assert_true(saw_name && saw_type);
    assert_true(fields >= 16);
    stanza_unref(st);
    muc_config_fini(&r.cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_is_lenient),
        cmocka_unit_test(test_bad_values_change_nothing),
        cmocka_unit_test(test_form_offers_every_field_with_its_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
