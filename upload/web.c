/* SPDX-License-Identifier: MIT */
/* The upload URLs on the web front: PUT stores a file into its slot, GET and HEAD serve a
 * stored one with headers that keep a browser from running it. A file is read whole into the
 * answer (the web front takes whole answers only), so none past max_file_bytes is served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "upload.h"

#define CSP "default-src 'none'; sandbox"
#define FOREVER_S 31536000LL /* Cache-Control's max-age for files kept forever: a year */

static void refuse(struct web_answer *an, int status, const char *message)
{
    an->status = status;
    an->message = message;
}

/* Is the encoded name of the URL the file's name? Clients may encode it their own way. */
static bool name_matches(const char *encoded, const char *name)
{
    struct buf b;
    buf_init(&b);
    bool same = upload_percent_decode(encoded, strlen(encoded), &b) && b.len == strlen(name) &&
                memcmp(b.data, name, b.len) == 0;
    buf_fini(&b);
    return same;
}

/* The type to store (owned): the slot's, else the PUT's own when it is one, else bytes. */
static char *stored_type(const struct upload_slot *s, const char *sent)
{
    if (s->type)
        return xstrdup(s->type);
    return xstrdup(sent && upload_type_ok(sent) ? sent : UPLOAD_DEFAULT_TYPE);
}

/* 0 when the PUT may fill its slot s (NULL: none open), else the status to answer. */
static int check_put(struct upload *up, const struct web_request *rq, const char *token,
                     const char *name, const struct upload_slot *s, const char **why)
{
    if (!s || !name_matches(name, s->name)) {
        bool used = !s && upload_store_exists(up->dir, token);
        *why = used ? "this slot was used already" : "no such upload slot (or it expired)";
        return used ? 409 : 404;
    }
    *why = "the body's length is not the size the slot was asked for";
    if ((long long)rq->body_len != s->size)
        return 400;
    const char *sent = rq->header(rq, "Content-Type");
    *why = "the Content-Type is not the one the slot was asked for";
    if (s->type && (!sent || !upload_type_matches(s->type, sent)))
        return 400;
    return 0;
}

static void put(struct upload *up, const struct web_request *rq, const char *token,
                const char *name, struct web_answer *an)
{
    struct upload_slot *s = upload_slot_find(up, token);
    an->status = check_put(up, rq, token, name, s, &an->message);
    if (an->status)
        return;
    struct upload_meta m = { .owner = s->owner->bare, .name = s->name,
                             .type = stored_type(s, rq->header(rq, "Content-Type")),
                             .size = s->size, .time_us = module_wall_us() };
    if (upload_store_put(up->dir, token, &m, rq->body, rq->body_len) != PL_OK) {
        module_log(LOG_ERROR, "upload", "%.8s... of %s: cannot store it in %s", token, m.owner,
                   up->dir);
        refuse(an, 500, "the file could not be stored");
    } else {
        module_log(LOG_INFO, "upload", "%.8s... of %s stored: %lld bytes from %s", token,
                   m.owner, m.size, rq->peer);
        upload_owner_account(up, m.owner, m.size, true);
        upload_slot_close(up, s);
        an->status = 201;
    }
    free(m.type);
}

static long long max_age(const struct upload *up, const struct upload_meta *m)
{
    if (up->opts.expiry_days <= 0)
        return FOREVER_S;
    long long left = m->time_us / 1000000 + up->opts.expiry_days * 86400LL -
                     module_wall_us() / 1000000;
    return left > 0 ? left : 0;
}

/* The type as stored, in a header line of the answer's own: the metadata does not outlive
 * this call. Active types are offered as attachments. */
static void file_headers(const struct upload *up, const struct upload_meta *m,
                         struct web_answer *an)
{
    snprintf(an->headers, sizeof(an->headers),
             "Content-Type: %s\r\nContent-Security-Policy: " CSP "\r\n"
             "Content-Disposition: %s\r\nCache-Control: public, max-age=%lld, immutable\r\n",
             m->type, upload_type_inline(m->type) ? "inline" : "attachment", max_age(up, m));
}

static void get(struct upload *up, const char *token, const char *name, struct web_answer *an)
{
    struct upload_meta m;
    int rc = upload_store_meta(up->dir, token, &m);
    if (rc != PL_OK) {
        if (rc != PL_ENOTFOUND)
            module_log(LOG_WARN, "upload", "%.8s...: bad metadata: %s", token, pl_strerror(rc));
        refuse(an, rc == PL_ENOTFOUND ? 404 : 500,
               rc == PL_ENOTFOUND ? "no such file" : "the file cannot be read");
        return;
    }
    if (!name_matches(name, m.name) || upload_expired(up, m.time_us) ||
        upload_purged(up, m.owner, m.time_us)) {
        refuse(an, 404, "no such file");
    } else if (m.size > up->opts.max_file_bytes) { /* stored before the limit was lowered */
        refuse(an, 503, "the file is larger than max_file_bytes allows to serve");
    } else if ((rc = upload_store_data(up->dir, token, m.size, &an->fd)) != PL_OK) {
        module_log(LOG_WARN, "upload", "%.8s...: cannot read it: %s", token, pl_strerror(rc));
        refuse(an, 500, "the file cannot be read");
    } else {
        an->fd_len = (size_t)m.size; /* the front sends it as the client reads */
        file_headers(up, &m, an);
        an->status = 200;
    }
    upload_meta_fini(&m);
}

size_t upload_web_max_put(void *state)
{
    const struct upload *up = state;
    return (size_t)up->opts.max_file_bytes;
}

void upload_web_serve(void *state, const struct web_request *rq, struct web_answer *an)
{
    struct upload *up = state;
    char token[UPLOAD_TOKEN_LEN + 1];
    const char *name;
    upload_sweep_maybe(up);
    if (!up->domain || !upload_path_split(rq->path, token, &name))
        refuse(an, 404, "no such file");
    else if (strcmp(rq->method, "PUT") == 0)
        put(up, rq, token, name, an);
    else
        get(up, token, name, an);
}
