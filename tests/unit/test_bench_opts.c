/* SPDX-License-Identifier: MIT */
/* Table-driven tests of parley-bench's command line (bench/opts.c) and --source lists (net.c). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "net.h"
#include "opts.h"
#include "opts_run.h"

/* A field of struct bench_opts by name, as text: the language of the tables below. */
enum ftype { F_STR, F_LONG, F_DOUBLE, F_INT, F_BOOL };

struct field {
    const char *name;
    enum ftype type;
    size_t off;
};

#define FIELD(n, t) { #n, t, offsetof(struct bench_opts, n) }

static const struct field fields[] = {
    FIELD(scenario, F_INT),    FIELD(scenario_name, F_STR), FIELD(host, F_STR),
    FIELD(port, F_LONG),       FIELD(domain, F_STR),        FIELD(users, F_STR),
    FIELD(first, F_LONG),      FIELD(count, F_LONG),        FIELD(password, F_STR),
    FIELD(tls, F_INT),         FIELD(sasl, F_INT),          FIELD(rates, F_STR),
    FIELD(step, F_DOUBLE),     FIELD(duration, F_DOUBLE),   FIELD(timeout, F_DOUBLE),
    FIELD(drain, F_DOUBLE),    FIELD(json, F_STR),          FIELD(server_pid, F_LONG),
    FIELD(parallel, F_LONG),   FIELD(tick_ms, F_LONG),      FIELD(source, F_STR),
    FIELD(keycache, F_STR),    FIELD(register_cmd, F_STR),  FIELD(resource, F_STR),
    FIELD(quiet, F_BOOL),      FIELD(muc_domain, F_STR),    FIELD(rooms, F_LONG),
    FIELD(occupants, F_LONG),  FIELD(mix, F_STR),        FIELD(sm, F_BOOL),
    FIELD(hold, F_DOUBLE),     FIELD(messages, F_LONG),     FIELD(max_logins, F_LONG),
    FIELD(series, F_DOUBLE),   FIELD(transport, F_INT),     FIELD(ws_path, F_STR),
};

static void field_text(const struct bench_opts *o, const struct field *fd, char *out, size_t n)
{
    const char *p = (const char *)o + fd->off;
    switch (fd->type) {
    case F_STR: snprintf(out, n, "%s", *(const char *const *)p ? *(const char *const *)p
                                                               : "(null)"); break;
    case F_LONG: snprintf(out, n, "%ld", *(const long *)p); break;
    case F_DOUBLE: snprintf(out, n, "%g", *(const double *)p); break;
    case F_INT: snprintf(out, n, "%d", *(const int *)p); break;
    case F_BOOL: snprintf(out, n, "%s", *(const bool *)p ? "true" : "false"); break;
    }
}

/* Checks "name=value". */
static void check_field(const struct bench_opts *o, const char *want, const char *what)
{
    const char *eq = strchr(want, '=');
    assert_non_null(eq);
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (strlen(fields[i].name) != (size_t)(eq - want) ||
            strncmp(fields[i].name, want, (size_t)(eq - want)) != 0)
            continue;
        char got[256];
        field_text(o, &fields[i], got, sizeof(got));
        if (strcmp(got, eq + 1) != 0)
            fail_msg("%s: %s is '%s', want '%s'", what, fields[i].name, got, eq + 1);
        return;
    }
    fail_msg("%s: no field %s", what, want);
}

struct valid_case {
    const char *args[OPTS_RUN_MAX_ARGS];
    const char *want[40]; /* "field=value" */
};

