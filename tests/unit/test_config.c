/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the config parser: each row is a file's text and what it must yield. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "buf.h"
#include "config.h"
#include "module.h"
#include "session.h" /* MODULE_SLOTS */
#include "options.h"

/* A small table with every option type, a second section, and one option without default. */
struct t_top {
    char *name;
    char *dir;
    char *abs;
    char *note;
    long port;
    bool flag;
    int level;
};

struct t_muc {
    char *room;
    long port;
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };

#define TOP(f) offsetof(struct t_top, f)
#define MUC(f) offsetof(struct t_muc, f)

static const struct cfg_opt top_opts[] = {
    { "name", CFG_STRING, TOP(name), "parley", 1, 16, NULL },
    { "dir", CFG_PATH, TOP(dir), "../data", 1, 4096, NULL },
    { "abs", CFG_PATH, TOP(abs), "/var/lib/parley", 1, 4096, NULL },
    { "note", CFG_STRING, TOP(note), NULL, 0, 64, NULL },
    { "port", CFG_INT, TOP(port), "5222", 0, 65535, NULL },
    { "flag", CFG_BOOL, TOP(flag), "false", 0, 1, NULL },
    { "level", CFG_ENUM, TOP(level), "info", 0, 0, levels },
};

static const struct cfg_opt muc_opts[] = {
    { "room", CFG_STRING, MUC(room), "lobby", 1, 32, NULL },
    { "port", CFG_INT, MUC(port), "10", 1, 100, NULL },
};

/* Temp tree: tmp/conf/t.conf, so "../data" defaults land in tmp/data. */
struct fixture {
    char tmp[PATH_MAX];
    char conf[PATH_MAX + 8];
    char file[PATH_MAX + 16];
};

struct loaded {
    struct t_top top;
    struct t_muc muc;
    struct cfg_section sections[2];
    struct buf err;
    int rc;
};

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The structs start as garbage: config_load must own every string slot from the start. */
static void load_path(const char *path, struct loaded *l)
{
    memset(&l->top, 0xa5, sizeof(l->top));
    memset(&l->muc, 0xa5, sizeof(l->muc));
    l->sections[0] = (struct cfg_section){ "", top_opts, ARRAY_LEN(top_opts), &l->top };
    l->sections[1] = (struct cfg_section){ "muc", muc_opts, ARRAY_LEN(muc_opts), &l->muc };
    buf_init(&l->err);
    l->rc = config_load(path, l->sections, 2, &l->err);
}

static void load_text(const struct fixture *fx, const char *text, size_t len, struct loaded *l)
{
    write_file(fx->file, text, len);
    load_path(fx->file, l);
}

static void unload(struct loaded *l)
{
    config_free(l->sections, 2);
    buf_fini(&l->err);
}

static const char *err_text(const struct loaded *l)
{
    return l->err.data ? l->err.data : "";
}

/*
 * Expected outcome of a file that loads, as text; NULL means "the default". Relative paths are
 * under the temp folder, so "data" is where the "../data" default of tmp/conf/t.conf points.
 */
struct want {
    const char *name, *dir, *abs, *note, *port, *flag, *level, *room, *muc_port;
};

static const struct want defaults = {
    .name = "parley", .dir = "data", .abs = "/var/lib/parley", .note = NULL, .port = "5222",
    .flag = "0", .level = "1", .room = "lobby", .muc_port = "10",
};

struct ok_row {
    const char *label;
    const char *text;
    struct want want;
};

