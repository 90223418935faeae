/* SPDX-License-Identifier: MIT */
/* Command-line parsing for parley-bench: one table of options, one loop, bounds checked. */
#include "opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "net.h"

enum opt_type { OT_STR, OT_LONG, OT_DOUBLE, OT_ENUM, OT_FLAG };

struct opt_row {
    const char *name;
    enum opt_type type;
    size_t off;
    double min, max;           /* bounds for numbers */
    const char *const *names;  /* values of an enum, in enum order */
    const char *help;
};

static const char *const scenario_names[] = { "login", "chat",    "register", "churn", "muc",
                                              "mixed", "resume",  "offline",  "mam",   NULL };
/* One line each for --help, in enum order. */
static const char *const scenario_help[] = {
    "login storm under --parallel, then hold the sessions for --duration s",
    "1:1 messages between random online pairs at --rates, --step s per rate",
    "create the accounts: --register-cmd, else in-band (XEP-0077)",
    "connect/login/disconnect cycles for --duration s, --parallel in flight",
    "--rooms of --occupants join (XEP-0045), then groupchat messages/s at --rates",
    "chat, presence and groupchat actions/s at --rates, shared out by --mix",
    "login storm with stream management, connections dropped, the sessions resumed",
    "half the accounts send --messages each to the other half, offline, who log in one by one",
    "login, then the first account queries its archive (--mam) for --duration s",
};
_Static_assert(ARRAY_LEN(scenario_help) + 1 == ARRAY_LEN(scenario_names),
               "one help line per scenario");
static const char *const tls_names[] = { "starttls", "direct", "none", NULL };
static const char *const transport_names[] = { "tcp", "ws", NULL };
static const char *const sasl_names[] = { "scram-sha-256", "scram-sha-1", "plain", NULL };
const char *const opts_mix_names[MIX_KINDS] = { "chat", "presence", "muc" };
const char *const opts_mam_names[MAM_KINDS] = { "with", "date", "text" };

#define MIX_EXAMPLE "chat=80,presence=15,muc=5"
#define MIX_DEFAULT "chat=85,presence=15" /* needs no MUC service */
#define MIX_WEIGHT_MAX 1e6

#define OFF(f) offsetof(struct bench_opts, f)

