/* SPDX-License-Identifier: MIT */
/* A test-only SQLite VFS that wraps the default one and fails the Nth file I/O call on demand. */
#include <stdbool.h>

#include <sqlite3.h>

#include "base.h"
#include "fault_vfs.h"

#define FAULT_VFS_NAME "parley-fault"

/* The default VFS with each file's read/write/sync/truncate counted; the call numbered
 * fault.fail_at fails once. Real SQLite error paths run; the backend has no test hooks.
 * File-scope state because SQLite's VFS list is itself process-wide. */
static struct {
    int fail_at; /* 0: off */
    int calls;
    int fired;
    sqlite3_vfs *real;
} fault;

struct fault_file {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct, see fault_vfs.szOsFile */
};

static bool fault_now(void)
{
    if (!fault.fail_at || ++fault.calls != fault.fail_at)
        return false;
    fault.fired++;
    return true;
}

#define REAL(f) (((struct fault_file *)(f))->real)
#define M(f) (REAL(f)->pMethods)

/* The four counted calls; the rest pass straight through. */
static int ff_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return fault_now() ? SQLITE_IOERR_READ : M(f)->xRead(REAL(f), p, n, off);
}
static int ff_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    return fault_now() ? SQLITE_IOERR_WRITE : M(f)->xWrite(REAL(f), p, n, off);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return fault_now() ? SQLITE_IOERR_TRUNCATE : M(f)->xTruncate(REAL(f), size);
}
static int ff_sync(sqlite3_file *f, int flags)
{
    return fault_now() ? SQLITE_IOERR_FSYNC : M(f)->xSync(REAL(f), flags);
}

static int ff_close(sqlite3_file *f) { return M(f)->xClose(REAL(f)); }
static int ff_size(sqlite3_file *f, sqlite3_int64 *n) { return M(f)->xFileSize(REAL(f), n); }
static int ff_lock(sqlite3_file *f, int l) { return M(f)->xLock(REAL(f), l); }
static int ff_unlock(sqlite3_file *f, int l) { return M(f)->xUnlock(REAL(f), l); }
static int ff_reserved(sqlite3_file *f, int *o) { return M(f)->xCheckReservedLock(REAL(f), o); }
static int ff_control(sqlite3_file *f, int o, void *a) { return M(f)->xFileControl(REAL(f), o, a); }
static int ff_sector(sqlite3_file *f) { return M(f)->xSectorSize(REAL(f)); }
static int ff_device(sqlite3_file *f) { return M(f)->xDeviceCharacteristics(REAL(f)); }
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
    return M(f)->xShmMap(REAL(f), pg, sz, extend, p);
}
static int ff_shm_lock(sqlite3_file *f, int o, int n, int fl)
{
    return M(f)->xShmLock(REAL(f), o, n, fl);
}
static void ff_shm_barrier(sqlite3_file *f) { M(f)->xShmBarrier(REAL(f)); }
static int ff_shm_unmap(sqlite3_file *f, int del) { return M(f)->xShmUnmap(REAL(f), del); }
static int ff_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
    return M(f)->xFetch(REAL(f), o, n, p);
}
static int ff_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return M(f)->xUnfetch(REAL(f), o, p);
}

static const sqlite3_io_methods ff_methods = {
    3, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_size, ff_lock, ff_unlock,
    ff_reserved, ff_control, ff_sector, ff_device, ff_shm_map, ff_shm_lock, ff_shm_barrier,
    ff_shm_unmap, ff_fetch, ff_unfetch,
};

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    struct fault_file *ff = (struct fault_file *)f;

    (void)vfs;
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = fault.real->xOpen(fault.real, name, ff->real, flags, out);
    ff->base.pMethods = rc == SQLITE_OK ? &ff_methods : NULL;
    return rc;
}

static sqlite3_vfs fault_vfs;

int fault_vfs_register(void)
{
    sqlite3_vfs *dflt = sqlite3_vfs_find(NULL);

    if (dflt == &fault_vfs) /* already registered: wrapping itself would recurse */
        return PL_OK;
    if (!dflt || dflt->iVersion < 3)
        return PL_EIO;
    fault.real = dflt;
    fault_vfs = *fault.real; /* the unix VFS's other methods do not use their vfs argument */
    fault_vfs.zName = FAULT_VFS_NAME;
    fault_vfs.szOsFile = (int)sizeof(struct fault_file) + fault.real->szOsFile;
    fault_vfs.xOpen = ff_open;
    fault_vfs.pNext = NULL;
    fault_vfs_arm(0);
    return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? PL_OK : PL_EIO;
}

void fault_vfs_unregister(void)
{
    fault_vfs_arm(0);
    sqlite3_vfs_unregister(&fault_vfs);
}

void fault_vfs_arm(int n)
{
    fault.fail_at = n;
    fault.calls = 0;
    fault.fired = 0;
}

int fault_vfs_fired(void) { return fault.fired; }

const char *fault_vfs_name(void) { return FAULT_VFS_NAME; }
