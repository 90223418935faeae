/* SPDX-License-Identifier: MIT */
/* The upload module (XEP-0363 HTTP File Upload): its options, its service domain (listed in
 * the server's disco#items), its paths on the web front, and what goes with an account. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "upload.h"

extern const struct module upload_module;

/* The module API hands service_domain a const server and no state, and module_state takes
 * a mutable one although it changes nothing: the cast only bridges the two. */
static const char *service_domain(const struct server *srv)
{
    const struct upload *up = module_state((struct server *)srv, &upload_module);
    return up ? up->domain : NULL;
}

/* [upload] domain prepared, upload.<domain> when empty; NULL when it is not a domain of its
 * own (the server's or another service's). */
static char *prepare_domain(const struct server *srv, const char *domain)
{
    struct buf b;
    buf_init(&b);
    if (domain[0])
        buf_puts(&b, domain);
    else
        buf_printf(&b, "upload.%s", module_domain(srv));
    struct jid *j = jid_parse(b.data);
    buf_fini(&b);
    char *out = j && !j->local && !j->resource ? xstrdup(j->domain) : NULL;
    jid_free(j);
    if (out && (strcmp(out, module_domain(srv)) == 0 || strcmp(out, module_muc_domain(srv)) == 0 ||
                strcmp(out, module_pubsub_domain(srv)) == 0)) {
        free(out);
        out = NULL;
    }
    return out;
}

static void upload_fini(void *state)
{
    struct upload *up = state;
    if (!up)
        return;
    upload_sweep_fini(up);
    upload_quota_fini(up);
    free(up->opts.domain);
    free(up->domain);
    free(up->dir);
    free(up);
}

static int upload_init(struct server *srv, const void *opts, void **state)
{
    struct upload *up = xcalloc(1, sizeof(*up));
    up->srv = srv;
    up->opts = *(const struct upload_opts *)opts;
    up->opts.domain = xstrdup(up->opts.domain);
    hmap_init(&up->slots);
    hmap_init(&up->owners);
    *state = up;
    struct buf dir;
    buf_init(&dir);
    buf_printf(&dir, "%s/upload", module_data_dir(srv));
    up->dir = dir.data;
    char *domain = prepare_domain(srv, up->opts.domain);
    if (!domain) {
        module_log(LOG_ERROR, "upload", "domain: '%s' is not a valid domain of its own",
                   up->opts.domain);
        return PL_EINVAL;
    }
    if (upload_store_open(up->dir) != PL_OK || upload_sweep_start(up) != PL_OK) {
        module_log(LOG_ERROR, "upload", "cannot use %s", up->dir);
        free(domain);
        return PL_EIO;
    }
    if (module_web_base(srv))
        up->domain = domain; /* the service is listed only where its URLs lead somewhere */
    else
        free(domain);
    module_log(LOG_INFO, "upload", "service %s", up->domain ? up->domain : "off: no web port");
    return PL_OK;
}

static void account_deleted(void *state, const char *bare)
{
    struct upload *up = state;
    upload_owner_forget(up, bare);
    upload_sweep_purge(up, bare);
}

static const struct web_route upload_web_routes[] = {
    { .prefix = UPLOAD_PREFIX, .methods = "GET PUT", .max_put_bytes = upload_web_max_put,
      .serve = upload_web_serve },
};

#define OPT(field) offsetof(struct upload_opts, field)
static const struct cfg_opt upload_options[] = {
    { "domain", CFG_STRING, OPT(domain), "", 0, 1023, NULL },
    { "max_file_bytes", CFG_INT, OPT(max_file_bytes), "10485760", 1, 104857600, NULL },
    { "quota_bytes", CFG_INT, OPT(quota_bytes), "104857600", 4096, 1099511627776L, NULL },
    { "slot_timeout", CFG_INT, OPT(slot_timeout), "300", 1, 86400, NULL },
    { "max_open_slots", CFG_INT, OPT(max_open_slots), "10", 1, 1000, NULL },
    { "expiry_days", CFG_INT, OPT(expiry_days), "30", 0, 36500, NULL },
};

const struct module upload_module = {
    .name = "upload",
    .options = upload_options,
    .n_options = ARRAY_LEN(upload_options),
    .options_size = sizeof(struct upload_opts),
    .init = upload_init,
    .fini = upload_fini,
    .account_deleted = account_deleted,
    .service_domain = service_domain,
    .service_route = upload_service_route,
    .web_routes = upload_web_routes,
    .n_web_routes = ARRAY_LEN(upload_web_routes),
};
