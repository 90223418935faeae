/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the bot's SCRAM key cache (bench/keycache.c): keys, file, damage. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "base.h"
#include "keycache.h"
#include "scram.h"

#define ITER 64 /* PBKDF2 runs are real: keep them cheap */

/* One lookup and whether the cache must already hold it. */
struct lookup {
    enum scram_hash hash;
    const char *user, *password, *salt;
    unsigned iterations;
    bool hit;
};

/* Every part of the key counts: hash, user, salt, iterations and the password's tag. */
static const struct lookup keyed[] = {
    { SCRAM_SHA256, "alice", "pw", "salt-1", ITER, false },
    { SCRAM_SHA256, "alice", "pw", "salt-1", ITER, true },
    { SCRAM_SHA1, "alice", "pw", "salt-1", ITER, false },      /* other hash */
    { SCRAM_SHA256, "bob", "pw", "salt-1", ITER, false },      /* other user */
    { SCRAM_SHA256, "alice", "pw", "salt-2", ITER, false },    /* other salt */
    { SCRAM_SHA256, "alice", "pw", "salt-1", ITER + 1, false }, /* other iterations */
    { SCRAM_SHA256, "alice", "pw2", "salt-1", ITER, false },   /* changed password */
    { SCRAM_SHA256, "Alice", "pw", "salt-1", ITER, false },    /* names are not folded */
    { SCRAM_SHA256, "alice", "pw", "salt-1", ITER, true },
    { SCRAM_SHA1, "alice", "pw", "salt-1", ITER, true },
    { SCRAM_SHA256, "bob", "pw", "salt-1", ITER, true },
    { SCRAM_SHA256, "alice", "pw", "salt-2", ITER, true },
    { SCRAM_SHA256, "alice", "pw", "salt-1", ITER + 1, true },
    { SCRAM_SHA256, "alice", "pw2", "salt-1", ITER, true },
    { SCRAM_SHA256, "user%1", "p\xc3\xa4ss", "\x01\xff", ITER, false },
    { SCRAM_SHA256, "user%1", "p\xc3\xa4ss", "\x01\xff", ITER, true },
};

/* Each test gets a fresh temp dir; teardown removes it whatever the test left. */
struct fixture {
    char dir[64];
    char path[128]; /* dir/sub/keys: the cache makes its folder */
};

static int fixture_setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/pl-keycache-XXXXXX",
             tmp && *tmp == '/' && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/sub/keys", f->dir);
    *state = f;
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    int rc = nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

/* The keys must be RFC 5802's: checked against the server side's own derivation. */
static void assert_keys_right(const struct lookup *l, const struct client_keys *k)
{
    struct scram_keys want;
    assert_int_equal(scram_derive(l->hash, l->password, (const unsigned char *)l->salt,
                                  strlen(l->salt), l->iterations, &want), PL_OK);
    size_t kl = scram_key_len(l->hash);
    unsigned char stored[SCRAM_KEY_MAX];
    assert_int_equal(EVP_Digest(k->client_key, kl, stored, NULL,
                                l->hash == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256(), NULL), 1);
    assert_memory_equal(stored, want.stored_key, kl);
    assert_memory_equal(k->server_key, want.server_key, kl);
}

/* Looks up l; checks hit or miss through the counters, and the keys. what names the case. */
static void check_lookup(struct keycache *kc, const struct lookup *l, const char *what)
{
    uint64_t hits0, misses0, hits, misses;
    struct client_keys k;
    keycache_stats(kc, &hits0, &misses0);
    assert_int_equal(keycache_get(kc, l->hash, l->user, l->password,
                                  (const unsigned char *)l->salt, strlen(l->salt),
                                  l->iterations, &k), PL_OK);
    keycache_stats(kc, &hits, &misses);
    if (hits != hits0 + l->hit || misses != misses0 + !l->hit)
        fail_msg("%s (%s): want a %s", what, l->user, l->hit ? "hit" : "miss");
    assert_keys_right(l, &k);
}

static const char *row_name(size_t i, char *name)
{
    snprintf(name, 32, "row %zu", i);
    return name;
}

static void test_keyed_in_memory(void **state)
{
    (void)state;
    char name[32];
    struct keycache *kc = keycache_open(NULL);
    for (size_t i = 0; i < ARRAY_LEN(keyed); i++)
        check_lookup(kc, &keyed[i], row_name(i, name));
    keycache_close(kc);
}