static const struct valid_case valid_cases[] = {
    { { "login" },
      { "scenario=0", "scenario_name=login", "host=127.0.0.1", "port=5222", "domain=localhost",
        "users=user%d", "first=1", "count=100", "password=password", "tls=0", "sasl=0",
        "rates=1000", "step=10", "duration=10", "timeout=120", "drain=2", "json=(null)",
        "server_pid=0", "parallel=100", "tick_ms=5", "source=(null)", "keycache=(null)",
        "register_cmd=(null)", "resource=bench", "quiet=false", "muc_domain=(null)", "rooms=20",
        "occupants=50", "mix=chat=85,presence=15", "sm=false", "hold=0", "messages=0",
        "max_logins=0", "series=0", "transport=0", "ws_path=/xmpp-websocket" } },
    { { "chat", "--host", "127.0.0.2", "--port", "15222", "--domain", "example.test", "--users",
        "bot-%d", "--first", "0", "--count", "2", "--password", "s3cr et", "--rates",
        "1000,5000", "--step", "0.1", "--drain", "0", "--quiet", "--sm" },
      { "scenario=1", "scenario_name=chat", "host=127.0.0.2", "port=15222",
        "domain=example.test", "users=bot-%d", "first=0", "count=2", "password=s3cr et",
        "rates=1000,5000", "step=0.1", "drain=0", "quiet=true", "sm=true" } },
    { { "churn", "--duration", "2.5", "--parallel", "20", "--count", "20", "--tls", "direct",
        "--sasl", "scram-sha-1", "--timeout", "1", "--server-pid", "4194304" },
      { "scenario=3", "scenario_name=churn", "duration=2.5", "parallel=20", "count=20",
        "tls=1", "sasl=1", "timeout=1", "server_pid=4194304" } },
    { { "register", "--register-cmd", "ctl adduser %s %s", "--users", "u%%%d", "--tls", "none",
        "--sasl", "plain", "--json", "/tmp/x.json", "--keycache", "/tmp/k", "--resource", "r" },
      { "scenario=2", "register_cmd=ctl adduser %s %s", "users=u%%%d", "tls=2", "sasl=2",
        "json=/tmp/x.json", "keycache=/tmp/k", "resource=r" } },
    { { "login", "--host", "::1", "--source", "::1" }, { "host=::1", "source=::1" } },
    { { "login", "--host", "127.255.255.254" }, { "host=127.255.255.254" } },
    { { "login", "--source", "127.0.1.1-127.0.1.50" }, { "source=127.0.1.1-127.0.1.50" } },
    { { "login", "--source", "127.0.0.1,127.0.0.2-127.0.0.3" },
      { "source=127.0.0.1,127.0.0.2-127.0.0.3" } },
    { { "login", "--source", "" }, { "source=" } }, /* empty: no bind */
    { { "login", "--count", "1e3", "--port", "1", "--tick-ms", "100", "--first", "1e9" },
      { "count=1000", "port=1", "tick_ms=100", "first=1000000000" } },
    { { "login", "--port", "65535", "--count", "1000000", "--parallel", "100000" },
      { "port=65535", "count=1000000", "parallel=100000" } },
    { { "login", "--port", "1", "--port", "2" }, { "port=2" } }, /* the last one wins */
    { { "login", "--first", "1000000000", "--count", "1000000" },
      { "first=1000000000", "count=1000000" } }, /* the largest numbers still fit an int */
    { { "muc", "--muc-domain", "conference.localhost", "--rooms", "4", "--occupants", "5",
        "--count", "20", "--rates", "50,100" },
      { "scenario=4", "scenario_name=muc", "muc_domain=conference.localhost", "rooms=4",
        "occupants=5", "count=20", "rates=50,100" } },
    { { "muc", "--muc-domain", "c.l", "--rooms", "1", "--occupants", "1", "--count", "1" },
      { "rooms=1", "occupants=1", "count=1" } }, /* one room of one: its own echo */
    { { "muc", "--muc-domain", "c.l", "--count", "1000" }, /* the defaults fill 1000 seats */
      { "rooms=20", "occupants=50", "count=1000" } },
    { { "muc", "--muc-domain", "c.l", "--rooms", "1000000", "--occupants", "1", "--count",
        "1000000" },
      { "rooms=1000000", "occupants=1" } },
    { { "mixed" }, { "scenario=5", "scenario_name=mixed", "mix=chat=85,presence=15" } },
    { { "mixed", "--mix", "chat=70,presence=30" }, { "mix=chat=70,presence=30" } },
    { { "mixed", "--mix", "presence=1", "--count", "1" }, { "count=1" } }, /* no chat share */
    { { "mixed", "--mix", "chat=80,presence=15,muc=5", "--muc-domain", "conference.localhost",
        "--rooms", "2", "--occupants", "3", "--count", "6" },
      { "mix=chat=80,presence=15,muc=5", "rooms=2", "occupants=3" } },
    { { "mixed", "--mix", "chat=1,muc=0" }, { "mix=chat=1,muc=0" } }, /* muc 0: no rooms */
    { { "login", "--mix", "chat=1", "--rooms", "3" }, { "rooms=3" } }, /* only mixed reads it */
    /* the soak: sessions that stay online a while, talk to themselves, cycle again */
    { { "churn", "--count", "10000", "--parallel", "10000", "--max-logins", "50", "--hold",
        "20", "--messages", "3", "--series", "60", "--duration", "600" },
      { "count=10000", "parallel=10000", "max_logins=50", "hold=20", "messages=3",
        "series=60", "duration=600" } },
    { { "churn", "--hold", "0.5", "--messages", "1000", "--max-logins", "100000", "--series",
        "0.5" },
      { "hold=0.5", "messages=1000", "max_logins=100000", "series=0.5" } },
    /* XMPP over WebSocket: ws:// with --tls none, wss:// with --tls direct */
    { { "chat", "--transport", "ws", "--tls", "none", "--port", "5280", "--count", "2" },
      { "transport=1", "tls=2", "port=5280", "ws_path=/xmpp-websocket" } },
    { { "login", "--transport", "ws", "--tls", "direct", "--ws-path", "/ws?x=1&y=%41" },
      { "transport=1", "tls=1", "ws_path=/ws?x=1&y=%41" } },
    { { "login", "--transport", "tcp", "--ws-path", "not a path" }, /* only ws reads it */
      { "transport=0", "ws_path=not a path" } },
    { { "resume", "--transport", "ws", "--tls", "none", "--sm" }, { "transport=1", "sm=true" } },
};