static const struct ok_row ok_rows[] = {
    { "empty file", "", { 0 } },
    { "comments and blanks", "# top\n\n   # indented\n\t\nport = 1 # trailing\n",
      { .port = "1" } },
    { "every type",
      "name = srv\ndir = state\nabs = /srv/x\nnote = hi there\nport = 0\nflag = yes\n"
      "level = error\n",
      { .name = "srv", .dir = "conf/state", .abs = "/srv/x", .note = "hi there",
        .port = "0", .flag = "1", .level = "3" } },
    { "bool on", "flag = On\n", { .flag = "1" } },
    { "bool 1", "flag = 1\n", { .flag = "1" } },
    { "bool TRUE", "flag = TRUE\n", { .flag = "1" } },
    { "bool no", "flag = no\n", { .flag = "0" } },
    { "enum any case", "level = DEBUG\n", { .level = "0" } },
    { "plus sign", "port = +80\n", { .port = "80" } },
    { "top of range", "port = 65535\n", { .port = "65535" } },
    { "quoted keeps # = and spaces", "name = \"a # b\"\nnote = \"  x = y  \" # why\n",
      { .name = "a # b", .note = "  x = y  " } },
    { "empty quoted", "note = \"\"\n", { .note = "" } },
    { "hash inside a word", "note = a#b\n", { .note = "a#b" } },
    { "only a comment", "note = # nothing\n", { .note = "" } },
    { "empty value", "note =\n", { .note = "" } },
    { "sections", "port = 1\n[muc] # rooms\nport = 2\nroom = hall\n",
      { .port = "1", .room = "hall", .muc_port = "2" } },
    { "padded header", "[ muc ]\nroom=x\n", { .room = "x" } },
    { "crlf, tabs, no spaces", "  port=7\r\nname\t=\tx\r\n", { .port = "7", .name = "x" } },
    { "no final newline", "port = 9", { .port = "9" } },
    { "path dot", "dir = .\n", { .dir = "conf" } },
    { "path dotdot", "dir = ..\n", { .dir = "" } },
    { "path dot slash", "dir = ./sub/x\n", { .dir = "conf/sub/x" } },
    { "path inner dotdot kept", "dir = ./a/../b\n", { .dir = "conf/a/../b" } },
    { "path quoted", "dir = \"my data\"\n", { .dir = "conf/my data" } },
};

struct err_row {
    const char *label;
    const char *text;
    int rc;
    const char *err; /* after "FILE:" */
};

static const struct err_row err_rows[] = {
    { "unknown key", "port = 1\nfoo = 2\n", PL_EINVAL, "2: unknown key 'foo'" },
    { "unknown key in section", "[muc]\nname = x\n", PL_EINVAL, "2: unknown key 'name' in [muc]" },
    { "unknown section", "\n[irc]\n", PL_EINVAL, "2: unknown section 'irc'" },
    { "empty section", "[ ]\n", PL_EINVAL, "1: empty section name" },
    { "unclosed section", "[muc\n", PL_EINVAL, "1: missing ']' in section header" },
    { "text after section", "[muc] x\n", PL_EINVAL, "1: unexpected text after ']'" },
    { "duplicate key", "port = 1\n# x\nport = 2\n", PL_EINVAL,
      "3: duplicate key 'port' (first set on line 1)" },
    { "duplicate string", "name = a\nname = b\n", PL_EINVAL,
      "2: duplicate key 'name' (first set on line 1)" },
    { "duplicate in section", "[muc]\nroom = a\n[muc]\nroom = b\n", PL_EINVAL,
      "4: duplicate key 'room' (first set on line 2)" },
    { "missing =", "port 5222\n", PL_EINVAL, "1: missing '=' in 'port 5222'" },
    { "empty key", " = 3\n", PL_EINVAL, "1: empty key" },
    { "not a number", "port = 80x\n", PL_EINVAL, "1: port: '80x' is not a number" },
    { "empty number", "port =\n", PL_EINVAL, "1: port: '' is not a number" },
    { "hex number", "port = 0x50\n", PL_EINVAL, "1: port: '0x50' is not a number" },
    { "out of range", "port = 70000\n", PL_EINVAL, "1: port: 70000 is out of range 0..65535" },
    { "negative", "port = -1\n", PL_EINVAL, "1: port: -1 is out of range 0..65535" },
    { "overflow", "port = 99999999999999999999\n", PL_EINVAL,
      "1: port: 99999999999999999999 is out of range 0..65535" },
    { "section range", "[muc]\nport = 0\n", PL_EINVAL, "2: port: 0 is out of range 1..100" },
    { "bad bool", "flag = maybe\n", PL_EINVAL,
      "1: flag: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)" },
    { "bad enum", "level = loud\n", PL_EINVAL,
      "1: level: 'loud' is not one of debug, info, warn, error" },
    { "string too long", "name = 12345678901234567\n", PL_EINVAL,
      "1: name: value is too long (maximum length 16)" },
    { "string too short", "name =\n", PL_EINVAL, "1: name: '' is too short (minimum length 1)" },
    { "empty path", "dir = \"\"\n", PL_EINVAL, "1: dir: '' is too short (minimum length 1)" },
    { "unterminated quote", "name = \"abc\n", PL_EINVAL, "1: name: missing closing quote" },
    { "text after quote", "name = \"a\" b\n", PL_EINVAL,
      "1: name: unexpected text after closing quote" },
    { "late error keeps strings freeable", "name = x\nnote = y\n[muc]\nroom = z\nbogus = 1\n",
      PL_EINVAL, "5: unknown key 'bogus' in [muc]" },
};

