/* SPDX-License-Identifier: MIT */
/* parley-bench's per-scenario options: the --mix weights of mixed, --mam kinds, and what the
 * offline and resume scenarios require (bench/opts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "opts.h"
#include "opts_run.h"

/* --mix: NAME=WEIGHT fields, strictly. The weights come back in enum mix_kind order. */
struct mix_case {
    const char *text;
    double want[MIX_KINDS];
};

static const struct mix_case mix_cases[] = {
    { "chat=80,presence=15,muc=5", { 80, 15, 5 } },
    { "muc=5,chat=80,presence=15", { 80, 15, 5 } }, /* any order */
    { "chat=70,presence=30", { 70, 30, 0 } },       /* any subset */
    { "presence=1", { 0, 1, 0 } },
    { "chat=2,muc=1", { 2, 0, 1 } }, /* weights, not only percentages */
    { "chat=0.5,presence=0.25", { 0.5, 0.25, 0 } },
    { "chat=0,presence=007", { 0, 7, 0 } },
    { "chat=1000000", { 1e6, 0, 0 } },
    { "muc=1", { 0, 0, 1 } },
};

/* A --mix refused, and what the reason says. */
struct mix_error {
    const char *text;
    const char *why;
};

static const struct mix_error mix_errors[] = {
    { NULL, "empty" },
    { "", "empty" },
    { ",", "empty field" },
    { "chat=1,", "empty field" },
    { ",chat=1", "empty field" },
    { "chat=1,,muc=1", "empty field" },
    { "chat", "'chat' is not NAME=WEIGHT" },
    { "chat=1,presence", "'presence' is not NAME=WEIGHT" },
    { "=5", "unknown kind ''" },
    { "Chat=5", "unknown kind 'Chat'" }, /* names are lowercase */
    { "chats=5", "unknown kind 'chats'" },
    { "cha=5", "unknown kind 'cha'" },
    { "groupchat=5", "unknown kind 'groupchat'" },
    { " chat=5", "unknown kind ' chat'" },
    { "chat =5", "unknown kind 'chat '" },
    { "chat=1,chat=2", "chat given twice" },
    { "chat=", "bad weight '' for chat" },
    { "chat= 5", "bad weight ' 5' for chat" },
    { "chat=5 ", "bad weight '5 ' for chat" },
    { "chat=-1", "bad weight '-1' for chat" },
    { "chat=+1", "bad weight '+1' for chat" },
    { "chat=1e3", "bad weight '1e3' for chat" },
    { "chat=0x10", "bad weight '0x10' for chat" },
    { "chat=nan", "bad weight 'nan' for chat" },
    { "chat=inf", "bad weight 'inf' for chat" },
    { "chat=.5", "bad weight '.5' for chat" },
    { "chat=5.", "bad weight '5.' for chat" },
    { "chat=1.2.3", "bad weight '1.2.3' for chat" },
    { "chat=80%", "bad weight '80%' for chat" },
    { "chat=1000001", "bad weight '1000001' for chat" },
    { "chat=1=2", "bad weight '1=2' for chat" },
    { "chat=0", "every weight is 0" },
    { "chat=0,presence=0.0,muc=0", "every weight is 0" },
};

static void test_mix_parser(void **state)
{
    (void)state;
    char why[128];
    double w[MIX_KINDS];
    for (size_t i = 0; i < ARRAY_LEN(mix_cases); i++) {
        const struct mix_case *c = &mix_cases[i];
        if (opts_parse_mix(c->text, w, why, sizeof(why)) != PL_OK)
            fail_msg("'%s' refused: %s", c->text, why);
        for (int k = 0; k < MIX_KINDS; k++)
            if (w[k] != c->want[k])
                fail_msg("'%s': %s is %g, want %g", c->text, opts_mix_names[k], w[k], c->want[k]);
    }
    for (size_t i = 0; i < ARRAY_LEN(mix_errors); i++) {
        const struct mix_error *c = &mix_errors[i];
        why[0] = '\0';
        int rc = opts_parse_mix(c->text, w, why, sizeof(why));
        if (rc != PL_EINVAL || !strstr(why, c->why))
            fail_msg("'%s': rc %d, said '%s', want '%s'", c->text ? c->text : "(null)", rc, why,
                     c->why);
    }
}

