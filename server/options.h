/* SPDX-License-Identifier: MIT */
/* The core server's configuration: top-level keys of parley.conf. */
#ifndef PL_OPTIONS_H
#define PL_OPTIONS_H

#include <stdbool.h>

#include "config.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
/* What binding one resource too many does to an account at max_resources_per_account. */
enum resource_limit_action { RESOURCE_LIMIT_REFUSE, RESOURCE_LIMIT_REPLACE_OLDEST };

/* Values of the top-level keys; strings are owned and freed by config_free(). */
struct server_config {
    char *domain;
    char *muc_domain; /* group chat's domain; "" until prepared: conference.<domain> */
    char *pubsub_domain; /* the pubsub service's domain; "" until prepared: pubsub.<domain> */
    char *bind_address;
    long c2s_port;
    long c2s_tls_port;
    char *http_address; /* the plain HTTP listener's address */
    long http_port;
    long https_port;    /* on bind_address */
    char *web_origins;  /* browser origins allowed besides the server's own, space-separated */
    char *websocket_redirect; /* "": none; else every WebSocket stream is sent there */
    long http_max_body_bytes;
    long http_idle_timeout; /* seconds a keep-alive connection may wait for a request */
    char *web_chat_dir;     /* the web chat page's files, served at /chat/ */
    char *web_url;          /* where clients reach the web front ("": from the ports) */
    bool http_loopback_login; /* ws:// and BOSH over plain HTTP may log in from loopback */
    long bosh_max_wait, bosh_max_hold, bosh_inactivity, bosh_max_pause, bosh_polling;
    char *data_dir;
    char *tls_cert;
    char *tls_key;
    char *log_file; /* "" = stderr */
    int log_level; /* enum log_level */
    bool allow_registration;
    bool allow_plaintext_loopback;
    long max_stanza_bytes;
    long max_depth;
    long max_attrs;
    long max_bytes_before_auth;
    long auth_timeout;
    long max_stanzas_per_second;
    long max_output_bytes;
    long max_connections;
    long max_connections_per_source;
    long max_unauthenticated_per_source;
    long max_resources_per_account;
    int resource_limit_action; /* enum resource_limit_action */
    long max_auth_failures;
    long auth_failures_per_minute;
    long auth_source_failures_per_minute;
    long scram_iterations;
    long commit_interval_ms; /* group commit: writes wait at most this long for their commit */
    long commit_interval_max_ms; /* ... unless commits are costly: then up to this long */
    long commit_lazy_ms; /* writes on which nothing is promised wait at most this long */
    long sm_resume_timeout; /* seconds a lost stream-management session may be resumed */
    long sm_max_unacked;    /* stanzas waiting for an acknowledgement (or a resumption) */
    long output_coalesce_ms; /* fan-out may wait this long to share a write while busy */
    long output_coalesce_cpu_pct; /* busy: the process used this share of a core (0: always) */
};

/* The option table for the top-level section. */
extern const struct cfg_opt server_options[];
extern const size_t server_options_count;

#endif
