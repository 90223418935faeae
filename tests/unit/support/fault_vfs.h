/* SPDX-License-Identifier: MIT */
/* A test-only SQLite VFS that wraps the default one and fails the Nth file I/O call on demand. */
#ifndef PL_TEST_FAULT_VFS_H
#define PL_TEST_FAULT_VFS_H

/* Registers the fault VFS as SQLite's default, in front of the current default VFS, so every
 * database opened afterwards (without an explicit vfs) goes through it. It starts disarmed.
 * Calling it again while registered does nothing. Returns PL_OK, or PL_EIO when the default
 * VFS is missing or older than version 3 or SQLite refuses the registration. */
int fault_vfs_register(void);

/* Disarms and unregisters the fault VFS; the previous default VFS is the default again.
 * Close every connection opened through it first. */
void fault_vfs_unregister(void);

/* Fails the Nth read/write/sync/truncate from now, counted over all files opened through
 * the fault VFS, once, with SQLITE_IOERR_READ/_WRITE/_FSYNC/_TRUNCATE; 0 disarms. Also
 * resets the count that fault_vfs_fired() reports. */
void fault_vfs_arm(int n);

/* How many faults fired since the last fault_vfs_arm(): 0 when the armed call was never
 * reached, else 1. */
int fault_vfs_fired(void);

/* The VFS's registered name (static storage), for sqlite3_open_v2() or a "vfs=" URI. */
const char *fault_vfs_name(void);

#endif