static void expect_str(const char *label, const char *field, const char *got, const char *want)
{
    if (!got && !want)
        return;
    if (!got || !want || strcmp(got, want) != 0)
        fail_msg("%s: %s is '%s', want '%s'", label, field, got ? got : "(null)",
                 want ? want : "(null)");
}

static void expect_long(const char *label, const char *field, long got, long want)
{
    if (got != want)
        fail_msg("%s: %s is %ld, want %ld", label, field, got, want);
}

/* Relative expected paths are written from the temp folder's point of view. */
static void expect_path(const struct fixture *fx, const char *label, const char *field,
                        const char *got, const char *want)
{
    char full[PATH_MAX * 2];
    if (want[0] == '/')
        snprintf(full, sizeof(full), "%s", want);
    else
        snprintf(full, sizeof(full), "%s%s%s", fx->tmp, want[0] ? "/" : "", want);
    expect_str(label, field, got, full);
}

static void expect_num(const char *label, const char *field, long got, const char *want)
{
    char text[32];
    snprintf(text, sizeof(text), "%ld", got);
    expect_str(label, field, text, want);
}

static const char *pick(const char *row, const char *def)
{
    return row ? row : def;
}

static void check_want(const struct fixture *fx, const char *label, const struct loaded *l,
                       const struct want *w)
{
    expect_str(label, "name", l->top.name, pick(w->name, defaults.name));
    expect_path(fx, label, "dir", l->top.dir, pick(w->dir, defaults.dir));
    expect_path(fx, label, "abs", l->top.abs, pick(w->abs, defaults.abs));
    expect_str(label, "note", l->top.note, pick(w->note, defaults.note));
    expect_num(label, "port", l->top.port, pick(w->port, defaults.port));
    expect_num(label, "flag", l->top.flag, pick(w->flag, defaults.flag));
    expect_num(label, "level", l->top.level, pick(w->level, defaults.level));
    expect_str(label, "room", l->muc.room, pick(w->room, defaults.room));
    expect_num(label, "muc port", l->muc.port, pick(w->muc_port, defaults.muc_port));
}

static void expect_ok(const struct loaded *l, const char *label)
{
    if (l->rc != PL_OK)
        fail_msg("%s: rc %d, err '%s'", label, l->rc, err_text(l));
    expect_str(label, "err", err_text(l), "");
}

static void test_ok_rows(void **state)
{
    const struct fixture *fx = *state;
    for (size_t i = 0; i < ARRAY_LEN(ok_rows); i++) {
        const struct ok_row *r = &ok_rows[i];
        struct loaded l;
        load_text(fx, r->text, strlen(r->text), &l);
        expect_ok(&l, r->label);
        check_want(fx, r->label, &l, &r->want);
        unload(&l);
    }
}

/* Errors are compared whole: the message is exactly "FILE:LINE: message", nothing more. */
static void expect_error(const struct loaded *l, const char *label, int rc, const char *file,
                         const char *msg)
{
    struct buf want;
    buf_init(&want);
    buf_printf(&want, "%s:%s", file, msg);
    if (l->rc != rc)
        fail_msg("%s: rc %d, want %d (err '%s')", label, l->rc, rc, err_text(l));
    expect_str(label, "err", err_text(l), want.data);
    buf_fini(&want);
}

