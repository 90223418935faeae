/* SPDX-License-Identifier: MIT */
/* Fills a store's message archive with generated messages through the storage layer, times
 * the write path (CPU per archived chat message), and measures archive page latency (last
 * page by with, a page by date, a full-text search). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "storage.h"

#define BATCH_ROWS 50000
#define VOCAB 4096
#define BIG_PEERS 1000
#define USERS 9000
#define RUNS 200

struct opts {
    const char *path;
    long long rows;     /* messages to generate */
    long long big_rows; /* of them, in big@bench's archive */
    bool fill, measure;
    long long chat;    /* messages of the write-path run (-w), 0: none */
    long long per_commit; /* of them per commit in that run */
};

/* xorshift64*: a fixed sequence, so two runs make the same archive. */
static unsigned long long rnd(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Word i of the vocabulary: syllables from i's digits, so words are stable and distinct. */
static void word(unsigned i, char *out, size_t len)
{
    static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi" };
    size_t n = 0;
    do {
        n += (size_t)snprintf(out + n, len - n, "%s", syl[i % 8]);
        i /= 8;
    } while (i && n + 3 < len);
}

/* A body of 4..11 words, skewed to the start of the vocabulary (frequent words). */
static void body(unsigned long long *s, char *out, size_t len)
{
    unsigned words = 4 + (unsigned)(rnd(s) % 8);
    size_t n = 0;
    out[0] = '\0';
    for (unsigned w = 0; w < words && n + 16 < len; w++) {
        unsigned long long r = rnd(s);
        unsigned idx = (unsigned)((r % VOCAB) * ((r >> 32) % VOCAB) / VOCAB);
        if (w)
            out[n++] = ' ';
        word(idx, out + n, len - n);
        n += strlen(out + n);
    }
}

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Message i: big@bench's with probability big_rows/rows, else one of USERS others. */
static int append_one(struct storage *st, const struct opts *o, long long i, long long t0,
                      unsigned long long *s)
{
    char owner[48], peer[48], mid[32], text[160], xml[400];
    bool big = (long long)(rnd(s) % (unsigned long long)o->rows) < o->big_rows;
    if (big) {
        snprintf(owner, sizeof(owner), "big@bench");
        snprintf(peer, sizeof(peer), "p%llu@bench", rnd(s) % BIG_PEERS);
    } else {
        snprintf(owner, sizeof(owner), "u%llu@bench", rnd(s) % USERS);
        snprintf(peer, sizeof(peer), "u%llu@bench", rnd(s) % USERS);
    }
    body(s, text, sizeof(text));
    snprintf(xml, sizeof(xml),
             "<message xmlns='jabber:client' type='chat' from='%s/r' to='%s' id='m%lld'>"
             "<body>%s</body></message>",
             peer, owner, i, text);
    snprintf(mid, sizeof(mid), "m%lld", i);
    struct archive_msg m = { .key = t0 + i * 1000, .tag = (unsigned long long)i,
                             .sender = peer, .sender_res = "r", .rcpt = owner,
                             .rcpt_keeps = true, .msg_id = mid, .body = text, .xml = xml };
    return archive_append(st, &m);
}

/* Adds every appended message to the full-text index, in the batches the server uses. */
static int index_all(struct storage *st)
{
    unsigned n;
    do
        if (archive_index(st, 1000, &n) != PL_OK)
            return PL_EIO;
    while (n >= 1000);
    return PL_OK;
}

static int fill(struct storage *st, const struct opts *o)
{
    unsigned long long s = 88172645463325252ULL;
    long long t0 = now_us() - o->rows * 1000; /* one message per ms up to now */
    double start = mono_ms();
    for (long long i = 0; i < o->rows; i++) {
        if (append_one(st, o, i, t0, &s) != PL_OK)
            return PL_EIO;
        if ((i + 1) % BATCH_ROWS == 0 && (index_all(st) != PL_OK || storage_flush(st) != PL_OK))
            return PL_EIO;
        if ((i + 1) % 1000000 == 0)
            fprintf(stderr, "%lld rows, %.0f rows/s\n", i + 1,
                    (double)(i + 1) * 1e3 / (mono_ms() - start));
    }
    if (index_all(st) != PL_OK || storage_flush(st) != PL_OK)
        return PL_EIO;
    printf("filled %lld rows in %.1f s\n", o->rows, (mono_ms() - start) / 1e3);
    return PL_OK;
}

struct wait {
    bool done;
    int rc;
    size_t n;
};

static void page_done(void *ctx, const struct archive_page *p)
{
    struct wait *w = ctx;
    w->done = true;
    w->rc = p->rc;
    w->n = p->n;
}

/* Runs one query and returns its latency (submit to completion), -1 on failure. */
static double timed(struct storage *st, const struct archive_filter *f, size_t *n)
{
    struct wait w = { 0 };
    double t = mono_ms();
    if (archive_query(st, f, page_done, &w) != PL_OK)
        return -1;
    while (!w.done) {
        usleep(50); /* the readers have no loop to wake here: poll the completions */
        storage_run_completions(st);
    }
    *n = w.n;
    return w.rc == PL_OK ? mono_ms() - t : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints p50/p99 of RUNS queries that make(i, f) describes. */
static int measure_one(struct storage *st, const char *name,
                       void (*make)(unsigned long long *s, long long t0, long long t1,
                                    struct archive_filter *f, char *buf),
                       long long t0, long long t1)
{
    double ms[RUNS];
    unsigned long long s = 1234567;
    size_t n = 0, rows = 0;
    char buf[64];
    for (int i = 0; i < RUNS; i++) {
        struct archive_filter f = { .owner = "big@bench", .max = 50 };
        make(&s, t0, t1, &f, buf);
        if ((ms[i] = timed(st, &f, &n)) < 0)
            return PL_EIO;
        rows += n;
    }
    qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
    printf("%-28s p50 %7.2f ms  p99 %7.2f ms  (%d runs, %.1f rows/page)\n", name,
           ms[RUNS / 2], ms[RUNS * 99 / 100], RUNS, (double)rows / RUNS);
    return PL_OK;
}

static void make_with(unsigned long long *s, long long t0, long long t1,
                      struct archive_filter *f, char *buf)
{
    (void)t0, (void)t1;
    snprintf(buf, 64, "p%llu@bench", rnd(s) % BIG_PEERS);
    f->with = buf;
    f->from_end = true;
}

static void make_date(unsigned long long *s, long long t0, long long t1,
                      struct archive_filter *f, char *buf)
{
    (void)buf;
    f->start_us = t0 + (long long)(rnd(s) % (unsigned long long)(t1 - t0));
}

static void make_search(unsigned long long *s, long long t0, long long t1,
                        struct archive_filter *f, char *buf)
{
    (void)t0, (void)t1;
    word((unsigned)(rnd(s) % VOCAB), buf, 64);
    f->fulltext = buf;
    f->from_end = true;
}

static void meta_done(void *ctx, const struct archive_meta *m)
{
    long long *ends = ctx;
    ends[0] = m->rc == PL_OK && m->first_id ? m->first_us : 0;
    ends[1] = m->rc == PL_OK && m->last_id ? m->last_us : 0;
    ends[2] = 1;
}

static int measure(struct storage *st)
{
    long long ends[3] = { 0 };
    if (archive_meta(st, "big@bench", meta_done, ends) != PL_OK)
        return PL_EIO;
    while (!ends[2]) {
        usleep(50);
        storage_run_completions(st);
    }
    long long t0 = ends[0], t1 = ends[1];
    if (t1 <= t0) {
        fprintf(stderr, "big@bench has no archive: fill first (-f)\n");
        return PL_EIO;
    }
    if (measure_one(st, "last page of 50 by with", make_with, t0, t1) != PL_OK ||
        measure_one(st, "page of 50 by date", make_date, t0, t1) != PL_OK ||
        measure_one(st, "full-text, last 50 hits", make_search, t0, t1) != PL_OK)
        return PL_EIO;
    return PL_OK;
}

static double cpu_us(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* One chat message between two of CHAT_USERS accounts, archived as the server does: one row
 * that both parties' archives keep, under a key that grows with time. */
#define CHAT_USERS 100
static int chat_one(struct storage *st, long long i, unsigned long long *s)
{
    char from[32], to[32], mid[32], text[160], xml[600];
    unsigned a = (unsigned)(rnd(s) % CHAT_USERS), b = (unsigned)(rnd(s) % (CHAT_USERS - 1));
    snprintf(from, sizeof(from), "user%u@localhost", a + 1);
    snprintf(to, sizeof(to), "user%u@localhost", (b >= a ? b + 1 : b) + 1);
    long long key;
    if (archive_new_key(st, now_us(), &key) != PL_OK)
        return PL_EIO;
    unsigned long long tag = rnd(s) & ((1ULL << ARCHIVE_TAG_BITS) - 1);
    body(s, text, sizeof(text));
    snprintf(mid, sizeof(mid), "c%lld", i);
    snprintf(xml, sizeof(xml),
             "<message xmlns='jabber:client' type='chat' from='%s/bot' to='%s' id='%s'>"
             "<body>%s</body></message>",
             from, to, mid, text);
    struct archive_msg m = { .key = key, .tag = tag, .sender = from, .sender_res = "bot",
                             .rcpt = to, .sender_keeps = true, .rcpt_keeps = true,
                             .msg_id = mid, .body = text, .xml = xml };
    return archive_append(st, &m);
}

/* The write path alone: o->chat messages, a commit every o->per_commit of them and the
 * full-text index fed as the server feeds it; prints CPU per message and messages/s. */
static int chat(struct storage *st, const struct opts *o)
{
    unsigned long long s = 42;
    unsigned n, rows = 0;
    double c0 = cpu_us(), t0 = mono_ms();
    for (long long i = 0; i < o->chat; i++) {
        if (chat_one(st, i, &s) != PL_OK)
            return PL_EIO;
        if (++rows >= 1000) { /* as the server feeds its index */
            rows = 0;
            if (archive_index(st, 1000, &n) != PL_OK)
                return PL_EIO;
        }
        if ((i + 1) % o->per_commit == 0 && storage_flush(st) != PL_OK)
            return PL_EIO;
    }
    if (storage_flush(st) != PL_OK)
        return PL_EIO;
    double cpu = cpu_us() - c0, ms = mono_ms() - t0;
    printf("chat: %lld messages, %lld per commit: %.1f us CPU per message, %.0f messages/s\n",
           o->chat, o->per_commit, cpu / (double)o->chat, (double)o->chat * 1e3 / ms);
    return PL_OK;
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-f] [-m] [-n ROWS] [-b BIG_ROWS] [-w MESSAGES [-c PER_COMMIT]] DB\n"
            "  -f  fill DB's archive (default 10000000 rows, 1000000 of them big@bench's)\n"
            "  -m  measure page latency on big@bench's archive (p50/p99 of %d queries each)\n"
            "  -w  write-path cost: MESSAGES chat messages among %d accounts, both copies\n"
            "      archived, a commit every PER_COMMIT (default 50) of them\n",
            argv0, RUNS, CHAT_USERS);
    return 2;
}

int main(int argc, char **argv)
{
    struct opts o = { .rows = 10000000, .big_rows = 1000000, .per_commit = 50 };
    struct storage st = { 0 };
    int c, rc = 1;
    while ((c = getopt(argc, argv, "fmn:b:w:c:")) != -1) {
        if (c == 'f')
            o.fill = true;
        else if (c == 'm')
            o.measure = true;
        else if (c == 'n')
            o.rows = atoll(optarg);
        else if (c == 'b')
            o.big_rows = atoll(optarg);
        else if (c == 'w')
            o.chat = atoll(optarg);
        else if (c == 'c')
            o.per_commit = atoll(optarg);
        else
            return usage(argv[0]);
    }
    if (optind != argc - 1 || (!o.fill && !o.measure && !o.chat) || o.rows <= 0 ||
        o.per_commit <= 0 || o.big_rows > o.rows)
        return usage(argv[0]);
    o.path = argv[optind];
    if (storage_open_sqlite(&st, o.path) != PL_OK)
        return 1;
    if ((!o.fill || fill(&st, &o) == PL_OK) && (!o.chat || chat(&st, &o) == PL_OK) &&
        (!o.measure || measure(&st) == PL_OK))
        rc = 0;
    storage_close(&st);
    return rc;
}
