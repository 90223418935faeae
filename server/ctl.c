/* SPDX-License-Identifier: MIT */
/* parleyctl: manages accounts in the server's database, also while the server runs. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base.h"
#include "buf.h"
#include "config.h"
#include "control.h"
#include "ctl_check.h"
#include "jid.h"
#include "options.h"
#include "prep.h"
#include "scram.h"
#include "server.h"
#include "storage.h"

/* Exit codes: done, refused (or failed), bad usage or configuration. */
enum { CTL_OK = 0, CTL_REFUSED = 1, CTL_USAGE = 2 };

/* Same bound the server applies to in-band registration. */
#define CTL_PASSWORD_MAX 1023

/* parleyctl reads the same configuration as the server (module sections included) and
 * opens the same store; nothing else of the server is started. */
struct ctl {
    struct server srv;
    struct server_config cfg; /* a copy of srv.cfg for brevity; srv owns the strings */
    struct storage store;
    bool store_open;
};

/* One subcommand: its name, the arguments after it and what runs it. */
struct ctl_command {
    const char *name;
    const char *args;
    int argc;     /* required arguments */
    int optional; /* arguments that may follow them (argv ends with NULL) */
    int (*run)(struct ctl *ctl, char **argv);
};

static int load_config(struct ctl *ctl, const char *path)
{
    struct buf err;
    buf_init(&err);
    int rc = server_load_config(&ctl->srv, path, &err);
    if (rc != PL_OK)
        fprintf(stderr, "parleyctl: %s\n", err.len ? err.data : "cannot read config");
    buf_fini(&err);
    ctl->cfg = ctl->srv.cfg;
    return rc == PL_OK ? CTL_OK : CTL_USAGE;
}

static int open_store(struct ctl *ctl)
{
    /* The server may not have run yet; 0700 because the database holds credentials. */
    if (mkdir(ctl->cfg.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "parleyctl: cannot create %s: %s\n", ctl->cfg.data_dir, strerror(errno));
        return CTL_USAGE;
    }
    char *path = server_db_path(&ctl->cfg);
    int rc = storage_open_sqlite(&ctl->store, path);
    if (rc != PL_OK)
        fprintf(stderr, "parleyctl: cannot open database %s: %s\n", path, pl_strerror(rc));
    free(path);
    ctl->store_open = rc == PL_OK;
    return rc == PL_OK ? CTL_OK : CTL_USAGE;
}

/* Parses a bare JID at domain given on the command line (key: the config key that sets the
 * domain); prints why and returns NULL if unusable. */
static struct jid *parse_bare_at(const char *s, const char *domain, const char *key)
{
    struct jid *j = jid_parse(s);
    if (!j) {
        fprintf(stderr, "parleyctl: '%s' is not a valid JID\n", s);
        return NULL;
    }
    const char *why = NULL;
    if (!j->local)
        why = "has no user part";
    else if (j->resource)
        why = "has a resource; give the bare JID";
    if (why) {
        fprintf(stderr, "parleyctl: '%s' %s\n", s, why);
    } else if (strcmp(j->domain, domain) != 0) {
        fprintf(stderr, "parleyctl: domain '%s' is not hosted here (%s = %s)\n", j->domain, key,
                domain);
    } else {
        return j;
    }
    jid_free(j);
    return NULL;
}

/* An account JID given on the command line. */
static struct jid *parse_account(const struct ctl *ctl, const char *s)
{
    return parse_bare_at(s, ctl->cfg.domain, "domain");
}

/*
 * Takes the password out of argv into a copy and blanks argv's, which shortens the time it
 * shows in ps. The copy is the caller's to wipe with wipe_password(); NULL when unusable.
 */
static char *take_password(char *arg)
{
    size_t n = strlen(arg);
    char *pw = n > 0 && n <= CTL_PASSWORD_MAX ? xstrdup(arg) : NULL;
    explicit_bzero(arg, n);
    if (!pw)
        fprintf(stderr, "parleyctl: the password must be 1 to %d bytes\n", CTL_PASSWORD_MAX);
    return pw;
}

static void wipe_password(char *pw)
{
    explicit_bzero(pw, strlen(pw));
    free(pw);
}

/* Creates or updates bare's credentials from password; returns the storage result. */
static int store_password(struct ctl *ctl, const char *bare, const char *password, bool create)
{
    struct scram_creds c;
    int rc = scram_creds_make(password, (unsigned)ctl->cfg.scram_iterations, &c);

    if (rc == PL_OK && create)
        rc = account_create(&ctl->store, bare, &c);
    else if (rc == PL_OK)
        rc = account_set_creds(&ctl->store, bare, &c);
    explicit_bzero(&c, sizeof(c));
    if (rc == PL_OK)
        rc = storage_flush(&ctl->store); /* confirm only what is committed */
    return rc;
}

