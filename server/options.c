/* SPDX-License-Identifier: MIT */
/* Top-level configuration keys: name, type, default and bounds (documented in conf/parley.conf). */
#include "options.h"

#include <stddef.h>

#include "base.h"

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const resource_actions[] = { "refuse", "replace_oldest", NULL };

#define OPT(field) offsetof(struct server_config, field)
#define KIB 1024L
#define MIB (1024L * 1024L)

const struct cfg_opt server_options[] = {
    { "domain", CFG_STRING, OPT(domain), "localhost", 1, 1023, NULL },
    { "muc_domain", CFG_STRING, OPT(muc_domain), "", 0, 1023, NULL },
    { "pubsub_domain", CFG_STRING, OPT(pubsub_domain), "", 0, 1023, NULL },
    { "bind_address", CFG_STRING, OPT(bind_address), "127.0.0.1", 1, 255, NULL },
    { "c2s_port", CFG_INT, OPT(c2s_port), "5222", 0, 65535, NULL },
    { "c2s_tls_port", CFG_INT, OPT(c2s_tls_port), "5223", 0, 65535, NULL },
    { "http_address", CFG_STRING, OPT(http_address), "127.0.0.1", 1, 255, NULL },
    { "http_port", CFG_INT, OPT(http_port), "5280", 0, 65535, NULL },
    { "https_port", CFG_INT, OPT(https_port), "5443", 0, 65535, NULL },
    { "web_origins", CFG_STRING, OPT(web_origins), "", 0, 4096, NULL },
    { "websocket_redirect", CFG_STRING, OPT(websocket_redirect), "", 0, 1023, NULL },
    { "http_max_body_bytes", CFG_INT, OPT(http_max_body_bytes), "1048576", 1 * KIB, 1024 * MIB,
      NULL },
    { "http_idle_timeout", CFG_INT, OPT(http_idle_timeout), "60", 1, 3600, NULL },
    { "web_chat_dir", CFG_PATH, OPT(web_chat_dir), "../build/web/chat", 0, 4096, NULL },
    { "web_url", CFG_STRING, OPT(web_url), "", 0, 255, NULL },
    { "http_loopback_login", CFG_BOOL, OPT(http_loopback_login), "true", 0, 1, NULL },
    { "bosh_max_wait", CFG_INT, OPT(bosh_max_wait), "60", 1, 3600, NULL },
    { "bosh_max_hold", CFG_INT, OPT(bosh_max_hold), "1", 1, 10, NULL },
    { "bosh_inactivity", CFG_INT, OPT(bosh_inactivity), "60", 10, 3600, NULL },
    { "bosh_max_pause", CFG_INT, OPT(bosh_max_pause), "120", 0, 3600, NULL },
    { "bosh_polling", CFG_INT, OPT(bosh_polling), "2", 0, 60, NULL },
    { "data_dir", CFG_PATH, OPT(data_dir), "../data", 1, 4096, NULL },
    { "tls_cert", CFG_PATH, OPT(tls_cert), "../data/cert.pem", 1, 4096, NULL },
    { "tls_key", CFG_PATH, OPT(tls_key), "../data/key.pem", 1, 4096, NULL },
    { "log_file", CFG_PATH, OPT(log_file), "", 0, 4096, NULL },
    { "log_level", CFG_ENUM, OPT(log_level), "info", 0, 0, log_levels },
    { "allow_registration", CFG_BOOL, OPT(allow_registration), "false", 0, 1, NULL },
    { "allow_plaintext_loopback", CFG_BOOL, OPT(allow_plaintext_loopback), "false", 0, 1, NULL },
    { "max_stanza_bytes", CFG_INT, OPT(max_stanza_bytes), "262144", 1 * KIB, 64 * MIB, NULL },
    { "max_depth", CFG_INT, OPT(max_depth), "32", 4, 1024, NULL },
    { "max_attrs", CFG_INT, OPT(max_attrs), "64", 4, 4096, NULL },
    { "max_bytes_before_auth", CFG_INT, OPT(max_bytes_before_auth), "65536", 4 * KIB, 64 * MIB,
      NULL },
    { "auth_timeout", CFG_INT, OPT(auth_timeout), "30", 1, 3600, NULL },
    { "max_stanzas_per_second", CFG_INT, OPT(max_stanzas_per_second), "1000", 1, 1000000,
      NULL },
    { "max_output_bytes", CFG_INT, OPT(max_output_bytes), "4194304", 64 * KIB, 1024 * MIB,
      NULL },
    { "max_connections", CFG_INT, OPT(max_connections), "15000", 1, 1000000, NULL },
    { "max_connections_per_source", CFG_INT, OPT(max_connections_per_source), "1000", 1,
      1000000, NULL },
    { "max_unauthenticated_per_source", CFG_INT, OPT(max_unauthenticated_per_source), "64", 1,
      1000000, NULL },
    { "max_resources_per_account", CFG_INT, OPT(max_resources_per_account), "10", 1, 10000,
      NULL },
    { "resource_limit_action", CFG_ENUM, OPT(resource_limit_action), "refuse", 0, 0,
      resource_actions },
    { "max_auth_failures", CFG_INT, OPT(max_auth_failures), "3", 1, 100, NULL },
    { "auth_failures_per_minute", CFG_INT, OPT(auth_failures_per_minute), "10", 1, 100000,
      NULL },
    { "auth_source_failures_per_minute", CFG_INT, OPT(auth_source_failures_per_minute), "30",
      1, 100000, NULL },
    { "scram_iterations", CFG_INT, OPT(scram_iterations), "4096", 4096, 1000000, NULL },
    { "commit_interval_ms", CFG_INT, OPT(commit_interval_ms), "10", 0, 1000, NULL },
    { "commit_interval_max_ms", CFG_INT, OPT(commit_interval_max_ms), "100", 0, 1000, NULL },
    { "commit_lazy_ms", CFG_INT, OPT(commit_lazy_ms), "500", 0, 10000, NULL },
    { "sm_resume_timeout", CFG_INT, OPT(sm_resume_timeout), "300", 0, 86400, NULL },
    { "sm_max_unacked", CFG_INT, OPT(sm_max_unacked), "1000", 10, 1000000, NULL },
    { "output_coalesce_ms", CFG_INT, OPT(output_coalesce_ms), "20", 0, 100, NULL },
    { "output_coalesce_cpu_pct", CFG_INT, OPT(output_coalesce_cpu_pct), "50", 0, 100, NULL },
};

const size_t server_options_count = ARRAY_LEN(server_options);