/* opts_parse fills the weights for mixed, and says which runs join rooms. */
static void test_mix_in_options(void **state)
{
    struct opts_run *f = *state;
    struct bench_opts o;
    const char *with_muc[] = { "mixed", "--mix", "chat=80,presence=15,muc=5", "--muc-domain",
                               "c.l", "--count", "1000", NULL };
    assert_int_equal(opts_run(f, with_muc, &o), -1);
    assert_true(o.mix_weights[MIX_CHAT] == 80 && o.mix_weights[MIX_PRESENCE] == 15 &&
                o.mix_weights[MIX_MUC] == 5);
    assert_true(opts_uses_muc(&o));
    const char *no_muc[] = { "mixed", NULL };
    assert_int_equal(opts_run(f, no_muc, &o), -1);
    assert_true(o.mix_weights[MIX_CHAT] == 85 && o.mix_weights[MIX_PRESENCE] == 15 &&
                o.mix_weights[MIX_MUC] == 0);
    assert_false(opts_uses_muc(&o));
    const char *muc[] = { "muc", "--muc-domain", "c.l", "--count", "1000", NULL };
    assert_int_equal(opts_run(f, muc, &o), -1);
    assert_true(opts_uses_muc(&o));
    const char *chat[] = { "chat", "--muc-domain", "c.l", NULL };
    assert_int_equal(opts_run(f, chat, &o), -1);
    assert_false(opts_uses_muc(&o));
}

/* --mam: kinds by name, each once, at least one; the scenarios that need more say so. */
static void test_mam_options(void **state)
{
    struct opts_run *f = *state;
    bool k[MAM_KINDS];
    char why[128];
    assert_int_equal(opts_parse_mam("text,with", k, why, sizeof(why)), PL_OK);
    assert_true(k[MAM_WITH] && !k[MAM_DATE] && k[MAM_TEXT]);
    static const char *const bad[][2] = {
        { "", "empty" },           { "with,with", "repeated kind 'with'" },
        { "with,", "unknown kind ''" }, { "fulltext", "unknown kind 'fulltext'" },
        { ",date", "unknown kind ''" }, { "date,Text", "unknown kind 'Text'" },
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        why[0] = '\0';
        if (opts_parse_mam(bad[i][0], k, why, sizeof(why)) != PL_EINVAL || !strstr(why, bad[i][1]))
            fail_msg("'%s': said '%s', want '%s'", bad[i][0], why, bad[i][1]);
    }
    struct bench_opts o;
    const char *mam[] = { "mam", "--mam", "date", "--mam-user", "big", "--count", "1", NULL };
    assert_int_equal(opts_run(f, mam, &o), -1);
    assert_true(o.scenario == SCEN_MAM && o.mam_kinds[MAM_DATE] && !o.mam_kinds[MAM_WITH]);
    assert_string_equal(o.mam_user, "big");
    const char *mam_none[] = { "mam", NULL };
    assert_int_equal(opts_run(f, mam_none, &o), 2);
    assert_non_null(strstr(f->text, "bad --mam ''"));
    const char *chat_bad[] = { "chat", "--mam", "with,page", NULL };
    assert_int_equal(opts_run(f, chat_bad, &o), 2);
    assert_non_null(strstr(f->text, "unknown kind 'page'"));
    /* offline needs pairs and something to keep; resume needs stream management */
    static const char *const refused[][8] = {
        { "offline", "--count", "3", "--messages", "10", NULL },
        { "offline", "--count", "4", "--messages", "0", NULL },
        { "resume", "--count", "4", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        assert_int_equal(opts_run(f, refused[i], &o), 2);
        assert_non_null(strstr(f->text, "offline needs an even --count"));
    }
    const char *offline[] = { "offline", "--count", "4", "--messages", "1000", NULL };
    assert_int_equal(opts_run(f, offline, &o), -1);
    const char *resume[] = { "resume", "--sm", "--count", "4", NULL };
    assert_int_equal(opts_run(f, resume, &o), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_parser),
        cmocka_unit_test_setup_teardown(test_mix_in_options, opts_run_setup, opts_run_teardown),
        cmocka_unit_test_setup_teardown(test_mam_options, opts_run_setup, opts_run_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