/* Names a cache key cannot hold are derived every time, never stored. */
static void test_uncacheable(void **state)
{
    struct fixture *f = *state;
    static const struct lookup odd[] = {
        { SCRAM_SHA256, "a:b", "pw", "salt", ITER, false },
        { SCRAM_SHA256, "a b", "pw", "salt", ITER, false },
        { SCRAM_SHA1, "a\nb", "pw", "salt", ITER, false },
    };
    struct keycache *kc = keycache_open(f->path);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < ARRAY_LEN(odd); i++) {
            struct client_keys k;
            const struct lookup *l = &odd[i];
            assert_int_equal(keycache_get(kc, l->hash, l->user, l->password,
                                          (const unsigned char *)l->salt, strlen(l->salt),
                                          l->iterations, &k), PL_OK);
            assert_keys_right(l, &k);
        }
    uint64_t hits, misses;
    keycache_stats(kc, &hits, &misses);
    assert_int_equal(hits + misses, 0);
    keycache_close(kc);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, 0);
}

static void assert_mode(const char *path, mode_t want)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    if ((st.st_mode & 07777) != want)
        fail_msg("%s: mode %o, want %o", path, (unsigned)(st.st_mode & 07777), (unsigned)want);
}

/* What one run learns, the next run finds: every lookup of the table hits after a reopen. */
static void test_persistence(void **state)
{
    struct fixture *f = *state;
    char name[32];
    struct keycache *kc = keycache_open(f->path);
    for (size_t i = 0; i < ARRAY_LEN(keyed); i++)
        check_lookup(kc, &keyed[i], row_name(i, name));
    keycache_close(kc);
    assert_mode(f->path, 0600);
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/sub", f->dir);
    assert_mode(sub, 0700);
    for (int reopen = 0; reopen < 2; reopen++) {
        kc = keycache_open(f->path);
        for (size_t i = 0; i < ARRAY_LEN(keyed); i++) {
            struct lookup l = keyed[i];
            l.hit = true;
            check_lookup(kc, &l, row_name(i, name));
        }
        keycache_close(kc);
    }
}

