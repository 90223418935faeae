/* SPDX-License-Identifier: MIT */
/* Archive reads off the caller's thread: a job queue, reader threads with read-only
 * connections, and completions handed back through the wake callback. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "sqlite_int.h"

/* Two readers: a long search on one leaves the other for page queries. */
#define SQ_READERS 2

enum job_kind { JOB_QUERY, JOB_META };

/* One query, owned by the queue it sits in; the filter's strings are its own copies. */
struct sq_job {
    struct sq_job *next;
    enum job_kind kind;
    struct archive_filter f;
    char **ids; /* f.ids, owned */
    void (*page_done)(void *ctx, const struct archive_page *page);
    void (*meta_done)(void *ctx, const struct archive_meta *meta);
    void *ctx;
    struct archive_page page;
    struct archive_meta meta;
    char err[256]; /* a reader's failure, logged by the caller's thread */
};

/* A FIFO of jobs. */
struct job_list {
    struct sq_job *head, **tail;
};

struct sq_readers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job_list todo, done;
    bool stop;
    size_t n_threads;
    pthread_t th[SQ_READERS];
    const char *path; /* the store's */
    void (*wake)(void *ctx);
    void *wake_ctx;
};

static void list_push(struct job_list *l, struct sq_job *j)
{
    j->next = NULL;
    *l->tail = j;
    l->tail = &j->next;
}

static struct sq_job *list_take_all(struct job_list *l)
{
    struct sq_job *j = l->head;
    l->head = NULL;
    l->tail = &l->head;
    return j;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static void job_free(struct sq_job *j)
{
    for (size_t i = 0; i < j->page.n; i++) {
        free(j->page.items[i].stanza_id);
        free(j->page.items[i].peer);
        free(j->page.items[i].xml);
    }
    free(j->page.items);
    free(j->meta.first_id);
    free(j->meta.last_id);
    for (size_t i = 0; i < j->f.n_ids; i++)
        free(j->ids[i]);
    free(j->ids);
    free((char *)j->f.owner);
    free((char *)j->f.with);
    free((char *)j->f.with_res);
    free((char *)j->f.fulltext);
    for (int i = 0; i < 2; i++) {
        free((char *)j->f.after[i]);
        free((char *)j->f.before[i]);
    }
    free(j);
}

/* Copies f's strings into j so the caller's may go when the submit returns. */
static void filter_copy(struct sq_job *j, const struct archive_filter *f)
{
    j->f = *f;
    j->f.owner = xstrdup(f->owner);
    j->f.with = dup_or_null(f->with);
    j->f.with_res = dup_or_null(f->with_res);
    j->f.fulltext = dup_or_null(f->fulltext);
    for (int i = 0; i < 2; i++) {
        j->f.after[i] = dup_or_null(f->after[i]);
        j->f.before[i] = dup_or_null(f->before[i]);
    }
    if (f->ids) {
        j->ids = xcalloc(f->n_ids + 1, sizeof(*j->ids));
        for (size_t i = 0; i < f->n_ids; i++)
            j->ids[i] = xstrdup(f->ids[i]);
        j->f.ids = (const char *const *)j->ids;
    }
}

static sqlite3 *reader_open(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    /* Read-only, one connection per thread; WAL lets it read while the loop writes. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sq_text_functions(db) != PL_OK) {
        snprintf(err, errlen, "%s: no FTS5 tokenizer for archive_text", path);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static void job_run(sqlite3 *db, struct sq_job *j)
{
    if (!db) {
        j->page.rc = j->meta.rc = PL_EIO;
        return;
    }
    if (j->kind == JOB_QUERY)
        sq_query_run(db, &j->f, &j->page, j->err, sizeof(j->err));
    else
        sq_meta_run(db, j->f.owner, &j->meta, j->err, sizeof(j->err));
}

static struct sq_job *next_job(struct sq_readers *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->stop && !r->todo.head)
        pthread_cond_wait(&r->cv, &r->mu);
    struct sq_job *j = r->stop ? NULL : r->todo.head;
    if (j && !(r->todo.head = j->next))
        r->todo.tail = &r->todo.head;
    pthread_mutex_unlock(&r->mu);
    return j;
}

static void *reader_main(void *arg)
{
    struct sq_readers *r = arg;
    char open_err[256] = "";
    sqlite3 *db = NULL;
    struct sq_job *j;
    while ((j = next_job(r)) != NULL) {
        if (!db) /* opened at the first job, and again after a failure */
            db = reader_open(r->path, open_err, sizeof(open_err));
        if (!db)
            snprintf(j->err, sizeof(j->err), "%s", open_err);
        job_run(db, j);
        pthread_mutex_lock(&r->mu);
        list_push(&r->done, j);
        void (*wake)(void *) = r->wake;
        void *ctx = r->wake_ctx;
        pthread_mutex_unlock(&r->mu);
        if (wake)
            wake(ctx);
    }
    sqlite3_close(db);
    return NULL;
}