static const struct opt_row opt_rows[] = {
    { "--host", OT_STR, OFF(host), 0, 0, NULL, "loopback address of the server" },
    { "--port", OT_LONG, OFF(port), 1, 65535, NULL, "server port" },
    { "--domain", OT_STR, OFF(domain), 0, 0, NULL, "XMPP domain of the accounts" },
    { "--users", OT_STR, OFF(users), 0, 0, NULL, "account name pattern with one %d" },
    { "--first", OT_LONG, OFF(first), 0, 1e9, NULL, "number of the first account" },
    { "--count", OT_LONG, OFF(count), 1, 1000000, NULL, "number of accounts/sessions" },
    { "--password", OT_STR, OFF(password), 0, 0, NULL, "password of every account" },
    { "--tls", OT_ENUM, OFF(tls), 0, 0, tls_names, "starttls|direct|none" },
    { "--transport", OT_ENUM, OFF(transport), 0, 0, transport_names,
      "tcp|ws: XMPP over WebSocket (RFC 7395) on --port, --tls direct (wss://) or none (ws://)" },
    { "--ws-path", OT_STR, OFF(ws_path), 0, 0, NULL, "ws: HTTP path of the WebSocket endpoint" },
    { "--sasl", OT_ENUM, OFF(sasl), 0, 0, sasl_names, "scram-sha-256|scram-sha-1|plain" },
    { "--rates", OT_STR, OFF(rates), 0, 0, NULL,
      "chat, muc: messages/s per step (mixed: actions/s), R1,R2,..." },
    { "--step", OT_DOUBLE, OFF(step), 0.1, 86400, NULL, "chat, muc, mixed: seconds per step" },
    { "--duration", OT_DOUBLE, OFF(duration), 0, 86400, NULL,
      "login: seconds to hold; churn: seconds of cycles" },
    { "--timeout", OT_DOUBLE, OFF(timeout), 1, 86400, NULL,
      "seconds allowed for logins, then for room joins (churn: for each whole cycle)" },
    { "--drain", OT_DOUBLE, OFF(drain), 0, 600, NULL,
      "chat, churn, muc, mixed: seconds to wait for stragglers at the end" },
    { "--json", OT_STR, OFF(json), 0, 0, NULL, "write results as JSON to FILE" },
    { "--server-pid", OT_LONG, OFF(server_pid), 1, 4194304, NULL, "sample CPU/RSS of PID" },
    { "--parallel", OT_LONG, OFF(parallel), 1, 100000, NULL,
      "logins (churn: sessions, one per account) in flight at once" },
    { "--tick-ms", OT_LONG, OFF(tick_ms), 1, 100, NULL, "pacing timer period" },
    { "--source", OT_STR, OFF(source), 0, 0, NULL, "source addresses A.B.C.D-A.B.C.E" },
    { "--keycache", OT_STR, OFF(keycache), 0, 0, NULL, "SCRAM key cache file" },
    { "--register-cmd", OT_STR, OFF(register_cmd), 0, 0, NULL, "register: 'cmd %s %s'" },
    { "--resource", OT_STR, OFF(resource), 0, 0, NULL, "resource to bind" },
    { "--quiet", OT_FLAG, OFF(quiet), 0, 0, NULL, "no progress lines" },
    { "--sm", OT_FLAG, OFF(sm), 0, 0, NULL,
      "stream management (XEP-0198): enable it, answer <r/>, ask for an ack at the end" },
    { "--muc-domain", OT_STR, OFF(muc_domain), 0, 0, NULL,
      "muc, mixed with muc: MUC service, e.g. conference.localhost" },
    { "--rooms", OT_LONG, OFF(rooms), 1, 1000000, NULL,
      "muc, mixed with muc: rooms; account i joins room bench{i/occupants}" },
    { "--occupants", OT_LONG, OFF(occupants), 1, 1000000, NULL,
      "muc, mixed with muc: occupants per room (--count >= rooms x occupants)" },
    { "--mix", OT_STR, OFF(mix), 0, 0, NULL,
      "mixed: weights, e.g. " MIX_EXAMPLE " (default " MIX_DEFAULT ")" },
    { "--hold", OT_DOUBLE, OFF(hold), 0, 86400, NULL,
      "churn: seconds online per cycle, each session's drawn from [S/2, 3S/2]" },
    { "--messages", OT_LONG, OFF(messages), 0, 100000, NULL,
      "churn: messages each session sends itself per cycle, all awaited before the close; "
      "offline: messages kept for each account that logs in" },
    { "--max-logins", OT_LONG, OFF(max_logins), 0, 100000, NULL,
      "churn: logins in flight at most (default: --parallel)" },
    { "--series", OT_DOUBLE, OFF(series), 0, 86400, NULL,
      "churn: seconds per window of the login latency series, server RSS every second" },
    { "--mam", OT_STR, OFF(mam), 0, 0, NULL,
      "mam, chat: archive queries of the first account, e.g. with,date,text" },
    { "--mam-user", OT_STR, OFF(mam_user), 0, 0, NULL,
      "--mam: the querying (first) account's name, instead of the --users one" },
    { "--mam-with", OT_STR, OFF(mam_with), 0, 0, NULL, "--mam with: the last page with JID" },
    { "--mam-start", OT_STR, OFF(mam_start), 0, 0, NULL, "--mam date: from this time" },
    { "--mam-end", OT_STR, OFF(mam_end), 0, 0, NULL, "--mam date: up to this time" },
    { "--mam-text", OT_STR, OFF(mam_text), 0, 0, NULL, "--mam text: full-text search words" },
    { "--mam-rate", OT_DOUBLE, OFF(mam_rate), 0.1, 10000, NULL,
      "--mam: queries/s at most, one in flight" },
};

static void set_defaults(struct bench_opts *o)
{
    *o = (struct bench_opts){
        .host = "127.0.0.1", .port = 5222, .domain = "localhost", .users = "user%d",
        .first = 1, .count = 100, .password = "password", .tls = BTLS_STARTTLS,
        .transport = BTRANSPORT_TCP, .ws_path = "/xmpp-websocket",
        .sasl = BSASL_SCRAM_SHA256, .rates = "1000", .step = 10, .duration = 10,
        .timeout = 120, .drain = 2, .parallel = 100, .tick_ms = 5, .resource = "bench",
        .rooms = 20, .occupants = 50, .mix = MIX_DEFAULT, .mam_rate = 20,
        .mam_with = "user2@localhost", .mam_start = "2020-01-01T00:00:00Z",
        .mam_end = "2100-01-01T00:00:00Z", .mam_text = "parley",
    };
}