static void test_valid_sets(void **state)
{
    struct opts_run *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(valid_cases); i++) {
        const struct valid_case *c = &valid_cases[i];
        struct bench_opts o;
        int rc = opts_run(f, c->args, &o);
        if (rc != -1)
            fail_msg("case %zu: code %d: %s", i, rc, f->text);
        assert_int_equal(f->len, 0); /* nothing to say */
        char what[32];
        snprintf(what, sizeof(what), "case %zu", i);
        for (size_t k = 0; k < ARRAY_LEN(c->want) && c->want[k]; k++)
            check_field(&o, c->want[k], what);
    }
}

/* A usage error: exit code 2 and a reason that names the problem. */
struct error_case {
    const char *args[OPTS_RUN_MAX_ARGS];
    const char *says;
};

static const struct error_case error_cases[] = {
    { { NULL }, "usage: parley-bench" },
    { { "storm" }, "usage: parley-bench" },
    { { "--port", "5222" }, "usage: parley-bench" },
    { { "login", "--hots", "127.0.0.1" }, "unknown option --hots" },
    { { "login", "-p", "1" }, "unknown option -p" },
    { { "login", "--quiet", "yes" }, "unknown option yes" }, /* a flag takes no value */
    { { "login", "port", "1" }, "unknown option port" },
    { { "login", "--port" }, "--port needs a value" },
    { { "chat", "--count", "10", "--rates" }, "--rates needs a value" },
    { { "login", "--port", "abc" }, "bad value for --port: abc" },
    { { "login", "--port", "" }, "bad value for --port" },
    { { "login", "--port", "0" }, "bad value for --port: 0" },
    { { "login", "--port", "65536" }, "bad value for --port: 65536" },
    { { "login", "--port", "80.5" }, "bad value for --port: 80.5" },
    { { "churn", "--hold", "-1" }, "bad value for --hold: -1" },
    { { "churn", "--hold", "86401" }, "bad value for --hold: 86401" },
    { { "churn", "--messages", "100001" }, "bad value for --messages: 100001" },
    { { "churn", "--messages", "2.5" }, "bad value for --messages: 2.5" },
    { { "churn", "--max-logins", "-1" }, "bad value for --max-logins: -1" },
    { { "churn", "--series", "nan" }, "bad value for --series: nan" },
    { { "churn", "--series" }, "--series needs a value" },
    { { "login", "--port", "80x" }, "bad value for --port: 80x" },
    { { "login", "--port", "80 " }, "bad value for --port" },
    { { "login", "--count", "-5" }, "bad value for --count: -5" },
    { { "login", "--count", "0" }, "bad value for --count: 0" },
    { { "login", "--count", "1000001" }, "bad value for --count" },
    { { "login", "--count", "nan" }, "bad value for --count: nan" },
    { { "login", "--count", "inf" }, "bad value for --count: inf" },
    { { "login", "--count", "1e400" }, "bad value for --count" },
    { { "login", "--first", "1e10" }, "bad value for --first" },
    { { "login", "--step", "0.05" }, "bad value for --step" },
    { { "login", "--duration", "-1" }, "bad value for --duration" },
    { { "login", "--timeout", "0.5" }, "bad value for --timeout" },
    { { "login", "--tick-ms", "101" }, "bad value for --tick-ms" },
    { { "login", "--server-pid", "0" }, "bad value for --server-pid" },
    { { "login", "--parallel", "100001" }, "bad value for --parallel" },
    { { "login", "--tls", "ssl" }, "bad value for --tls: ssl" },
    { { "login", "--sasl", "DIGEST-MD5" }, "bad value for --sasl" },
    { { "login", "--sasl", "SCRAM-SHA-1" }, "bad value for --sasl" }, /* names are lowercase */
    { { "login", "--first", "1000000001" }, "bad value for --first: 1000000001" },
    { { "login", "--users", "user" }, "--users needs exactly one %d" },
    { { "login", "--users", "user%s" }, "--users needs exactly one %d" },
    { { "login", "--users", "u%d%d" }, "--users needs exactly one %d" },
    { { "login", "--users", "u%d%" }, "--users needs exactly one %d" },
    { { "login", "--users", "u%%d" }, "--users needs exactly one %d" },
    { { "login", "--users", "u%ld" }, "--users needs exactly one %d" },
    { { "chat", "--count", "1" }, "chat needs --count 2 or more" },
    { { "login", "--source", "127.0.1.50-127.0.1.1" }, "bad --source" },  /* backwards */
    { { "login", "--source", "127.0.0.1-" }, "bad --source" },
    { { "login", "--source", "-127.0.0.1" }, "bad --source" },
    { { "login", "--source", "127.0.0.1-::1" }, "bad --source" },
    { { "login", "--source", "::1" }, "bad --source" },                    /* not IPv4 */
    { { "login", "--source", "localhost" }, "bad --source" },
    { { "login", "--source", "127.0.0.0-127.1.0.0" }, "bad --source" },    /* 65,537 */
    { { "login", "--source", "," }, "bad --source" },
    { { "login", "--source", "127.0.0.1,x" }, "bad --source" },
    { { "login", "--host", "::1", "--source", "127.0.0.1" }, "bad --source" },
    { { "churn", "--duration", "x" }, "bad value for --duration: x" },
    { { "muc" }, "muc needs --muc-domain" },
    { { "muc", "--muc-domain", "", "--count", "1000" }, "muc needs --muc-domain" },
    { { "muc", "--muc-domain", "c.l" },
      "--count >= --rooms x --occupants (20 x 50 = 1000), got 100" },
    { { "muc", "--muc-domain", "c.l", "--rooms", "4", "--occupants", "5", "--count", "19" },
      "--count >= --rooms x --occupants (4 x 5 = 20), got 19" },
    { { "muc", "--muc-domain", "c.l", "--rooms", "0" }, "bad value for --rooms: 0" },
    { { "muc", "--muc-domain", "c.l", "--occupants", "0" }, "bad value for --occupants: 0" },
    { { "muc", "--muc-domain", "c.l", "--occupants", "2.5" }, "bad value for --occupants" },
    { { "muc", "--muc-domain", "c.l", "--rooms", "1000001" }, "bad value for --rooms" },
    { { "muc", "--muc-domain" }, "--muc-domain needs a value" },
    { { "mixed", "--mix" }, "--mix needs a value" },
    { { "mixed", "--mix", "chat=80,presence=15,muc=5" },
      "mixed with a muc share needs --muc-domain" },
    { { "mixed", "--mix", "muc=1", "--muc-domain", "c.l", "--rooms", "2", "--occupants", "3",
        "--count", "5" },
      "mixed with a muc share needs --count >= --rooms x --occupants (2 x 3 = 6), got 5" },
    { { "mixed", "--mix", "chat=1", "--count", "1" }, "mixed with a chat share needs --count 2" },
    { { "mixed", "--mix", "chat=80,bogus=20" }, "bad --mix 'chat=80,bogus=20': unknown kind" },
    { { "mixed", "--mix", "" }, "bad --mix '': empty" },
    { { "mixed", "--mix", "chat=0,presence=0" }, "every weight is 0" },
    { { "login", "--transport", "wss" }, "bad value for --transport: wss" },
    { { "login", "--transport", "WS" }, "bad value for --transport: WS" },
    { { "login", "--transport" }, "--transport needs a value" },
    { { "login", "--transport", "ws" },
      "--transport ws needs --tls direct (wss://) or --tls none (ws://)" },
    { { "login", "--transport", "ws", "--tls", "starttls" }, "--transport ws needs --tls direct" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path", "xmpp-websocket" },
      "bad --ws-path 'xmpp-websocket'" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path", "" }, "bad --ws-path ''" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path", "/a b" }, "bad --ws-path" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path", "/a\r\nX: y" },
      "bad --ws-path" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path", "/caf\xc3\xa9" },
      "bad --ws-path" },
    { { "login", "--transport", "ws", "--tls", "none", "--domain", "local host" },
      "--transport ws needs a --domain without blanks" },
    { { "login", "--transport", "ws", "--tls", "none", "--domain", "localhost\r\n" },
      "--transport ws needs a --domain without blanks" },
    { { "login", "--transport", "ws", "--tls", "none", "--ws-path" }, "--ws-path needs a value" },
};