/* A cache file an older run left readable is made private again. */
static void test_mode_tightened(void **state)
{
    struct fixture *f = *state;
    keycache_close(keycache_open(f->path));
    assert_int_equal(chmod(f->path, 0644), 0);
    struct keycache *kc = keycache_open(f->path);
    assert_mode(f->path, 0600);
    check_lookup(kc, &keyed[0], "first");
    keycache_close(kc);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* The one line a run writes for keyed[0], as the cache itself wrote it (with its newline). */
static void valid_line(const struct fixture *f, char *out, size_t size)
{
    struct keycache *kc = keycache_open(f->path);
    check_lookup(kc, &keyed[0], "first");
    keycache_close(kc);
    FILE *fp = fopen(f->path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(out, (int)size, fp));
    fclose(fp);
    assert_true(strlen(out) > 100 && out[strlen(out) - 1] == '\n');
}

/* A damaged file: how to spoil the valid line, and whether keyed[0] must still hit. */
enum damage {
    DMG_NONE,         /* the line as written: hit */
    DMG_TRUNCATED,    /* cut in the server key: miss */
    DMG_NO_SERVERKEY, /* only two fields: miss */
    DMG_EXTRA_FIELD,  /* a fourth field: miss */
    DMG_BAD_HEX,      /* a 'g' in the client key: miss */
    DMG_UPPER_HEX,    /* uppercase digits we never write: miss */
    DMG_SHORT_KEYS,   /* SHA-1 sized keys for a SHA-256 entry: miss */
    DMG_UNKNOWN_HASH, /* "md5:" prefix: miss */
    DMG_LONG_LINE,    /* 2,047 bytes of junk glued in front: the tail is no entry: miss */
    DMG_GARBAGE_AROUND, /* binary junk, NULs and blank lines around the whole line: hit */
    DMG_NO_NEWLINE,   /* the line without its newline, at the end of the file: hit */
};

static const char *const damage_names[] = {
    "none", "truncated", "no server key", "extra field", "bad hex", "upper hex", "short keys",
    "unknown hash", "long line", "garbage around", "no newline",
};

/* Field f (0 key, 1 client key, 2 server key) of the line: its offset. */
static size_t field_at(const char *line, int field)
{
    const char *p = line;
    for (int i = 0; i < field; i++)
        p = strchr(p, ' ') + 1;
    return (size_t)(p - line);
}

static size_t spoil(const char *line, enum damage d, char *out)
{
    size_t n = strlen(line), ck = field_at(line, 1), sk = field_at(line, 2);
    size_t len = n;
    memcpy(out, line, n + 1);
    switch (d) {
    case DMG_NONE: break;
    case DMG_TRUNCATED: len = sk + 10; out[len++] = '\n'; break;
    case DMG_NO_SERVERKEY: len = sk - 1; out[len++] = '\n'; break;
    case DMG_EXTRA_FIELD: len = n - 1; len += (size_t)sprintf(out + len, " 00\n"); break;
    case DMG_BAD_HEX: out[ck + 3] = 'g'; break;
    case DMG_UPPER_HEX:
        for (size_t i = ck; i < n; i++)
            out[i] = (char)(out[i] >= 'a' && out[i] <= 'f' ? out[i] - 32 : out[i]);
        out[ck] = 'A'; /* at least one letter, whatever the hex held */
        break;
    case DMG_SHORT_KEYS:
        len = (size_t)sprintf(out, "%.*s%.40s %.40s\n", (int)ck, line, line + ck, line + sk);
        break;
    case DMG_UNKNOWN_HASH: len = (size_t)sprintf(out, "md5%s", strchr(line, ':')); break;
    case DMG_LONG_LINE:
        memset(out, 'x', 2047);
        memcpy(out + 2047, line, n + 1);
        len = 2047 + n;
        break;
    case DMG_GARBAGE_AROUND:
        memcpy(out, "\n\n\x01\x02\0\xff junk\n \n", 14);
        memcpy(out + 14, line, n);
        memcpy(out + 14 + n, "\0\0 x y z\n\xfe", 10);
        len = 14 + n + 10;
        break;
    case DMG_NO_NEWLINE: len = n - 1; break;
    }
    return len;
}

static void test_damaged_file(void **state)
{
    struct fixture *f = *state;
    char line[2048], bad[4096];
    valid_line(f, line, sizeof(line));
    for (enum damage d = DMG_NONE; d <= DMG_NO_NEWLINE; d++) {
        size_t len = spoil(line, d, bad);
        write_file(f->path, bad, len);
        struct keycache *kc = keycache_open(f->path);
        struct lookup l = keyed[0];
        l.hit = d == DMG_NONE || d == DMG_GARBAGE_AROUND || d == DMG_NO_NEWLINE;
        check_lookup(kc, &l, damage_names[d]);
        check_lookup(kc, &keyed[3], damage_names[d]); /* and a new account is learnt */
        keycache_close(kc);
        /* Whatever the damage, the entries appended after it load in the next run. */
        kc = keycache_open(f->path);
        l.hit = true;
        check_lookup(kc, &l, damage_names[d]);
        struct lookup bob = keyed[3];
        bob.hit = true;
        check_lookup(kc, &bob, damage_names[d]);
        keycache_close(kc);
    }
}

/* A folder or a symlink where the file should be: keys stay in memory, nothing is followed. */
static void test_unusable_path(void **state)
{
    struct fixture *f = *state;
    char line[2048], target[160];
    valid_line(f, line, sizeof(line));
    snprintf(target, sizeof(target), "%s/planted", f->dir);
    assert_int_equal(rename(f->path, target), 0);
    assert_int_equal(symlink(target, f->path), 0);
    struct keycache *kc = keycache_open(f->path);
    check_lookup(kc, &keyed[0], "first"); /* a miss: the planted file was not read */
    check_lookup(kc, &keyed[1], "second"); /* the cache still works, in memory */
    keycache_close(kc);
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal((size_t)st.st_size, strlen(line)); /* nothing appended through it */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(mkdir(f->path, 0700), 0);
    kc = keycache_open(f->path);
    check_lookup(kc, &keyed[0], "first");
    check_lookup(kc, &keyed[1], "second");
    keycache_close(kc);
}

static void test_default_path(void **state)
{
    (void)state;
    char *old = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    char *p = keycache_default_path();
    assert_string_equal(p, "/x/cache/parley-bench/keys");
    free(p);
    setenv("XDG_CACHE_HOME", "relative", 1); /* ignored: not absolute */
    p = keycache_default_path();
    assert_non_null(strstr(p, "parley-bench"));
    assert_true(p[0] == '/');
    free(p);
    if (old)
        setenv("XDG_CACHE_HOME", old, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyed_in_memory),
        cmocka_unit_test_setup_teardown(test_uncacheable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_persistence, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_mode_tightened, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_file, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unusable_path, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_default_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
