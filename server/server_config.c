/* SPDX-License-Identifier: MIT */
/* The server's configuration: the file's sections (the core's keys, each module's), the
 * domains prepared once, and what is derived from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "module.h"
#include "server.h"

/* The top-level keys, then one [section] per module that declares options. */
static size_t config_sections(struct server *srv, struct cfg_section *sections)
{
    size_t n = 0;
    sections[n++] = (struct cfg_section){ "", server_options, server_options_count, &srv->cfg };
    for (size_t i = 0; i < modules_count; i++) {
        if (!modules[i]->n_options)
            continue;
        if (!srv->mod_opts[i])
            srv->mod_opts[i] = xcalloc(1, modules[i]->options_size);
        sections[n++] = (struct cfg_section){ modules[i]->name, modules[i]->options,
                                              modules[i]->n_options, srv->mod_opts[i] };
    }
    return n;
}

/* A domain as it is compared with prepared JIDs everywhere; false when it is not one. */
static bool prepare_one(char **domain)
{
    struct jid *j = jid_parse(*domain);
    bool ok = j && !j->local && !j->resource;
    if (ok) {
        free(*domain);
        *domain = xstrdup(j->domain);
    }
    jid_free(j);
    return ok;
}

/* A service's domain: prefix.<domain> when the key is empty, and never the server's own. */
static bool prepare_service(const struct server_config *cfg, char **domain, const char *prefix)
{
    if (!(*domain)[0]) {
        free(*domain);
        struct buf b;
        buf_init(&b);
        buf_printf(&b, "%s.%s", prefix, cfg->domain);
        *domain = b.data;
    }
    return prepare_one(domain) && strcmp(*domain, cfg->domain) != 0;
}

/* The domains are compared with prepared JIDs everywhere: prepare them once, here. Group chat
 * and publish-subscribe live on domains of their own, conference.<domain> and pubsub.<domain>
 * unless muc_domain and pubsub_domain say otherwise. */
static int prepare_domains(struct server_config *cfg, const char *path, struct buf *err)
{
    if (!prepare_one(&cfg->domain)) {
        buf_printf(err, "%s: domain: '%s' is not a valid domain", path, cfg->domain);
        return PL_EINVAL;
    }
    if (!prepare_service(cfg, &cfg->muc_domain, "conference")) {
        buf_printf(err, "%s: muc_domain: '%s' is not a valid domain of its own", path,
                   cfg->muc_domain);
        return PL_EINVAL;
    }
    if (!prepare_service(cfg, &cfg->pubsub_domain, "pubsub") ||
        strcmp(cfg->pubsub_domain, cfg->muc_domain) == 0) {
        buf_printf(err, "%s: pubsub_domain: '%s' is not a valid domain of its own", path,
                   cfg->pubsub_domain);
        return PL_EINVAL;
    }
    return PL_OK;
}

/* module_web_base: where clients reach the web front, for the URLs modules hand out. */
static void fill_web_base(struct server *srv)
{
    const struct server_config *cfg = &srv->cfg;
    if (cfg->web_url[0])
        snprintf(srv->web_base, sizeof(srv->web_base), "%s", cfg->web_url);
    else if (cfg->https_port)
        snprintf(srv->web_base, sizeof(srv->web_base), "https://%s:%ld", cfg->domain,
                 cfg->https_port);
    else if (cfg->http_port)
        snprintf(srv->web_base, sizeof(srv->web_base), "http://%s:%ld", cfg->domain,
                 cfg->http_port);
}

int server_load_config(struct server *srv, const char *path, struct buf *err)
{
    memset(srv, 0, sizeof(*srv));
    srv->spare_fd = -1;
    struct cfg_section sections[1 + MODULE_SLOTS];
    int rc = config_load(path, sections, config_sections(srv, sections), err);
    if (rc == PL_OK)
        rc = prepare_domains(&srv->cfg, path, err);
    if (rc == PL_OK)
        fill_web_base(srv);
    return rc;
}

void server_config_free(struct server *srv)
{
    struct cfg_section sections[1 + MODULE_SLOTS];
    config_free(sections, config_sections(srv, sections));
    for (size_t i = 0; i < modules_count; i++)
        free(srv->mod_opts[i]);
}

char *server_db_path(const struct server_config *cfg)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/parley.db", cfg->data_dir);
    return b.data;
}