void opts_usage(FILE *out)
{
    fprintf(out, "usage: parley-bench SCENARIO [options]\nscenarios:\n");
    for (size_t i = 0; i < ARRAY_LEN(scenario_help); i++)
        fprintf(out, "  %-15s %s\n", scenario_names[i], scenario_help[i]);
    fprintf(out, "options:\n");
    for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++)
        fprintf(out, "  %-15s %s\n", opt_rows[i].name, opt_rows[i].help);
}

static int find_enum(const char *const *names, const char *v)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], v) == 0)
            return i;
    return -1;
}

static bool parse_number(const struct opt_row *r, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < r->min || d > r->max)
        return false;
    if (r->type == OT_LONG && d != floor(d))
        return false;
    *out = d;
    return true;
}

/* Stores one value into its field; false when it does not fit the row. */
static bool store(const struct opt_row *r, const char *v, struct bench_opts *o)
{
    char *field = (char *)o + r->off;
    double d;
    switch (r->type) {
    case OT_STR: *(const char **)field = v; return true;
    case OT_FLAG: *(bool *)field = true; return true;
    case OT_ENUM: return (*(int *)field = find_enum(r->names, v)) >= 0;
    case OT_LONG:
        if (!parse_number(r, v, &d))
            return false;
        *(long *)field = (long)d;
        return true;
    case OT_DOUBLE:
        if (!parse_number(r, v, &d))
            return false;
        *(double *)field = d;
        return true;
    }
    return false;
}

static const struct opt_row *find_row(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++)
        if (strcmp(opt_rows[i].name, name) == 0)
            return &opt_rows[i];
    return NULL;
}

static int parse_options(int argc, char **argv, struct bench_opts *o, FILE *err)
{
    for (int i = 2; i < argc; i++) {
        const struct opt_row *r = find_row(argv[i]);
        if (!r) {
            fprintf(err, "parley-bench: unknown option %s\n", argv[i]);
            return 2;
        }
        const char *v = "";
        if (r->type != OT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(err, "parley-bench: %s needs a value\n", r->name);
                return 2;
            }
            v = argv[++i];
        }
        if (!store(r, v, o)) {
            fprintf(err, "parley-bench: bad value for %s: %s\n", r->name, v);
            return 2;
        }
    }
    return 0;
}

bool opts_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The pattern is handed to printf with an int: exactly one %d and no other conversion. */
static bool users_pattern_ok(const char *p)
{
    int conversions = 0;
    for (const char *s = strchr(p, '%'); s; s = strchr(s + 2, '%')) {
        if (s[1] == '%')
            continue;
        if (s[1] != 'd')
            return false;
        conversions++;
    }
    return conversions == 1;
}

/* Parsed here for the usage error; the engine parses the list again for its sockets. */
static int check_sources(const struct bench_opts *o, FILE *err)
{
    struct net_addr server;
    struct net_sources src;
    if (net_addr_parse(o->host, (int)o->port, &server) != PL_OK ||
        net_sources_parse(o->source, server.ss.ss_family, &src) != PL_OK) {
        fprintf(err, "parley-bench: bad --source %s (A.B.C.D-A.B.C.E or A,B,..., the family "
                     "of --host)\n", o->source);
        return 2;
    }
    net_sources_fini(&src);
    return 0;
}

/*
 * A plain decimal number filling [v, end): digits, then optionally a point and digits. -1
 * otherwise: strtod alone would also take spaces, signs, exponents, hex, "nan" and "inf".
 */
static double decimal(const char *v, const char *end)
{
    const char *digits = "0123456789";
    size_t whole = strspn(v, digits), frac = 0;
    if (v[whole] == '.')
        frac = 1 + strspn(v + whole + 1, digits);
    if (whole == 0 || v + whole + frac != end || frac == 1)
        return -1;
    return strtod(v, NULL);
}