static struct sq_readers *readers_start(struct sq_store *s)
{
    struct sq_readers *r = xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->todo.tail = &r->todo.head;
    r->done.tail = &r->done.head;
    r->path = s->path;
    r->wake = s->wake;
    r->wake_ctx = s->wake_ctx;
    for (; r->n_threads < SQ_READERS; r->n_threads++)
        if (pthread_create(&r->th[r->n_threads], NULL, reader_main, r) != 0)
            break;
    if (!r->n_threads) {
        sq_log(s, STORAGE_LOG_ERROR, "archive: cannot start a reader thread");
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    return r;
}

static void jobs_free(struct sq_job *j)
{
    while (j) {
        struct sq_job *next = j->next;
        job_free(j);
        j = next;
    }
}

void sq_readers_stop(struct sq_store *s)
{
    struct sq_readers *r = s->readers;
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < r->n_threads; i++)
        pthread_join(r->th[i], NULL);
    jobs_free(list_take_all(&r->todo));
    jobs_free(list_take_all(&r->done));
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
    s->readers = NULL;
}

void sq_set_wake(struct storage *st, void (*wake)(void *ctx), void *ctx)
{
    struct sq_store *s = sq_store(st);
    s->wake = wake;
    s->wake_ctx = ctx;
    if (s->readers) {
        pthread_mutex_lock(&s->readers->mu);
        s->readers->wake = wake;
        s->readers->wake_ctx = ctx;
        pthread_mutex_unlock(&s->readers->mu);
    }
}

static int submit(struct sq_store *s, struct sq_job *j)
{
    if (!s->readers && !(s->readers = readers_start(s))) {
        job_free(j);
        return PL_EIO;
    }
    pthread_mutex_lock(&s->readers->mu);
    list_push(&s->readers->todo, j);
    pthread_cond_signal(&s->readers->cv);
    pthread_mutex_unlock(&s->readers->mu);
    return PL_OK;
}

int sq_archive_query(struct storage *st, const struct archive_filter *f,
                     void (*done)(void *ctx, const struct archive_page *page), void *ctx)
{
    struct sq_job *j = xcalloc(1, sizeof(*j));
    j->kind = JOB_QUERY;
    filter_copy(j, f);
    j->page_done = done;
    j->ctx = ctx;
    return submit(sq_store(st), j);
}

int sq_archive_meta(struct storage *st, const char *owner,
                    void (*done)(void *ctx, const struct archive_meta *meta), void *ctx)
{
    struct sq_job *j = xcalloc(1, sizeof(*j));
    j->kind = JOB_META;
    j->f.owner = xstrdup(owner);
    j->meta_done = done;
    j->ctx = ctx;
    return submit(sq_store(st), j);
}

void sq_run_completions(struct storage *st)
{
    struct sq_store *s = sq_store(st);
    if (!s->readers)
        return;
    pthread_mutex_lock(&s->readers->mu);
    struct sq_job *j = list_take_all(&s->readers->done);
    pthread_mutex_unlock(&s->readers->mu);
    while (j) {
        struct sq_job *next = j->next;
        if (j->err[0])
            sq_log(s, STORAGE_LOG_ERROR, "archive: %s", j->err);
        if (j->kind == JOB_QUERY)
            j->page_done(j->ctx, &j->page);
        else
            j->meta_done(j->ctx, &j->meta);
        job_free(j);
        j = next;
    }
}