static void test_err_rows(void **state)
{
    const struct fixture *fx = *state;
    for (size_t i = 0; i < ARRAY_LEN(err_rows); i++) {
        const struct err_row *r = &err_rows[i];
        struct loaded l;
        load_text(fx, r->text, strlen(r->text), &l);
        expect_error(&l, r->label, r->rc, fx->file, r->err);
        unload(&l);
    }
}

/* 4096 bytes is the longest line; the count excludes the newline. */
static void test_line_length(void **state)
{
    const struct fixture *fx = *state;
    char text[4200];
    struct loaded l;

    memset(text, ' ', sizeof(text));
    memcpy(text, "port = 1\n#", 10);
    text[9 + 4096] = '\n';
    load_text(fx, text, 9 + 4097, &l);
    expect_ok(&l, "4096 bytes");
    expect_long("4096 bytes", "port", l.top.port, 1);
    unload(&l);

    text[9 + 4096] = ' ';
    text[9 + 4097] = '\n';
    memcpy(text + 9 + 4098, "port = 2\n", 9);
    load_text(fx, text, 9 + 4098 + 9, &l);
    expect_error(&l, "4097 bytes", PL_EINVAL, fx->file, "2: line is longer than 4096 bytes");
    unload(&l);
}

static void test_nul_byte(void **state)
{
    const struct fixture *fx = *state;
    static const char text[] = "port = 1\nname = a\0b\n";
    struct loaded l;
    load_text(fx, text, sizeof(text) - 1, &l);
    expect_error(&l, "nul", PL_EINVAL, fx->file, "2: line contains a NUL byte");
    unload(&l);
}

/* A bad default is a programming error, reported before the file is even opened. */
static void test_bad_default(void **state)
{
    const struct fixture *fx = *state;
    static const struct cfg_opt bad_top[] = {
        { "name", CFG_STRING, TOP(name), "parley", 1, 16, NULL },
        { "port", CFG_INT, TOP(port), "70000", 0, 65535, NULL },
    };
    static const struct cfg_opt bad_muc[] = {
        { "room", CFG_STRING, MUC(room), "lobby", 1, 32, NULL },
        { "port", CFG_INT, MUC(port), "x", 1, 100, NULL },
    };
    struct t_top top;
    struct t_muc muc;
    struct cfg_section sections[] = { { "", bad_top, 1, &top }, { "muc", bad_muc, 2, &muc } };
    struct buf err;
    char want[PATH_MAX * 2];

    buf_init(&err);
    write_file(fx->file, "", 0);
    assert_int_equal(config_load(fx->file, sections, 2, &err), PL_EINVAL);
    snprintf(want, sizeof(want), "%s: bad default in [muc]: port: 'x' is not a number", fx->file);
    expect_str("section default", "err", err.data, want);
    config_free(sections, 2);
    buf_reset(&err);

    sections[0].n_opts = 2;
    assert_int_equal(config_load(fx->file, sections, 2, &err), PL_EINVAL);
    snprintf(want, sizeof(want), "%s: bad default: port: 70000 is out of range 0..65535",
             fx->file);
    expect_str("top default", "err", err.data, want);
    config_free(sections, 2);
    buf_fini(&err);
}

static void test_unreadable(void **state)
{
    const struct fixture *fx = *state;
    char path[PATH_MAX * 2];
    struct loaded l;

    snprintf(path, sizeof(path), "%s/missing.conf", fx->conf);
    load_path(path, &l);
    expect_error(&l, "missing file", PL_EIO, path, " No such file or directory");
    unload(&l);

    snprintf(path, sizeof(path), "%s/nodir/x.conf", fx->conf);
    load_path(path, &l);
    expect_error(&l, "missing folder", PL_EIO, path, " No such file or directory");
    unload(&l);

    load_path(fx->conf, &l);
    expect_error(&l, "a folder", PL_EIO, fx->conf, " Is a directory");
    unload(&l);
}