static void test_usage_errors(void **state)
{
    struct opts_run *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        struct bench_opts o;
        int rc = opts_run(f, c->args, &o);
        if (rc != 2 || !strstr(f->text, c->says))
            fail_msg("case %zu (%s): code %d, said '%s'", i, c->says, rc, f->text);
    }
}

/* Only literal loopback targets: 127.0.0.0/8 and ::1. */
struct host_case {
    const char *host;
    bool loopback;
};

static const struct host_case host_cases[] = {
    { "127.0.0.1", true },        { "127.0.1.7", true },       { "127.255.255.255", true },
    { "127.0.0.0", true },        { "::1", true },             { "0:0:0:0:0:0:0:1", true },
    { "128.0.0.1", false },       { "126.255.255.255", false }, { "192.0.2.1", false },
    { "10.0.0.1", false },        { "0.0.0.0", false },        { "255.255.255.255", false },
    { "::", false },              { "::2", false },            { "2001:db8::1", false },
    { "::ffff:127.0.0.1", false }, { "localhost", false },     { "example.org", false },
    { "127.1", false },           { "127.0.0.1.1", false },    { " 127.0.0.1", false },
    { "", false },
};

static void test_loopback_only(void **state)
{
    struct opts_run *f = *state;
    for (size_t i = 0; i < ARRAY_LEN(host_cases); i++) {
        const struct host_case *c = &host_cases[i];
        if (opts_host_is_loopback(c->host) != c->loopback)
            fail_msg("'%s' loopback: want %d", c->host, c->loopback);
        struct bench_opts o;
        const char *args[] = { "login", "--host", c->host, NULL };
        int rc = opts_run(f, args, &o);
        assert_int_equal(rc, c->loopback ? -1 : 2);
        if (!c->loopback && (!strstr(f->text, "refusing --host") || !strstr(f->text, "loopback")))
            fail_msg("'%s' refused without saying why: %s", c->host, f->text);
    }
}