/* One NAME=WEIGHT field of --mix, ending at end; false with the reason in why. */
static bool parse_mix_field(const char *f, const char *end, double *weights, bool *seen,
                            char *why, size_t why_size)
{
    const char *eq = memchr(f, '=', (size_t)(end - f));
    int n = (int)(end - f);
    if (!eq) {
        snprintf(why, why_size, "'%.*s' is not NAME=WEIGHT", n, f);
        return false;
    }
    int k = 0;
    while (k < MIX_KINDS && (strlen(opts_mix_names[k]) != (size_t)(eq - f) ||
                             strncmp(opts_mix_names[k], f, (size_t)(eq - f)) != 0))
        k++;
    if (k == MIX_KINDS) {
        snprintf(why, why_size, "unknown kind '%.*s' (chat, presence, muc)", (int)(eq - f), f);
        return false;
    }
    if (seen[k]) {
        snprintf(why, why_size, "%s given twice", opts_mix_names[k]);
        return false;
    }
    double w = decimal(eq + 1, end);
    if (!(w >= 0 && w <= MIX_WEIGHT_MAX)) {
        snprintf(why, why_size, "bad weight '%.*s' for %s", (int)(end - eq - 1), eq + 1,
                 opts_mix_names[k]);
        return false;
    }
    seen[k] = true;
    weights[k] = w;
    return true;
}

int opts_parse_mix(const char *text, double weights[MIX_KINDS], char *why, size_t why_size)
{
    bool seen[MIX_KINDS] = { false };
    double total = 0;
    for (int k = 0; k < MIX_KINDS; k++)
        weights[k] = 0;
    if (!text || !*text) {
        snprintf(why, why_size, "empty");
        return PL_EINVAL;
    }
    for (const char *f = text;;) {
        const char *end = strchrnul(f, ',');
        if (end == f) {
            snprintf(why, why_size, "empty field");
            return PL_EINVAL;
        }
        if (!parse_mix_field(f, end, weights, seen, why, why_size))
            return PL_EINVAL;
        if (!*end)
            break;
        f = end + 1;
    }
    for (int k = 0; k < MIX_KINDS; k++)
        total += weights[k];
    if (total <= 0) {
        snprintf(why, why_size, "every weight is 0");
        return PL_EINVAL;
    }
    return PL_OK;
}

int opts_parse_mam(const char *text, bool kinds[MAM_KINDS], char *why, size_t why_size)
{
    for (int k = 0; k < MAM_KINDS; k++)
        kinds[k] = false;
    if (!text || !*text) {
        snprintf(why, why_size, "empty");
        return PL_EINVAL;
    }
    for (const char *f = text;;) {
        const char *end = strchrnul(f, ',');
        int k = 0;
        while (k < MAM_KINDS && (strlen(opts_mam_names[k]) != (size_t)(end - f) ||
                                 strncmp(opts_mam_names[k], f, (size_t)(end - f)) != 0))
            k++;
        if (k == MAM_KINDS || kinds[k]) {
            snprintf(why, why_size, "%s '%.*s' (with, date, text, each once)",
                     k == MAM_KINDS ? "unknown kind" : "repeated kind", (int)(end - f), f);
            return PL_EINVAL;
        }
        kinds[k] = true;
        if (!*end)
            return PL_OK;
        f = end + 1;
    }
}

bool opts_uses_muc(const struct bench_opts *o)
{
    return o->scenario == SCEN_MUC || (o->scenario == SCEN_MIXED && o->mix_weights[MIX_MUC] > 0);
}

/* muc, and mixed with a muc share: a MUC service, and an account for every seat. */
static int check_muc(const struct bench_opts *o, FILE *err)
{
    const char *who = o->scenario == SCEN_MUC ? "muc" : "mixed with a muc share";
    if (!o->muc_domain || !*o->muc_domain) {
        fprintf(err, "parley-bench: %s needs --muc-domain (e.g. conference.localhost)\n", who);
        return 2;
    }
    if (o->count < o->rooms * o->occupants) {
        fprintf(err, "parley-bench: %s needs --count >= --rooms x --occupants (%ld x %ld = %ld), "
                     "got %ld\n", who, o->rooms, o->occupants, o->rooms * o->occupants,
                o->count);
        return 2;
    }
    return 0;
}

static int check_mixed(struct bench_opts *o, FILE *err)
{
    char why[128];
    if (opts_parse_mix(o->mix, o->mix_weights, why, sizeof(why)) != PL_OK) {
        fprintf(err, "parley-bench: bad --mix '%s': %s (e.g. " MIX_EXAMPLE ")\n", o->mix, why);
        return 2;
    }
    if (o->mix_weights[MIX_CHAT] > 0 && o->count < 2) {
        fprintf(err, "parley-bench: mixed with a chat share needs --count 2 or more\n");
        return 2;
    }
    return 0;
}