/* Messages name the file as given; paths resolve against its folder, not the cwd. */
static void test_relative_config_path(void **state)
{
    const struct fixture *fx = *state;
    char cwd[PATH_MAX], want[PATH_MAX * 2];
    struct loaded l;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(fx->tmp), 0);
    write_file("conf/t.conf", "dir = x\nbogus\n", 14);
    load_path("conf/t.conf", &l);
    expect_error(&l, "relative", PL_EINVAL, "conf/t.conf", "2: missing '=' in 'bogus'");
    snprintf(want, sizeof(want), "%s/conf/x", fx->tmp);
    expect_str("relative", "dir", l.top.dir, want);
    unload(&l);

    write_file("top.conf", "dir = ../up\n", 12);
    load_path("top.conf", &l);
    expect_ok(&l, "bare name");
    snprintf(want, sizeof(want), "%.*s/up", (int)(strrchr(fx->tmp, '/') - fx->tmp), fx->tmp);
    expect_str("bare name", "dir", l.top.dir, want);
    unload(&l);
    assert_int_equal(unlink("top.conf"), 0);
    assert_int_equal(chdir(cwd), 0);
}

/* Without a "" section, a key before any header has nowhere to go. */
static void test_key_outside_sections(void **state)
{
    const struct fixture *fx = *state;
    struct t_muc muc;
    struct cfg_section sections[] = { { "muc", muc_opts, ARRAY_LEN(muc_opts), &muc } };
    struct buf err;
    char want[PATH_MAX * 2];

    buf_init(&err);
    write_file(fx->file, "room = a\n", 9);
    assert_int_equal(config_load(fx->file, sections, 1, &err), PL_EINVAL);
    snprintf(want, sizeof(want), "%s:1: unknown key 'room'", fx->file);
    expect_str("no top level", "err", err.data, want);
    config_free(sections, 1);
    buf_fini(&err);
}

/* The source tree's root, from where this file was compiled (make runs from the root). */
static void repo_path(char *out, size_t n, const char *rel)
{
    static const char self[] = "tests/unit/test_config.c";
    size_t len = strlen(__FILE__);
    size_t root = len >= sizeof(self) - 1 ? len - (sizeof(self) - 1) : 0;
    snprintf(out, n, "%.*s%s", (int)root, __FILE__, rel);
}

/* The top-level keys, then one [section] per module that declares options (as the server
 * reads its file); returns the number of sections. Module structs are freed by unload. */
static size_t load_server(const char *path, struct server_config *cfg, struct cfg_section *s)
{
    struct buf err;
    size_t n = 0;
    s[n++] = (struct cfg_section){ "", server_options, server_options_count, cfg };
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->n_options)
            s[n++] = (struct cfg_section){ modules[i]->name, modules[i]->options,
                                           modules[i]->n_options,
                                           calloc(1, modules[i]->options_size) };
    buf_init(&err);
    int rc = config_load(path, s, n, &err);
    if (rc != PL_OK)
        fail_msg("%s: rc %d: %s", path, rc, err.data ? err.data : "");
    buf_fini(&err);
    return n;
}

static void unload_sections(struct cfg_section *s, size_t n)
{
    config_free(s, n);
    for (size_t i = 1; i < n; i++)
        free(s[i].base);
}

/* Same option in two loads; paths compare below their own roots. */
static void expect_same(const struct cfg_opt *o, const void *a, const char *root_a,
                        const void *b, const char *root_b)
{
    const char *pa, *pb;
    switch (o->type) {
    case CFG_STRING:
        expect_str(o->name, "value", *(char *const *)a, *(char *const *)b);
        break;
    case CFG_PATH:
        pa = *(char *const *)a;
        pb = *(char *const *)b;
        if (!pa[0] || !pb[0]) { /* an empty path (log_file) means "none", under no root */
            expect_str(o->name, "path", pa, pb);
            break;
        }
        assert_memory_equal(pa, root_a, strlen(root_a));
        assert_memory_equal(pb, root_b, strlen(root_b));
        expect_str(o->name, "path", pa + strlen(root_a), pb + strlen(root_b));
        break;
    case CFG_INT: expect_long(o->name, "value", *(const long *)a, *(const long *)b); break;
    case CFG_BOOL: expect_long(o->name, "value", *(const bool *)a, *(const bool *)b); break;
    case CFG_ENUM: expect_long(o->name, "value", *(const int *)a, *(const int *)b); break;
    }
}

