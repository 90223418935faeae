/* SPDX-License-Identifier: MIT */
/* SCRAM client key cache: an open-addressing table in memory, one appended line per new key. */
#include "keycache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base.h"

/* A line: "KEY CLIENTKEY SERVERKEY"; KEY = "hash:user:iterations:salt-hex:password-tag". */
#define LINE_MAX_LEN 2048

struct kc_entry {
    char *key; /* owned; NULL for an empty slot */
    struct client_keys keys;
};

struct keycache {
    struct kc_entry *slots;
    size_t cap, used;
    FILE *file; /* append handle, NULL when memory only */
    uint64_t hits, misses;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct kc_entry *find_slot(struct kc_entry *slots, size_t cap, const char *key)
{
    size_t i = hash_str(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(struct keycache *kc)
{
    size_t cap = kc->cap ? kc->cap * 2 : 1024;
    struct kc_entry *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < kc->cap; i++)
        if (kc->slots[i].key)
            *find_slot(slots, cap, kc->slots[i].key) = kc->slots[i];
    free(kc->slots);
    kc->slots = slots;
    kc->cap = cap;
}

static void insert(struct keycache *kc, const char *key, const struct client_keys *k)
{
    if ((kc->used + 1) * 2 > kc->cap)
        grow(kc);
    struct kc_entry *e = find_slot(kc->slots, kc->cap, key);
    if (!e->key) {
        e->key = xstrdup(key);
        kc->used++;
    }
    e->keys = *k;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* we only ever write lowercase */
}

/* Exactly 2n lowercase hex digits into n bytes. */
static bool from_hex(const char *s, unsigned char *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* The key length a cache key's hash prefix calls for; 0 for an unknown prefix. */
static size_t key_len_of(const char *key)
{
    if (strncmp(key, "sha1:", 5) == 0)
        return scram_key_len(SCRAM_SHA1);
    if (strncmp(key, "sha256:", 7) == 0)
        return scram_key_len(SCRAM_SHA256);
    return 0;
}

static void load_line(struct keycache *kc, char *line)
{
    char *save = NULL;
    char *key = strtok_r(line, " \n", &save);
    char *ck = strtok_r(NULL, " \n", &save);
    char *sk = strtok_r(NULL, " \n", &save);
    struct client_keys k = { 0 };
    size_t kl = key ? key_len_of(key) : 0;
    /* A damaged line only costs one PBKDF2 run: anything short of a whole entry is skipped. */
    if (!kl || !ck || !sk || strtok_r(NULL, " \n", &save))
        return;
    if (from_hex(ck, k.client_key, kl) && from_hex(sk, k.server_key, kl))
        insert(kc, key, &k);
}

/* Loads the entries it can read; returns false when the file ends in the middle of a line. */
static bool load(struct keycache *kc, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return true;
    }
    char line[LINE_MAX_LEN];
    bool at_start = true;
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        bool whole = n > 0 && line[n - 1] == '\n';
        bool piece = !whole && n + 1 == sizeof(line); /* over-long lines arrive in pieces */
        if (at_start && !piece)
            load_line(kc, line);
        at_start = whole;
    }
    fclose(f);
    return at_start;
}

/* mkdir -p of the file's folder; errors surface when the file is opened. */
static void make_parent(const char *path)
{
    char *dir = xstrdup(path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    free(dir);
}

/*
 * The keys log in as the account: the file is private (0600, also when an older run left it
 * readable) and never followed through a symlink someone else planted, e.g. in /tmp.
 */
static FILE *open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fchmod(fd, 0600) == 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

struct keycache *keycache_open(const char *path)
{
    struct keycache *kc = xcalloc(1, sizeof(*kc));
    grow(kc);
    if (!path)
        return kc;
    bool clean_end = load(kc, path);
    make_parent(path);
    kc->file = open_append(path);
    if (!kc->file)
        fprintf(stderr, "parley-bench: key cache %s: %s (keys kept in memory)\n", path,
                strerror(errno));
    else if (!clean_end)
        fputc('\n', kc->file); /* a run killed mid-line must not swallow our first entry */
    return kc;
}

void keycache_close(struct keycache *kc)
{
    if (!kc)
        return;
    for (size_t i = 0; i < kc->cap; i++)
        free(kc->slots[i].key);
    free(kc->slots);
    if (kc->file)
        fclose(kc->file);
    free(kc);
}

/* A short tag of the password: enough to tell passwords apart, not to recover one. */
static void password_tag(const char *password, char *out)
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(password, strlen(password), md, &len, EVP_sha256(), NULL);
    to_hex(md, 6, out);
}

static bool make_key(char *key, size_t size, enum scram_hash h, const char *user,
                     const char *password, const unsigned char *salt, size_t salt_len,
                     unsigned iterations)
{
    char salt_hex[2 * 64 + 1], tag[13];
    if (salt_len > 64 || strpbrk(user, " \n:"))
        return false;
    to_hex(salt, salt_len, salt_hex);
    password_tag(password, tag);
    int n = snprintf(key, size, "%s:%s:%u:%s:%s", h == SCRAM_SHA1 ? "sha1" : "sha256", user,
                     iterations, salt_hex, tag);
    return n > 0 && (size_t)n < size;
}

/* SaltedPassword, then ClientKey and ServerKey (RFC 5802 §3). */
static int derive(enum scram_hash h, const char *password, const unsigned char *salt,
                  size_t salt_len, unsigned iterations, struct client_keys *out)
{
    const EVP_MD *md = h == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
    size_t kl = scram_key_len(h);
    unsigned char salted[SCRAM_KEY_MAX];
    unsigned len = 0;
    if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
                           (int)iterations, md, (int)kl, salted))
        return PL_EIO;
    bool ok = HMAC(md, salted, (int)kl, (const unsigned char *)"Client Key", 10,
                   out->client_key, &len) &&
              HMAC(md, salted, (int)kl, (const unsigned char *)"Server Key", 10,
                   out->server_key, &len);
    OPENSSL_cleanse(salted, sizeof(salted));
    return ok ? PL_OK : PL_EIO;
}