/* What one scenario asks of the options beyond their own bounds. */
static int check_scenario(struct bench_opts *o, FILE *err)
{
    if (o->scenario == SCEN_CHAT && o->count < 2) {
        fprintf(err, "parley-bench: chat needs --count 2 or more\n");
        return 2;
    }
    if ((o->scenario == SCEN_OFFLINE && (o->count < 2 || o->count % 2 || o->messages < 1)) ||
        (o->scenario == SCEN_RESUME && !o->sm)) {
        fprintf(err, "parley-bench: offline needs an even --count of 2 or more and --messages; "
                     "resume needs --sm\n");
        return 2;
    }
    char why[128];
    if ((o->mam || o->scenario == SCEN_MAM) &&
        opts_parse_mam(o->mam, o->mam_kinds, why, sizeof(why)) != PL_OK) {
        fprintf(err, "parley-bench: bad --mam '%s': %s\n", o->mam ? o->mam : "", why);
        return 2;
    }
    int rc = o->scenario == SCEN_MIXED ? check_mixed(o, err) : 0;
    if (rc == 0 && opts_uses_muc(o))
        rc = check_muc(o, err);
    return rc;
}

/* The upgrade request carries the path and the domain as they are: each must be one visible
 * token, without blanks or controls that would end its line. */
static bool http_token_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

/* WebSocket has no STARTTLS: its TLS, when any, comes before the HTTP upgrade (wss://). */
static int check_transport(const struct bench_opts *o, FILE *err)
{
    if (o->transport != BTRANSPORT_WS)
        return 0;
    if (o->tls == BTLS_STARTTLS) {
        fprintf(err, "parley-bench: --transport ws needs --tls direct (wss://) or --tls none "
                     "(ws://)\n");
        return 2;
    }
    if (o->ws_path[0] != '/' || !http_token_ok(o->ws_path)) {
        fprintf(err, "parley-bench: bad --ws-path '%s': a path starting with / without blanks, "
                     "e.g. /xmpp-websocket\n", o->ws_path);
        return 2;
    }
    if (!http_token_ok(o->domain)) {
        fprintf(err, "parley-bench: --transport ws needs a --domain without blanks (it names "
                     "the HTTP Host)\n");
        return 2;
    }
    return 0;
}

static int check(struct bench_opts *o, FILE *err)
{
    if (!opts_host_is_loopback(o->host)) {
        fprintf(err, "parley-bench: refusing --host %s: only loopback targets (127.0.0.0/8, "
                     "::1) are allowed\n", o->host);
        return 2;
    }
    if (!users_pattern_ok(o->users)) {
        fprintf(err, "parley-bench: --users needs exactly one %%d, e.g. 'user%%d'\n");
        return 2;
    }
    if (o->first + o->count - 1 > 2147483647L) {
        fprintf(err, "parley-bench: --first + --count is too large\n");
        return 2;
    }
    int rc = check_transport(o, err);
    if (rc == 0)
        rc = check_scenario(o, err);
    return rc ? rc : check_sources(o, err);
}

int opts_parse(int argc, char **argv, struct bench_opts *o, FILE *err)
{
    set_defaults(o);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        opts_usage(stdout);
        return 0;
    }
    o->scenario = argc >= 2 ? find_enum(scenario_names, argv[1]) : -1;
    if (o->scenario < 0) {
        opts_usage(err);
        return 2;
    }
    o->scenario_name = scenario_names[o->scenario];
    int rc = parse_options(argc, argv, o, err);
    if (rc == 0)
        rc = check(o, err);
    return rc ? rc : -1;
}

/* By hand rather than printf: the pattern comes from the command line (-Wformat=2). */
void opts_user_name(const struct bench_opts *o, long num, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = o->users; *p && n + 1 < size; p++) {
        if (p[0] == '%' && p[1] == 'd') {
            n += (size_t)snprintf(out + n, size - n, "%ld", num);
            p++;
        } else {
            out[n++] = p[0] == '%' && p[1] == '%' ? *p++ : *p;
        }
        if (n >= size)
            n = size - 1;
    }
    out[n] = '\0';
}
