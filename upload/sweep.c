/* SPDX-License-Identifier: MIT */
/* Passes over the stored files: at start, all at once (the quotas need the totals), later a
 * slice per loop turn. A file goes when it expired, when its account was deleted, or when a
 * crash left it half-written. The module API offers no timer, so a pass starts on a request
 * once the last one is SWEEP_EVERY seconds old, and at once when an account is deleted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "storage.h"
#include "upload.h"

#define SWEEP_EVERY 3600 /* seconds between passes while requests come */
#define SWEEP_BATCH 256  /* folders a slice looks at: a few milliseconds of the loop */
#define US_PER_DAY (86400LL * 1000000LL)

enum fate { FATE_KEEP, FATE_GARBAGE, FATE_EXPIRED, FATE_PURGED, FATE_ORPHAN, FATE_ERROR };

static const char *const fate_why[] = {
    [FATE_GARBAGE] = "left half-written",
    [FATE_EXPIRED] = "expired",
    [FATE_PURGED] = "its account was deleted",
    [FATE_ORPHAN] = "its account no longer exists",
};

bool upload_expired(const struct upload *up, long long time_us)
{
    return up->opts.expiry_days > 0 &&
           module_wall_us() - time_us > up->opts.expiry_days * US_PER_DAY;
}

bool upload_purged(const struct upload *up, const char *owner, long long time_us)
{
    for (const struct upload_purge *p = up->purges; p; p = p->next)
        if (time_us <= p->before_us && strcmp(p->bare, owner) == 0)
            return true;
    return false;
}

/* Only a clear "no such account" counts: a store that fails must cost nobody their files. */
static bool account_gone(struct upload *up, const char *bare)
{
    if (upload_owner_get(up, bare, false))
        return false; /* an earlier file of the scan found it */
    struct scram_creds c;
    int rc = creds_get(module_storage(up->srv), bare, &c);
    memset(&c, 0, sizeof(c));
    return rc == PL_ENOTFOUND;
}

static enum fate judge(struct upload *up, int rc, const struct upload_meta *m, bool at_start)
{
    if (rc == PL_ENOTFOUND || rc == PL_EINVAL)
        return FATE_GARBAGE;
    if (rc != PL_OK)
        return FATE_ERROR;
    if (upload_purged(up, m->owner, m->time_us))
        return FATE_PURGED;
    if (at_start && account_gone(up, m->owner))
        return FATE_ORPHAN;
    return upload_expired(up, m->time_us) ? FATE_EXPIRED : FATE_KEEP;
}

/* One token's folder: kept (and charged, at start) or removed. */
static enum fate sweep_entry(struct upload *up, const char *token, bool at_start)
{
    struct upload_meta m;
    int rc = upload_store_meta(up->dir, token, &m);
    enum fate f = judge(up, rc, &m, at_start);
    if (f == FATE_ERROR) {
        module_log(LOG_WARN, "upload", "%.8s...: cannot read its metadata: %s", token,
                   pl_strerror(rc));
    } else if (f == FATE_KEEP) {
        if (at_start)
            upload_owner_account(up, m.owner, m.size, true);
    } else if (upload_store_remove(up->dir, token) != PL_OK) {
        module_log(LOG_WARN, "upload", "%.8s...: cannot remove it (%s)", token, fate_why[f]);
        f = FATE_ERROR;
    } else {
        /* only files kept by this run were charged (purged ones went with the account) */
        if (f == FATE_EXPIRED && !at_start)
            upload_owner_account(up, m.owner, m.size, false);
        module_log(LOG_INFO, "upload", "%.8s... of %s removed: %s", token,
                   rc == PL_OK ? m.owner : "nobody", fate_why[f]);
    }
    if (rc == PL_OK)
        upload_meta_fini(&m);
    return f;
}

int upload_sweep_start(struct upload *up)
{
    DIR *d = opendir(up->dir);
    if (!d)
        return PL_EIO;
    size_t kept = 0, removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!upload_token_ok(e->d_name, strlen(e->d_name)))
            continue;
        enum fate f = sweep_entry(up, e->d_name, true);
        kept += f == FATE_KEEP;
        removed += f != FATE_KEEP && f != FATE_ERROR;
    }
    closedir(d);
    up->sweep.last = upload_mono_ms();
    module_log(LOG_INFO, "upload", "%zu files stored, %zu removed at start", kept, removed);
    return PL_OK;
}

static void pass_start(struct upload *up);

/* Purges whose files this pass has seen are done; another pass for those that came later. */
static void pass_end(struct upload *up)
{
    closedir(up->sweep.dir);
    up->sweep.dir = NULL;
    for (struct upload_purge **pp = &up->purges; *pp;) {
        struct upload_purge *p = *pp;
        if (p->before_us > up->sweep.started_us) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        free(p->bare);
        free(p);
    }
    if (up->purges)
        pass_start(up);
}

static void sweep_step(void *arg)
{
    struct upload *up = arg;
    for (int n = 0; n < SWEEP_BATCH; n++) {
        struct dirent *e = readdir(up->sweep.dir);
        if (!e) {
            pass_end(up);
            return;
        }
        if (upload_token_ok(e->d_name, strlen(e->d_name)))
            sweep_entry(up, e->d_name, false);
    }
    module_defer(up->srv, sweep_step, up);
}

static void pass_start(struct upload *up)
{
    up->sweep.last = upload_mono_ms();
    up->sweep.dir = opendir(up->dir);
    if (!up->sweep.dir) {
        module_log(LOG_WARN, "upload", "cannot read %s: %s", up->dir, strerror(errno));
        return;
    }
    up->sweep.started_us = module_wall_us();
    module_defer(up->srv, sweep_step, up);
}

void upload_sweep_maybe(struct upload *up)
{
    if (!up->sweep.dir && upload_mono_ms() - up->sweep.last >= SWEEP_EVERY * 1000LL)
        pass_start(up);
}

void upload_sweep_purge(struct upload *up, const char *bare)
{
    struct upload_purge *p = xcalloc(1, sizeof(*p));
    p->bare = xstrdup(bare);
    p->before_us = module_wall_us();
    p->next = up->purges;
    up->purges = p;
    if (!up->sweep.dir)
        pass_start(up);
}

void upload_sweep_fini(struct upload *up)
{
    if (up->sweep.dir)
        closedir(up->sweep.dir);
    up->sweep.dir = NULL;
    while (up->purges) {
        struct upload_purge *p = up->purges;
        up->purges = p->next;
        free(p->bare);
        free(p);
    }
}