int keycache_get(struct keycache *kc, enum scram_hash h, const char *user, const char *password,
                 const unsigned char *salt, size_t salt_len, unsigned iterations,
                 struct client_keys *out)
{
    char key[LINE_MAX_LEN / 2];
    if (!make_key(key, sizeof(key), h, user, password, salt, salt_len, iterations))
        return derive(h, password, salt, salt_len, iterations, out); /* uncacheable name */
    struct kc_entry *e = find_slot(kc->slots, kc->cap, key);
    if (e->key) {
        kc->hits++;
        *out = e->keys;
        return PL_OK;
    }
    kc->misses++;
    int rc = derive(h, password, salt, salt_len, iterations, out);
    if (rc != PL_OK)
        return rc;
    insert(kc, key, out);
    if (kc->file) {
        size_t kl = scram_key_len(h);
        char ck[2 * SCRAM_KEY_MAX + 1], sk[2 * SCRAM_KEY_MAX + 1];
        to_hex(out->client_key, kl, ck);
        to_hex(out->server_key, kl, sk);
        fprintf(kc->file, "%s %s %s\n", key, ck, sk);
    }
    return PL_OK;
}

void keycache_stats(const struct keycache *kc, uint64_t *hits, uint64_t *misses)
{
    *hits = kc->hits;
    *misses = kc->misses;
}

char *keycache_default_path(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char path[4096];
    if (xdg && *xdg == '/')
        snprintf(path, sizeof(path), "%s/parley-bench/keys", xdg);
    else if (home && *home == '/')
        snprintf(path, sizeof(path), "%s/.cache/parley-bench/keys", home);
    else
        snprintf(path, sizeof(path), "/tmp/parley-bench-keys-%u", (unsigned)getuid());
    return xstrdup(path);
}
