/* SPDX-License-Identifier: MIT */
/* Private to upload/: HTTP File Upload (XEP-0363), slots handed out over XMPP and files put
 * and served through the web front, kept under <data_dir>/upload/<token>/. */
#ifndef PL_UPLOAD_H
#define PL_UPLOAD_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "hmap.h"
#include "module.h"
#include "router.h"

#define NS_UPLOAD "urn:xmpp:http:upload:0"
/* The web front's paths the module answers: /upload/<token>/<name, percent-encoded>. */
#define UPLOAD_PREFIX "/upload/"
/* A slot's token: 128 random bits in lowercase hex. */
#define UPLOAD_TOKEN_BYTES 16
#define UPLOAD_TOKEN_LEN (2 * UPLOAD_TOKEN_BYTES)
/* Longest file name (bytes) and longest encoded name in a URL: the web front takes paths
 * shorter than 512 bytes, and /upload/<token>/ comes first. */
#define UPLOAD_NAME_MAX 255
#define UPLOAD_URL_NAME_MAX 400
/* Longest content type (a media type and its parameters). */
#define UPLOAD_TYPE_MAX 255
/* What a file counts against its owner's quota at least: a disk block, so that empty or
 * tiny files cannot pile up without bound. */
#define UPLOAD_MIN_CHARGE 4096LL
#define UPLOAD_DEFAULT_TYPE "application/octet-stream"

/* The [upload] options (documented in conf/parley.conf). */
struct upload_opts {
    char *domain;
    long max_file_bytes;
    long quota_bytes;
    long slot_timeout;
    long max_open_slots;
    long expiry_days;
};

/* ---- names.c: what a file may be called and how it travels in a URL (pure) ---- */

/* May a file be called name? Not empty, at most UPLOAD_NAME_MAX bytes, not "." or "..",
 * no '/' and no control character (C0, DEL, C1). */
bool upload_name_ok(const char *name);
/* Appends s with every byte but RFC 3986's unreserved characters percent-encoded. */
void upload_percent_encode(const char *s, struct buf *out);
/* Appends the n bytes of s with %XX decoded; false on a malformed escape or a NUL. */
bool upload_percent_decode(const char *s, size_t n, struct buf *out);
/* Is s a size in bytes: decimal digits only, no sign, no overflow past max? */
bool upload_size_parse(const char *s, long long max, long long *out);
/* Is type a media type as a header may carry it: type/subtype with optional parameters,
 * printable ASCII, at most UPLOAD_TYPE_MAX bytes? */
bool upload_type_ok(const char *type);
/* Do two content types name the same media type (parameters and case aside)? */
bool upload_type_matches(const char *declared, const char *sent);
/* Is a file of this type shown inline (images, audio, video, plain text) rather than
 * offered as an attachment (HTML, SVG, XML, scripts and anything unknown)? */
bool upload_type_inline(const char *type);
/* Splits path /upload/<token>/<name> into the token (UPLOAD_TOKEN_LEN lowercase hex digits,
 * NUL-ended into token) and the encoded name (borrowed from path); false when it is not
 * such a path. */
bool upload_path_split(const char *path, char token[UPLOAD_TOKEN_LEN + 1], const char **name);
/* Is s (n bytes) a token: UPLOAD_TOKEN_LEN lowercase hex digits? */
bool upload_token_ok(const char *s, size_t n);

/* ---- meta.c: a stored file's metadata, a small text file beside it (pure) ---- */

struct upload_meta {
    char *owner; /* the uploader's bare JID */
    char *name;  /* the file name from the slot request */
    char *type;  /* the content type served */
    long long size;
    long long time_us; /* when it was stored (wall clock) */
};

/* Appends m's text form to out. */
void upload_meta_format(const struct upload_meta *m, struct buf *out);
/* Parses n bytes of text into m (owned strings: upload_meta_fini). PL_OK, or PL_EINVAL when
 * a line is malformed, a value is missing or out of range. */
int upload_meta_parse(const char *text, size_t n, struct upload_meta *m);
void upload_meta_fini(struct upload_meta *m);

/* ---- store.c: the files on disk, under dir (<data_dir>/upload) ---- */

/* Creates dir when missing. PL_OK or PL_EIO. */
int upload_store_open(const char *dir);
/* Stores a file crash-safely: the metadata, then the data, each written to a temporary
 * file, synced and renamed; the data's rename is the commit. PL_OK once both are on disk,
 * PL_EIO (nothing left behind) otherwise. */
int upload_store_put(const char *dir, const char *token, const struct upload_meta *m,
                     const void *data, size_t n);
/* Reads token's metadata into m. PL_OK, PL_ENOTFOUND when the file is not (whole) there,
 * PL_EINVAL when its metadata is damaged, PL_EIO. */