/* A --source list as the engine will use it: how many addresses, the first and the last. */
struct source_case {
    const char *spec;
    int family;
    int rc;
    size_t n;
    const char *first, *last;
};

static const struct source_case source_cases[] = {
    { "127.0.1.1-127.0.1.50", AF_INET, PL_OK, 50, "127.0.1.1", "127.0.1.50" },
    { "127.0.0.1", AF_INET, PL_OK, 1, "127.0.0.1", "127.0.0.1" },
    { "127.0.0.5-127.0.0.5", AF_INET, PL_OK, 1, "127.0.0.5", "127.0.0.5" },
    { "127.0.0.250-127.0.1.4", AF_INET, PL_OK, 11, "127.0.0.250", "127.0.1.4" },
    { "127.0.0.1,127.0.0.9-127.0.0.10,127.0.0.3", AF_INET, PL_OK, 4, "127.0.0.1",
      "127.0.0.3" },
    { "127.0.0.0-127.0.255.255", AF_INET, PL_OK, 65536, "127.0.0.0", "127.0.255.255" },
    { "::1", AF_INET6, PL_OK, 1, "::1", "::1" },
    { "", AF_INET, PL_OK, 0, NULL, NULL },
    { NULL, AF_INET, PL_OK, 0, NULL, NULL },
    { "127.0.0.0-127.1.0.0", AF_INET, PL_EINVAL, 0, NULL, NULL },
    { "127.0.0.2-127.0.0.1", AF_INET, PL_EINVAL, 0, NULL, NULL },
    { "::1-::2", AF_INET6, PL_EINVAL, 0, NULL, NULL }, /* ranges are IPv4 only */
    { "127.0.0.1", AF_INET6, PL_EINVAL, 0, NULL, NULL },
    { "127.0.0.1,::1", AF_INET, PL_EINVAL, 0, NULL, NULL },
    { "127.0.0.1-127.0.0.2-127.0.0.3", AF_INET, PL_EINVAL, 0, NULL, NULL },
    { ",,", AF_INET, PL_EINVAL, 0, NULL, NULL },
};

