/* SPDX-License-Identifier: MIT */
/* Full-text matching of the archive rows the index has not taken yet, for the readers: the SQL
 * function archive_text(body, text) splits both with the index's own tokenizer (FTS5's
 * unicode61), so a search finds the same rows before and after they are indexed, and the loop
 * need not index anything before a search. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "buf.h"
#include "sqlite_int.h"

/* A run of tokens, folded as the index stores them, in one buffer. */
struct tokens {
    struct buf bytes;
    size_t n, cap;
    struct span {
        size_t at, len;
    } *v;
};

/* A search: each word of the text is a phrase (its tokens, in order), as the index query
 * quotes it (sqlite_archive_query.c); every phrase with a token must occur. */
struct search {
    struct tokens words;
    size_t n_phrases;
    size_t *first; /* phrase i is tokens first[i] .. first[i + 1] - 1 */
};

struct text_fn {
    fts5_tokenizer api;
    Fts5Tokenizer *tok;
};

static void tokens_fini(struct tokens *t)
{
    buf_fini(&t->bytes);
    free(t->v);
}

static int add_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
    struct tokens *t = ctx;
    (void)flags, (void)start, (void)end;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n++] = (struct span){ .at = t->bytes.len, .len = (size_t)n };
    buf_append(&t->bytes, token, (size_t)n);
    return SQLITE_OK;
}

static int tokenize(const struct text_fn *fn, int why, const char *text, size_t n,
                    struct tokens *out)
{
    return fn->api.xTokenize(fn->tok, out, why, text, (int)n, add_token);
}

static bool token_eq(const struct tokens *a, size_t i, const struct tokens *b, size_t j)
{
    return a->v[i].len == b->v[j].len &&
           memcmp(a->bytes.data + a->v[i].at, b->bytes.data + b->v[j].at, a->v[i].len) == 0;
}

/* Do the tokens first .. end - 1 of w occur one after another in body? */
static bool has_phrase(const struct tokens *body, const struct tokens *w, size_t first,
                       size_t end)
{
    size_t k = end - first;
    for (size_t i = 0; i + k <= body->n; i++) {
        size_t j = 0;
        while (j < k && token_eq(body, i + j, w, first + j))
            j++;
        if (j == k)
            return true;
    }
    return false;
}

static void search_free(void *p)
{
    struct search *s = p;
    tokens_fini(&s->words);
    free(s->first);
    free(s);
}

size_t sq_next_word(const char **p, const char **word)
{
    *word = *p + strspn(*p, " \t\r\n");
    size_t n = strcspn(*word, " \t\r\n");
    *p = *word + n;
    return n;
}

/* Splits text into words as the index query does, and each word into its tokens. */
static struct search *search_new(const struct text_fn *fn, const char *text)
{
    struct search *s = xcalloc(1, sizeof(*s));
    const char *p = text, *w;
    size_t n;
    buf_init(&s->words.bytes);
    while ((n = sq_next_word(&p, &w)) != 0) {
        s->first = xrealloc(s->first, (s->n_phrases + 2) * sizeof(*s->first));
        s->first[s->n_phrases] = s->words.n;
        if (tokenize(fn, FTS5_TOKENIZE_QUERY, w, n, &s->words) != SQLITE_OK) {
            search_free(s);
            return NULL;
        }
        s->first[++s->n_phrases] = s->words.n;
    }
    return s;
}

/* As FTS5 has it: phrases without a token are left out, and a search of none finds nothing. */
static bool body_matches(const struct tokens *body, const struct search *s)
{
    bool any = false;
    for (size_t i = 0; i < s->n_phrases; i++) {
        if (s->first[i] == s->first[i + 1])
            continue;
        if (!has_phrase(body, &s->words, s->first[i], s->first[i + 1]))
            return false;
        any = true;
    }
    return any;
}

static void text_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct text_fn *fn = sqlite3_user_data(ctx);
    const char *body = (const char *)sqlite3_value_text(argv[0]);
    const char *text = (const char *)sqlite3_value_text(argv[1]);
    struct search *s = sqlite3_get_auxdata(ctx, 1); /* the same text for every row */
    struct search *made = NULL;
    (void)argc;
    if (!body || !text) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    if (!s && !(s = made = search_new(fn, text))) {
        sqlite3_result_error(ctx, "archive_text: the tokenizer failed", -1);
        return;
    }
    struct tokens t = { 0 };
    buf_init(&t.bytes);
    int rc = tokenize(fn, FTS5_TOKENIZE_DOCUMENT, body,
                      (size_t)sqlite3_value_bytes(argv[0]), &t);
    if (rc == SQLITE_OK)
        sqlite3_result_int(ctx, body_matches(&t, s));
    else
        sqlite3_result_error(ctx, "archive_text: the tokenizer failed", -1);
    tokens_fini(&t);
    if (made) /* kept for the next rows; SQLite frees it when it cannot keep it */
        sqlite3_set_auxdata(ctx, 1, made, search_free);
}

static void text_fn_free(void *p)
{
    struct text_fn *fn = p;
    if (fn->tok)
        fn->api.xDelete(fn->tok);
    free(fn);
}

/* The connection's FTS5 API (SQLite's documented way to reach it). */
static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(q, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return api;
}

int sq_text_functions(sqlite3 *db)
{
    fts5_api *fts5 = fts5_of(db);
    struct text_fn *fn = xcalloc(1, sizeof(*fn));
    void *ud = NULL;
    if (!fts5 || fts5->xFindTokenizer(fts5, "unicode61", &ud, &fn->api) != SQLITE_OK ||
        fn->api.xCreate(ud, NULL, 0, &fn->tok) != SQLITE_OK) {
        text_fn_free(fn);
        return PL_EIO;
    }
    /* On failure SQLite calls the destructor itself. */
    return sqlite3_create_function_v2(db, "archive_text", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, fn,
                                      text_function, NULL, NULL, text_fn_free) == SQLITE_OK
               ? PL_OK
               : PL_EIO;
}