/* SASLprep must accept a password being set; the credentials are derived from its result. */
static bool password_storable(const char *pw)
{
    char *prepared = NULL;
    int st = prep_password(pw, PREP_STORE, &prepared);
    if (prepared)
        wipe_password(prepared);
    if (st != PREP_OK)
        fprintf(stderr, "parleyctl: the password is not acceptable (SASLprep): %s\n",
                prep_strerror(st));
    return st == PREP_OK;
}

/* A new account's name may not hold code points unassigned in Unicode 3.2 (prep.h). */
static bool local_storable(const struct jid *j)
{
    char out[PREP_MAX + 1];
    size_t len;
    int st = prep_localpart(j->local, strlen(j->local), PREP_STORE, out, &len);
    if (st != PREP_OK)
        fprintf(stderr, "parleyctl: '%s' cannot be a new account: %s\n", j->bare,
                prep_strerror(st));
    return st == PREP_OK;
}

/* Shared by adduser and passwd: they differ in the verb and the refusal they can meet. */
static int set_password(struct ctl *ctl, char **argv, bool create)
{
    int ret = CTL_REFUSED;
    char *pw = take_password(argv[1]);
    struct jid *j = parse_account(ctl, argv[0]);

    if (!pw || !j || !password_storable(pw) || (create && !local_storable(j)))
        goto fail;
    int rc = store_password(ctl, j->bare, pw, create);
    if (rc == PL_OK) {
        printf("%s %s\n", create ? "added" : "password changed for", j->bare);
        ret = CTL_OK;
    } else if (rc == PL_EEXIST) {
        fprintf(stderr, "parleyctl: %s already exists\n", j->bare);
    } else if (rc == PL_ENOTFOUND) {
        fprintf(stderr, "parleyctl: %s does not exist\n", j->bare);
    } else {
        fprintf(stderr, "parleyctl: cannot store %s: %s\n", j->bare, pl_strerror(rc));
    }
fail:
    if (pw)
        wipe_password(pw);
    jid_free(j);
    return ret;
}

static int cmd_adduser(struct ctl *ctl, char **argv) { return set_password(ctl, argv, true); }

static int cmd_passwd(struct ctl *ctl, char **argv) { return set_password(ctl, argv, false); }

/* The database no longer has the account; a running server still has its sessions. */
static int end_sessions(const struct ctl *ctl, const char *bare)
{
    char request[CONTROL_LINE_MAX + 1], reply[256];
    snprintf(request, sizeof(request), "deluser %s", bare);
    int rc = control_request(ctl->cfg.data_dir, request, reply, sizeof(reply));
    if (rc == PL_ENOTFOUND) {
        printf("deleted %s (no server running: no sessions to end)\n", bare);
        return CTL_OK;
    }
    unsigned n;
    if (rc == PL_OK && sscanf(reply, "ok %u", &n) == 1) {
        printf("deleted %s; %u session%s ended\n", bare, n, n == 1 ? "" : "s");
        return CTL_OK;
    }
    printf("deleted %s\n", bare);
    fprintf(stderr, "parleyctl: the running server did not end the sessions of %s: %s\n", bare,
            reply);
    return CTL_REFUSED;
}

static int cmd_deluser(struct ctl *ctl, char **argv)
{
    struct jid *j = parse_account(ctl, argv[0]);
    if (!j)
        return CTL_REFUSED;
    int rc = account_delete(&ctl->store, j->bare);
    if (rc == PL_OK)
        rc = storage_flush(&ctl->store);
    int ret = rc == PL_OK ? end_sessions(ctl, j->bare) : CTL_REFUSED;
    if (rc == PL_ENOTFOUND)
        fprintf(stderr, "parleyctl: %s does not exist\n", j->bare);
    else if (rc != PL_OK)
        fprintf(stderr, "parleyctl: cannot delete %s: %s\n", j->bare, pl_strerror(rc));
    jid_free(j);
    return ret;
}

static void print_account(void *ctx, const char *bare)
{
    (void)ctx;
    puts(bare);
}

static int cmd_users(struct ctl *ctl, char **argv)
{
    (void)argv;
    int rc = account_list(&ctl->store, print_account, NULL);
    if (rc != PL_OK)
        fprintf(stderr, "parleyctl: cannot list accounts: %s\n", pl_strerror(rc));
    return rc == PL_OK ? CTL_OK : CTL_REFUSED;
}