/* Every key appears as "key = ..." at the start of a line of the documented file. */
static void expect_every_key(const char *path, const struct cfg_section *s, size_t n_sections)
{
    struct buf text;
    char chunk[4096], needle[128];
    size_t n;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    buf_init(&text);
    buf_puts(&text, "\n");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&text, chunk, n);
    fclose(f);
    for (size_t k = 0; k < n_sections; k++) {
        /* A module's keys come after its [name] header. */
        const char *from = text.data;
        if (*s[k].name) {
            snprintf(needle, sizeof(needle), "\n[%s]\n", s[k].name);
            from = strstr(text.data, needle);
            if (!from)
                fail_msg("conf/parley.conf has no [%s] section", s[k].name);
        }
        for (size_t i = 0; i < s[k].n_opts; i++) {
            snprintf(needle, sizeof(needle), "\n%s = ", s[k].opts[i].name);
            if (!strstr(from, needle))
                fail_msg("conf/parley.conf does not set %s", s[k].opts[i].name);
        }
    }
    buf_fini(&text);
}

static void test_real_options(void **state)
{
    const struct fixture *fx = *state;
    char path[PATH_MAX], conf_dir[PATH_MAX], root[PATH_MAX], want[PATH_MAX * 2];
    struct server_config cfg, def;
    struct cfg_section s[1 + MODULE_SLOTS], sd[1 + MODULE_SLOTS];

    repo_path(path, sizeof(path), "conf");
    assert_non_null(realpath(path, conf_dir));
    snprintf(root, sizeof(root), "%.*s", (int)(strrchr(conf_dir, '/') - conf_dir), conf_dir);
    repo_path(path, sizeof(path), "conf/parley.conf");
    size_t n = load_server(path, &cfg, s);
    expect_every_key(path, s, n);

    expect_str("real", "domain", cfg.domain, "localhost");
    expect_str("real", "bind_address", cfg.bind_address, "127.0.0.1");
    expect_long("real", "c2s_port", cfg.c2s_port, 5222);
    expect_long("real", "c2s_tls_port", cfg.c2s_tls_port, 5223);
    snprintf(want, sizeof(want), "%s/data", root);
    expect_str("real", "data_dir", cfg.data_dir, want);
    snprintf(want, sizeof(want), "%s/data/cert.pem", root);
    expect_str("real", "tls_cert", cfg.tls_cert, want);
    snprintf(want, sizeof(want), "%s/data/key.pem", root);
    expect_str("real", "tls_key", cfg.tls_key, want);
    expect_str("real", "log_file", cfg.log_file, "");
    expect_long("real", "log_level", cfg.log_level, LOG_INFO);
    expect_long("real", "allow_plaintext_loopback", cfg.allow_plaintext_loopback, false);

    /* The file documents the defaults, so it must load to what an empty file loads to. */
    write_file(fx->file, "", 0);
    load_server(fx->file, &def, sd);
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < s[k].n_opts; i++) {
            const struct cfg_opt *o = &s[k].opts[i];
            expect_same(o, (char *)s[k].base + o->offset, root, (char *)sd[k].base + o->offset,
                        fx->tmp);
        }
    unload_sections(s, n);
    unload_sections(sd, n);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char tmpl[] = "/tmp/test_config.XXXXXX";
    if (!fx || !mkdtemp(tmpl) || !realpath(tmpl, fx->tmp))
        return -1;
    snprintf(fx->conf, sizeof(fx->conf), "%s/conf", fx->tmp);
    snprintf(fx->file, sizeof(fx->file), "%s/t.conf", fx->conf);
    if (mkdir(fx->conf, 0700) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    unlink(fx->file);
    rmdir(fx->conf);
    rmdir(fx->tmp);
    free(fx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_rows),
        cmocka_unit_test(test_err_rows),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_bad_default),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_relative_config_path),
        cmocka_unit_test(test_key_outside_sections),
        cmocka_unit_test(test_real_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