static void assert_addr(const struct net_addr *a, const char *want)
{
    char got[INET6_ADDRSTRLEN];
    const void *raw = a->ss.ss_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
    assert_non_null(inet_ntop(a->ss.ss_family, raw, got, sizeof(got)));
    assert_string_equal(got, want);
}

static void test_source_ranges(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(source_cases); i++) {
        const struct source_case *c = &source_cases[i];
        struct net_sources s;
        int rc = net_sources_parse(c->spec, c->family, &s);
        if (rc != c->rc || s.n != c->n)
            fail_msg("'%s': rc %d n %zu, want %d %zu", c->spec ? c->spec : "(null)", rc, s.n,
                     c->rc, c->n);
        if (c->n) {
            assert_addr(&s.addrs[0], c->first);
            assert_addr(&s.addrs[c->n - 1], c->last);
        }
        net_sources_fini(&s);
    }
}

struct name_case {
    const char *pattern;
    long num;
    size_t size;
    const char *want;
};

static const struct name_case name_cases[] = {
    { "user%d", 7, 64, "user7" },
    { "%d", 0, 64, "0" },
    { "u%%%d", 3, 64, "u%3" },
    { "%%x%d%%", 12, 64, "%x12%" },
    { "bot-%d-x", 2147483647, 64, "bot-2147483647-x" },
    { "user%d", 12345, 7, "user12" }, /* cut to the buffer */
    { "user%d", 5, 1, "" },
};

static void test_user_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(name_cases); i++) {
        const struct name_case *c = &name_cases[i];
        struct bench_opts o = { .users = c->pattern };
        char out[64];
        memset(out, 'Z', sizeof(out));
        opts_user_name(&o, c->num, out, c->size);
        assert_string_equal(out, c->want);
        if (c->size < sizeof(out))
            assert_int_equal(out[c->size], 'Z'); /* nothing written past the buffer */
    }
}

/* --help: exit 0, usage on stdout; the usage names every scenario and option. */
static void test_help(void **state)
{
    struct opts_run *f = *state;
    static const char *const helps[][2] = { { "--help", NULL }, { "-h", NULL } };
    int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && devnull >= 0);
    for (size_t i = 0; i < ARRAY_LEN(helps); i++) {
        struct bench_opts o;
        fflush(stdout);
        dup2(devnull, STDOUT_FILENO);
        int rc = opts_run(f, helps[i], &o);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        assert_int_equal(rc, 0);
        assert_int_equal(f->len, 0);
    }
    close(devnull);
    close(saved);
    opts_run_close(f);
    f->err = open_memstream(&f->text, &f->len);
    opts_usage(f->err);
    fflush(f->err);
    static const char *const words[] = { "login",      "chat",         "churn",   "register",
                                         "muc",        "mixed",        "--rooms", "--occupants",
                                         "--parallel", "--muc-domain", "--mix",   "--duration",
                                         "--source",   "--quiet",      "--hold",  "--messages",
                                         "--max-logins", "--series", "resume", "offline",
                                         "mam", "--mam", "--mam-user", "--mam-rate",
                                         "--transport", "--ws-path", "wss://" };
    for (size_t i = 0; i < ARRAY_LEN(words); i++)
        if (!strstr(f->text, words[i]))
            fail_msg("usage does not mention %s", words[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_sets, opts_run_setup, opts_run_teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, opts_run_setup, opts_run_teardown),
        cmocka_unit_test_setup_teardown(test_loopback_only, opts_run_setup, opts_run_teardown),
        cmocka_unit_test(test_source_ranges),
        cmocka_unit_test(test_user_names),
        cmocka_unit_test_setup_teardown(test_help, opts_run_setup, opts_run_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