/* Reports names that preparation changes or merges; the store is left as it is. */
static int cmd_check(struct ctl *ctl, char **argv)
{
    (void)argv;
    int found = ctl_check_accounts(&ctl->store, stdout);
    if (found < 0)
        fprintf(stderr, "parleyctl: cannot list accounts: %s\n", pl_strerror(found));
    return found == 0 ? CTL_OK : CTL_REFUSED;
}

/* ---- group chat rooms -------------------------------------------------------------------- */

#define ROOMS_PAGE 1000

struct room_walk {
    char last[PREP_MAX * 2 + 2]; /* the page's last JID: where the next one starts */
    size_t n;
};

static void print_room(void *ctx, const struct room_row *row)
{
    struct room_walk *w = ctx;
    printf("%s%s%s%s\n", row->jid, row->name[0] ? "  " : "", row->name,
           row->listed ? "" : "  (hidden)");
    snprintf(w->last, sizeof(w->last), "%s", row->jid);
    w->n++;
}

static int cmd_rooms(struct ctl *ctl, char **argv)
{
    (void)argv;
    struct room_walk w = { .n = 0 };
    size_t total;
    int rc;
    do { /* a page at a time, each after the last JID printed */
        w.n = 0;
        rc = room_list(&ctl->store, false, w.last[0] ? w.last : NULL, ROOMS_PAGE, print_room,
                       &w, &total);
    } while (rc == PL_OK && w.n == ROOMS_PAGE);
    if (rc != PL_OK)
        fprintf(stderr, "parleyctl: cannot list rooms: %s\n", pl_strerror(rc));
    return rc == PL_OK ? CTL_OK : CTL_REFUSED;
}

static void ignore_room(void *ctx, const struct room_row *row) { (void)ctx, (void)row; }
static void ignore_aff(void *ctx, const struct room_aff_row *row) { (void)ctx, (void)row; }

static bool room_stored(struct ctl *ctl, const char *jid)
{
    return room_load(&ctl->store, jid, ignore_room, ignore_aff, NULL) == PL_OK;
}

/* A persistent, public room with its owner, in the stored form of its configuration
 * (muc#roomconfig fields, one "var=value" line each; the rest keeps the defaults). */
static int store_room(struct ctl *ctl, const char *jid, const char *owner, const char *name)
{
    struct buf cfg;
    buf_init(&cfg);
    buf_printf(&cfg, "muc#roomconfig_persistentroom=1\nmuc#roomconfig_roomname=%s\n", name);
    struct room_row row = { .jid = jid, .name = name, .listed = true, .config = cfg.data,
                            .created = (long long)time(NULL) };
    struct room_aff_row aff = { .jid = owner, .affiliation = ROOM_AFF_OWNER };
    int rc = room_put(&ctl->store, &row);
    if (rc == PL_OK)
        rc = room_aff_set(&ctl->store, jid, &aff);
    if (rc == PL_OK)
        rc = storage_flush(&ctl->store);
    buf_fini(&cfg);
    return rc;
}

static int cmd_mkroom(struct ctl *ctl, char **argv)
{
    const char *name = argv[2] ? argv[2] : "";
    struct jid *room = parse_bare_at(argv[0], ctl->cfg.muc_domain, "muc_domain");
    struct jid *owner = room ? parse_account(ctl, argv[1]) : NULL;
    int ret = CTL_REFUSED;
    if (!owner)
        goto done;
    if (strpbrk(name, "\\\n") || strlen(name) > 1024) {
        fprintf(stderr, "parleyctl: a room name has no line breaks or backslashes\n");
    } else if (room_stored(ctl, room->bare)) {
        fprintf(stderr, "parleyctl: %s already exists\n", room->bare);
    } else {
        int rc = store_room(ctl, room->bare, owner->bare, name);
        if (rc == PL_OK) {
            printf("created %s, owned by %s\n", room->bare, owner->bare);
            ret = CTL_OK;
        } else {
            fprintf(stderr, "parleyctl: cannot store %s: %s\n", room->bare, pl_strerror(rc));
        }
    }
done:
    jid_free(room);
    jid_free(owner);
    return ret;
}

