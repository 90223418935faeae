/* SPDX-License-Identifier: MIT */
/* The local control channel: a UNIX socket in data_dir through which parleyctl tells the
 * running server what it changed in the database. */
#ifndef PL_CONTROL_H
#define PL_CONTROL_H

#include <stddef.h>

struct server;
struct control;

/* Longest request line, newline excluded. */
#define CONTROL_LINE_MAX 1100

/*
 * Listens on data_dir/control.sock (mode 0600). A server already answering there owns the
 * data_dir: nothing is touched and PL_EEXIST is returned (logged; the caller must not start).
 * A socket nobody answers on is replaced. Requests are one line each, answered with one line,
 * "ok ..." or "error ...":
 *   ping          answers "ok": a server runs on this data_dir.
 *   deluser JID   ends every session of JID (an account that no longer exists) with the
 *                 stream error not-authorized; answers "ok N" for N sessions ended.
 * Returns PL_OK with *out set, PL_EEXIST, or PL_EIO (reason logged, *out NULL) when the socket
 * cannot be set up.
 */
int control_open(struct server *srv, struct control **out);
/* Stops listening, removes the socket file and drops requests in progress. NULL is fine. */
void control_close(struct control *ctl);

/*
 * Client side (parleyctl): sends request (one line, no newline) to the server using data_dir
 * and stores its answer line, without newline, in reply. Returns PL_OK, PL_ENOTFOUND when no
 * server listens there, or PL_EIO (reason in reply) when the exchange failed.
 */
int control_request(const char *data_dir, const char *request, char *reply, size_t n);

#endif
