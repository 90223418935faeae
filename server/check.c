/* SPDX-License-Identifier: MIT */
/* parleyd --check-config: finds what start-up would refuse (TLS files, ports, folders). */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "control.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "tls.h"

/* The same builder start-up and SIGHUP use: a file that loads here loads there. */
static unsigned check_tls(const struct server_config *cfg)
{
    SSL_CTX *ctx = tls_ctx_new(cfg->tls_cert, cfg->tls_key);
    SSL_CTX_free(ctx);
    return ctx ? 0 : 1;
}

/* A port the running server holds is not a problem: the check is for its next start. */
static bool server_running(const char *data_dir)
{
    char reply[64];
    return control_request(data_dir, "ping", reply, sizeof(reply)) == PL_OK &&
           strcmp(reply, "ok") == 0;
}

static unsigned check_port(const struct server_config *cfg, const struct listen_spec *l)
{
    int err;
    int rc = listener_probe(l->address, l->port, &err);
    if (rc == PL_OK)
        return 0;
    if (rc == PL_EIO && err == EADDRINUSE && server_running(cfg->data_dir)) {
        log_info("check", "%s:%ld is held by the server running on %s", l->address, l->port,
                 cfg->data_dir);
        return 0;
    }
    if (rc == PL_EIO)
        log_error("check", "cannot listen on %s:%ld (%s): %s", l->address, l->port, l->what,
                  strerror(err));
    return 1;
}

/* Two listeners on one port would fail at start-up: name both. */
static unsigned check_distinct(const struct listen_spec *specs)
{
    for (int i = 0; i < LISTEN_KINDS; i++)
        for (int j = i + 1; j < LISTEN_KINDS; j++)
            if (specs[i].port && specs[i].port == specs[j].port) {
                log_error("check", "the %s and %s listeners are both on port %ld: one port, "
                          "one listener", specs[i].what, specs[j].what, specs[i].port);
                return 1;
            }
    return 0;
}

static unsigned check_ports(const struct server_config *cfg)
{
    struct listen_spec specs[LISTEN_KINDS];
    listener_specs(cfg, specs);
    if (check_distinct(specs))
        return 1;
    unsigned problems = 0;
    for (int i = 0; i < LISTEN_KINDS; i++)
        if (specs[i].port)
            problems += check_port(cfg, &specs[i]);
    return problems;
}

/* Writability is tried, not inferred from mode bits: root passes every mode check but not a
 * read-only mount. */
static bool can_write_in(const char *dir)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/.parley-check-XXXXXX", dir);
    int fd = mkstemp(b.data);
    if (fd >= 0) {
        close(fd);
        unlink(b.data);
    }
    buf_fini(&b);
    return fd >= 0;
}

/* Start-up creates data_dir (not its parents) when missing: try exactly that, then undo. */
static unsigned check_data_dir(const char *dir)
{
    struct stat sb;
    bool made = false;
    if (stat(dir, &sb) != 0) {
        if (mkdir(dir, 0700) != 0) {
            log_error("check", "data_dir %s does not exist and cannot be created: %s", dir,
                      strerror(errno));
            return 1;
        }
        made = true;
    } else if (!S_ISDIR(sb.st_mode)) {
        log_error("check", "data_dir %s is not a directory", dir);
        return 1;
    }
    bool ok = can_write_in(dir);
    if (!ok)
        log_error("check", "data_dir %s is not writable: %s", dir, strerror(errno));
    if (made)
        rmdir(dir);
    return ok ? 0 : 1;
}

static unsigned check_log_file(const char *path)
{
    if (!path[0])
        return 0;
    bool existed = access(path, F_OK) == 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_error("check", "log_file %s cannot be opened for writing: %s", path,
                  strerror(errno));
        return 1;
    }
    close(fd);
    if (!existed)
        unlink(path);
    return 0;
}

unsigned server_check(const struct server *srv)
{
    const struct server_config *cfg = &srv->cfg;
    return check_tls(cfg) + check_ports(cfg) + check_data_dir(cfg->data_dir) +
           check_log_file(cfg->log_file);
}