/* A running server destroys the room itself, so that its occupants are told. */
static int cmd_rmroom(struct ctl *ctl, char **argv)
{
    struct jid *room = parse_bare_at(argv[0], ctl->cfg.muc_domain, "muc_domain");
    if (!room)
        return CTL_REFUSED;
    char request[CONTROL_LINE_MAX + 1], reply[256];
    snprintf(request, sizeof(request), "rmroom %s%s%s", room->bare, argv[1] ? " " : "",
             argv[1] ? argv[1] : "");
    int ret = CTL_REFUSED, rc = control_request(ctl->cfg.data_dir, request, reply, sizeof(reply));
    size_t told;
    if (rc == PL_OK && sscanf(reply, "ok %zu", &told) == 1) {
        printf("destroyed %s; %zu occupant%s told\n", room->bare, told, told == 1 ? "" : "s");
        ret = CTL_OK;
    } else if (rc == PL_OK) {
        fprintf(stderr, "parleyctl: %s: %s\n", room->bare, reply);
    } else if (!room_stored(ctl, room->bare)) {
        fprintf(stderr, "parleyctl: %s does not exist\n", room->bare);
    } else if ((rc = room_delete(&ctl->store, room->bare)) == PL_OK &&
               (rc = storage_flush(&ctl->store)) == PL_OK) {
        printf("destroyed %s (no server running)\n", room->bare);
        ret = CTL_OK;
    } else {
        fprintf(stderr, "parleyctl: cannot delete %s: %s\n", room->bare, pl_strerror(rc));
    }
    jid_free(room);
    return ret;
}

static const struct ctl_command ctl_commands[] = {
    { "adduser", "JID PASSWORD", 2, 0, cmd_adduser },
    { "passwd", "JID PASSWORD", 2, 0, cmd_passwd },
    { "deluser", "JID", 1, 0, cmd_deluser },
    { "users", "", 0, 0, cmd_users },
    { "rooms", "", 0, 0, cmd_rooms },
    { "mkroom", "ROOM OWNER [NAME]", 2, 1, cmd_mkroom },
    { "rmroom", "ROOM [REASON]", 1, 1, cmd_rmroom },
    { "check", "", 0, 0, cmd_check },
};

static void print_usage(FILE *out)
{
    fprintf(out, "usage: parleyctl -c FILE COMMAND [ARGS]\n"
                 "       parleyctl -h | --help\n"
                 "FILE is the server's configuration (parley.conf).\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(ctl_commands); i++)
        fprintf(out, "  %s%s%s\n", ctl_commands[i].name, ctl_commands[i].args[0] ? " " : "",
                ctl_commands[i].args);
}

/* Copies the word-th (0-based) space-separated word of args into out. */
static void nth_arg(const char *args, int word, char out[32])
{
    while (word-- > 0 && strchr(args, ' '))
        args = strchr(args, ' ') + 1;
    snprintf(out, 32, "%.*s", (int)strcspn(args, " "), args);
}

/* The command called name, given as many arguments as it takes; otherwise says what is
 * wrong. */
static const struct ctl_command *find_command(const char *name, int argc)
{
    for (size_t i = 0; i < ARRAY_LEN(ctl_commands); i++) {
        const struct ctl_command *c = &ctl_commands[i];
        if (strcmp(c->name, name) != 0)
            continue;
        if (argc >= c->argc && argc <= c->argc + c->optional)
            return c;
        char missing[32];
        nth_arg(c->args, argc, missing);
        if (argc < c->argc)
            fprintf(stderr, "parleyctl: %s: missing %s\n", name, missing);
        else
            fprintf(stderr, "parleyctl: %s: too many arguments\n", name);
        print_usage(stderr);
        return NULL;
    }
    fprintf(stderr, "parleyctl: unknown command '%s'\n", name);
    print_usage(stderr);
    return NULL;
}

/* Options first (-c FILE, -h/--help), then the command. Returns the command, or NULL with
 * *ret set to the exit code when the arguments already decided. */
static const struct ctl_command *parse_args(int argc, char **argv, const char **conf, int *ret)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    *ret = CTL_USAGE;
    /* '+': options end at the command, so a password starting with '-' stays an argument. */
    while ((opt = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
        if (opt == 'c') {
            *conf = optarg;
            continue;
        }
        print_usage(opt == 'h' ? stdout : stderr);
        *ret = opt == 'h' ? CTL_OK : CTL_USAGE;
        return NULL;
    }
    if (optind >= argc) {
        fprintf(stderr, "parleyctl: missing COMMAND\n");
        print_usage(stderr);
        return NULL;
    }
    const struct ctl_command *cmd = find_command(argv[optind], argc - optind - 1);
    if (cmd && !*conf)
        fprintf(stderr, "parleyctl: missing -c FILE (the server's configuration)\n");
    return *conf ? cmd : NULL;
}

int main(int argc, char **argv)
{
    static struct ctl ctl; /* large (struct server inside); zeroed */
    const char *conf = NULL;
    int ret;
    const struct ctl_command *cmd = parse_args(argc, argv, &conf, &ret);
    if (!cmd)
        return ret;

    ret = load_config(&ctl, conf);
    if (ret == CTL_OK)
        ret = open_store(&ctl);
    if (ret == CTL_OK)
        ret = cmd->run(&ctl, argv + optind + 1);
    if (ctl.store_open)
        storage_close(&ctl.store);
    server_fini(&ctl.srv);
    return ret;
}