int upload_store_meta(const char *dir, const char *token, struct upload_meta *m);
/* Opens token's data, which must be size bytes long, for reading (*fd is the caller's to
 * close). PL_OK, PL_ENOTFOUND or PL_EIO (also when the length differs). */
int upload_store_data(const char *dir, const char *token, long long size, int *fd);
/* Was a file stored under token (its data is there)? */
bool upload_store_exists(const char *dir, const char *token);
/* Removes token's folder and what it holds. PL_OK or PL_EIO. */
int upload_store_remove(const char *dir, const char *token);

/* ---- quota.c: accounts' use of the service and the open slots ---- */

struct upload_owner;

/* A slot handed out and not used yet. */
struct upload_slot {
    char token[UPLOAD_TOKEN_LEN + 1]; /* the slots map's key */
    struct upload_owner *owner;
    char *name;
    char *type; /* the content type the request named, NULL for none */
    long long size;
    long long expires; /* monotonic milliseconds */
    struct upload_slot *prev, *next; /* every open slot, oldest first */
};

/* An account's use: files stored and slots open, in bytes charged (UPLOAD_MIN_CHARGE). */
struct upload_owner {
    char *bare; /* the owners map's key */
    long long stored;
    long long reserved;
    unsigned n_slots;
};

/* A deleted account whose files are still being removed: those stored up to before_us. */
struct upload_purge {
    char *bare;
    long long before_us;
    struct upload_purge *next;
};

/* A pass over the stored files, a slice per loop turn. */
struct upload_sweep {
    DIR *dir;           /* the pass under way, NULL when none */
    long long started_us; /* when it started (wall clock) */
    long long last;     /* monotonic millisecond the last pass started */
};

struct upload {
    struct server *srv;
    struct upload_opts opts;
    char *domain; /* prepared; NULL while the web front is off */
    char *dir;    /* <data_dir>/upload */
    struct hmap slots;  /* token -> struct upload_slot */
    struct hmap owners; /* bare -> struct upload_owner */
    struct upload_slot *oldest, *newest;
    struct upload_purge *purges;
    struct upload_sweep sweep;
};

/* What a file of size bytes counts against the quota. */
long long upload_charge(long long size);
/* Milliseconds of a monotonic clock, for slot timeouts. */
long long upload_mono_ms(void);
/* bare's record (created when create and missing), or NULL. */
struct upload_owner *upload_owner_get(struct upload *up, const char *bare, bool create);
/* Frees o when nothing is charged to it any more. */
void upload_owner_release(struct upload *up, struct upload_owner *o);
/* A stored file of size bytes is charged to bare (charge) or given back (!charge). */
void upload_owner_account(struct upload *up, const char *bare, long long size, bool charge);
/* Opens a slot for o with a fresh token (borrowed; the module keeps it), or NULL when no
 * randomness could be drawn. */
struct upload_slot *upload_slot_open(struct upload *up, struct upload_owner *o,
                                     const char *name, const char *type, long long size);
/* The open slot of token, or NULL (expired ones are dropped first). */
struct upload_slot *upload_slot_find(struct upload *up, const char *token);
/* Drops a slot, used or not, giving its reservation back. */
void upload_slot_close(struct upload *up, struct upload_slot *s);
/* Drops the slots past their time. */
void upload_slots_prune(struct upload *up);
/* Forgets bare's slots and charges (its account was deleted). */
void upload_owner_forget(struct upload *up, const char *bare);
/* Frees every slot and owner record. */
void upload_quota_fini(struct upload *up);

/* ---- sweep.c: expiry, deleted accounts, leftovers of a crash ---- */

/* At start: reads every stored file's metadata, charges the owners, and removes what is
 * expired, left half-written by a crash, or owned by an account that no longer exists.
 * PL_OK, or PL_EIO when the folder cannot be read. */
int upload_sweep_start(struct upload *up);
/* Starts a pass when the last one is SWEEP_EVERY seconds old (called on requests: the
 * module API has no timer). */
void upload_sweep_maybe(struct upload *up);
/* bare's account was deleted: its files go, in a pass that starts now. */
void upload_sweep_purge(struct upload *up, const char *bare);
/* Are files of owner stored at time_us about to go with its deleted account? */
bool upload_purged(const struct upload *up, const char *owner, long long time_us);
/* Has a file stored at time_us outlived expiry_days? */
bool upload_expired(const struct upload *up, long long time_us);
void upload_sweep_fini(struct upload *up);

/* ---- slot.c and web.c: the two faces ---- */

/* The service's iq (slot requests, disco) at its domain. A route result. */
int upload_service_route(struct route_ctx *rc, struct stanza *st);
/* The web front's route (UPLOAD_PREFIX): PUT into a slot, GET and HEAD of a stored file. */
size_t upload_web_max_put(void *state);
void upload_web_serve(void *state, const struct web_request *rq, struct web_answer *an);

#endif
