/* SPDX-License-Identifier: MIT */
/* WAL checkpoints off the writer's thread. The writer's commits only append to the WAL; a
 * thread of the store's own, on a connection of its own, copies the WAL back into the
 * database file and syncs both. On a busy disk one checkpoint's sync took the event loop
 * 124 ms when the writer ran it itself, and every session waited that long. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "base.h"
#include "sqlite_int.h"

/* SQLite reuses the WAL only when a write begins after every frame was copied, and a write
 * that begins while a pass copies keeps it growing. Two remedies: a commit due during a pass
 * waits for it (polling every QUIET_POLL_MS, never more than QUIET_MAX_MS: a slow disk must
 * not hold acks), which serves writes that wait in memory for their commit (the archive's);
 * and past SQ_CHECKPOINT_BEHIND times the size, the writer itself copies what the thread's
 * last pass left, right after a commit, with the thread idle: a few milliseconds of frames,
 * for writes that open a batch at once and never leave a pass the gap to finish. */
#define SQ_CHECKPOINT_BEHIND 2
#define QUIET_POLL_MS 5
#define QUIET_MAX_MS 250

struct sq_checkpointer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool due, stop;
    bool running;  /* a pass is copying */
    int failed_rc; /* the thread's last failure, logged by the writer's thread */
    sqlite3 *db;   /* the thread's connection */
};

/* PASSIVE: never waits for the writer or the readers, so the loop's commits go on while it
 * copies; frames committed meanwhile are left for the next pass, which the writer's next
 * commit asks for while the WAL is still over the size. */
static int checkpoint_pass(sqlite3 *db)
{
    return sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void *checkpointer_main(void *arg)
{
    struct sq_checkpointer *c = arg;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->due && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->due = false;
        c->running = true;
        pthread_mutex_unlock(&c->mu);
        int rc = checkpoint_pass(c->db);
        pthread_mutex_lock(&c->mu);
        c->running = false;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            c->failed_rc = rc;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static struct sq_checkpointer *checkpointer_start(struct sq_store *s)
{
    struct sq_checkpointer *c = xcalloc(1, sizeof(*c));

    /* The read opens the WAL: a connection that has not read the file yet is not in WAL mode,
     * and its checkpoints do nothing. */
    if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK) {
        sq_log(s, STORAGE_LOG_ERROR, "checkpoint: %s", sqlite3_errmsg(c->db));
        goto fail;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, checkpointer_main, c) == 0)
        return c;
    sq_log(s, STORAGE_LOG_ERROR, "checkpoint: cannot start a thread");
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
fail:
    sqlite3_close(c->db);
    free(c);
    return NULL;
}

/* The checkpoint thread, started at the first need (NULL: it cannot run), with its failure
 * since the last call logged. */
static struct sq_checkpointer *checkpointer_get(struct sq_store *s)
{
    if (!s->checkpointer && !s->checkpointer_failed) {
        s->checkpointer = checkpointer_start(s);
        s->checkpointer_failed = !s->checkpointer;
    }
    struct sq_checkpointer *c = s->checkpointer;
    if (!c)
        return NULL;
    pthread_mutex_lock(&c->mu);
    int failed = c->failed_rc;
    c->failed_rc = SQLITE_OK;
    pthread_mutex_unlock(&c->mu);
    if (failed != SQLITE_OK)
        sq_log(s, STORAGE_LOG_WARN, "checkpoint: %s", sqlite3_errstr(failed));
    return c;
}

/* Asks for a pass (after the one running, if any: it misses what was committed since). */
static void checkpointer_wake(struct sq_checkpointer *c)
{
    pthread_mutex_lock(&c->mu);
    c->due = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* A pass is copying, or about to. */
static bool checkpointer_busy(struct sq_checkpointer *c)
{
    pthread_mutex_lock(&c->mu);
    bool running = c->running || c->due;
    pthread_mutex_unlock(&c->mu);
    return running;
}

/* SQLite calls this on the writer's thread after each commit, with the WAL's size in frames
 * (it takes the place of wal_autocheckpoint). */
static int on_commit(void *arg, sqlite3 *db, const char *schema, int frames)
{
    struct sq_store *s = arg;

    if (frames < s->checkpoint_frames)
        return SQLITE_OK;
    struct sq_checkpointer *c = checkpointer_get(s);
    bool behind = frames >= SQ_CHECKPOINT_BEHIND * s->checkpoint_frames;
    if (!c || (behind && !checkpointer_busy(c)))
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    else
        checkpointer_wake(c);
    return SQLITE_OK;
}

void sq_checkpoint_init(struct sq_store *s, long page_bytes)
{
    s->checkpoint_frames = (int)(SQ_CHECKPOINT_BYTES / (page_bytes > 0 ? page_bytes : 4096));
    sqlite3_wal_hook(s->db, on_commit, s);
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int sq_checkpoint_flush_delay_ms(struct storage *st)
{
    struct sq_store *s = sq_store(st);
    struct sq_checkpointer *c = s->checkpointer;

    if (!c || s->in_batch) /* an open batch began before the pass: waiting gains nothing */
        return 0;
    pthread_mutex_lock(&c->mu);
    bool running = c->running;
    pthread_mutex_unlock(&c->mu);
    uint64_t now = now_ms();
    if (!running || (s->quiet_since_ms && now - s->quiet_since_ms >= QUIET_MAX_MS)) {
        s->quiet_since_ms = 0;
        return 0;
    }
    if (!s->quiet_since_ms)
        s->quiet_since_ms = now;
    return QUIET_POLL_MS;
}

void sq_checkpoint_stop(struct sq_store *s)
{
    struct sq_checkpointer *c = s->checkpointer;

    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    sqlite3_close(c->db);
    free(c);
    s->checkpointer = NULL;
}
