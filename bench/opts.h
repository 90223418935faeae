/* SPDX-License-Identifier: MIT */
/* parley-bench command line: the options every scenario reads, parsed from one table. */
#ifndef PB_OPTS_H
#define PB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum bench_scenario {
    SCEN_LOGIN, SCEN_CHAT, SCEN_REGISTER, SCEN_CHURN, SCEN_MUC, SCEN_MIXED,
    SCEN_RESUME, SCEN_OFFLINE, SCEN_MAM,
};
enum bench_tls { BTLS_STARTTLS, BTLS_DIRECT, BTLS_NONE };
/* How the XMPP stream travels: a TCP byte stream (RFC 6120) or WebSocket messages (RFC 7395). */
enum bench_transport { BTRANSPORT_TCP, BTRANSPORT_WS };
enum bench_sasl { BSASL_SCRAM_SHA256, BSASL_SCRAM_SHA1, BSASL_PLAIN };
/* The kinds of traffic of the mixed scenario; opts_mix_names spells them for --mix. */
enum mix_kind { MIX_CHAT, MIX_PRESENCE, MIX_MUC, MIX_KINDS };
extern const char *const opts_mix_names[MIX_KINDS];
/* The kinds of archive (XEP-0313) query; opts_mam_names spells them for --mam. */
enum mam_kind { MAM_WITH, MAM_DATE, MAM_TEXT, MAM_KINDS };
extern const char *const opts_mam_names[MAM_KINDS];

/* Parsed options; strings borrow argv or static defaults. */
struct bench_opts {
    int scenario; /* enum bench_scenario */
    const char *scenario_name;
    const char *host;
    long port;
    const char *domain;
    const char *users; /* printf pattern with one %d */
    long first;
    long count;
    const char *password;
    int tls;  /* enum bench_tls; with ws, direct is wss:// and none ws:// */
    int transport;       /* enum bench_transport */
    const char *ws_path; /* ws: the HTTP path of the WebSocket endpoint, e.g. /xmpp-websocket */
    int sasl; /* enum bench_sasl */
    const char *rates;
    double step;     /* seconds per rate step */
    double duration; /* seconds to hold idle sessions (login), to run cycles (churn) */
    double timeout;  /* seconds for the whole login storm */
    double drain;    /* seconds to wait for stragglers at the end (chat, churn) */
    const char *json;
    long server_pid;
    long parallel; /* logins (churn: whole sessions) in flight at once */
    long tick_ms;
    const char *source;
    const char *keycache;
    const char *register_cmd;
    const char *resource;
    bool quiet; /* no progress lines */
    bool sm;    /* stream management (XEP-0198) on every session */
    const char *muc_domain; /* muc, mixed: the MUC service, e.g. conference.localhost */
    long rooms;             /* muc: rooms, each of `occupants` accounts */
    long occupants;
    const char *mix;                /* mixed: "chat=80,presence=15,muc=5" */
    double hold;      /* churn: seconds online per cycle (each session's in [hold/2, 3hold/2]) */
    long messages;    /* churn: messages each session sends itself per cycle, all awaited */
    long max_logins;  /* churn: logins in flight at most (0: --parallel) */
    double series;    /* churn: seconds per window of the latency series (0: none) */
    double mix_weights[MIX_KINDS]; /* --mix parsed by opts_parse (mixed only) */
    const char *mam;       /* archive queries by the first account: "with,date,text" */
    const char *mam_user;  /* that account's name instead of the --users one (e.g. "big") */
    const char *mam_with;  /* with: the last page of 50 with this JID */
    const char *mam_start; /* date: the first page of 50 from this XEP-0082 time */
    const char *mam_end;   /*       up to this one */
    const char *mam_text;  /* text: a full-text search for these words */
    double mam_rate;       /* queries/s at most, one in flight */
    bool mam_kinds[MAM_KINDS]; /* --mam parsed by opts_parse */
};

/*
 * Fills o from argv (argv[1] is the scenario). Returns -1 to go on, or an exit code (0 after
 * --help, with the usage on stdout; 2 on a usage error) with the reason already written to
 * err. Refuses a --host that is not loopback and a --source list that does not parse.
 */
int opts_parse(int argc, char **argv, struct bench_opts *o, FILE *err);
/* True when host is a literal loopback address (127.0.0.0/8 or ::1). */
bool opts_host_is_loopback(const char *host);
void opts_usage(FILE *out);
/*
 * Parses a --mix list: NAME=WEIGHT fields separated by commas, each name at most once, names
 * from opts_mix_names, weights non-negative decimal numbers (percentages or any weights), at
 * least one above 0. Kinds not named get 0. Returns PL_OK, or PL_EINVAL with the reason in why
 * (weights then undefined).
 */
int opts_parse_mix(const char *text, double weights[MIX_KINDS], char *why, size_t why_size);
/*
 * Parses a --mam list: names from opts_mam_names separated by commas, each at most once, at
 * least one. Returns PL_OK, or PL_EINVAL with the reason in why.
 */
int opts_parse_mam(const char *text, bool kinds[MAM_KINDS], char *why, size_t why_size);
/* True when the scenario sends groupchat: muc, or mixed with a muc weight. */
bool opts_uses_muc(const struct bench_opts *o);
/* Writes the account name for number num (the --users pattern) into out. */
void opts_user_name(const struct bench_opts *o, long num, char *out, size_t size);

#endif
