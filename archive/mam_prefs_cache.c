/* SPDX-License-Identifier: MIT */
/* Archive preferences of the accounts with sessions, kept in memory: every message asks them
 * twice (sender's and recipient's archive), which must not cost a query each. */
#include <stdint.h>
#include <stdlib.h>

#include "base.h"
#include "hmap.h"
#include "mam.h"

/* One account's preferences; rules maps a JID to RULE_ALWAYS or RULE_NEVER. */
struct mam_prefs {
    char *owner;
    enum archive_mode mode;
    struct hmap rules;
    char **jids; /* the keys of rules, owned */
    size_t n_jids;
    unsigned sessions;
};

#define RULE_NEVER ((void *)(uintptr_t)1)
#define RULE_ALWAYS ((void *)(uintptr_t)2)

static void add_rule(void *ctx, const char *jid, bool always)
{
    struct mam_prefs *p = ctx;
    p->jids = xrealloc(p->jids, (p->n_jids + 1) * sizeof(*p->jids));
    p->jids[p->n_jids] = xstrdup(jid);
    hmap_put(&p->rules, p->jids[p->n_jids++], always ? RULE_ALWAYS : RULE_NEVER);
}

static void prefs_free(struct mam_prefs *p)
{
    for (size_t i = 0; i < p->n_jids; i++)
        free(p->jids[i]);
    free(p->jids);
    hmap_fini(&p->rules);
    free(p->owner);
    free(p);
}

/* Reads owner's preferences from the store; NULL when it fails (the store logged why). */
static struct mam_prefs *prefs_load(struct mam *m, const char *owner)
{
    struct mam_prefs *p = xcalloc(1, sizeof(*p));
    p->owner = xstrdup(owner);
    p->mode = (enum archive_mode)m->opts.default_mode;
    hmap_init(&p->rules);
    if (archive_prefs_get(module_storage(m->srv), owner, &p->mode, add_rule, p) != PL_OK) {
        prefs_free(p);
        return NULL;
    }
    return p;
}

void mam_prefs_open(struct mam *m, const char *owner)
{
    struct mam_prefs *p = hmap_get(&m->prefs, owner);
    if (!p && (p = prefs_load(m, owner)) != NULL)
        hmap_put(&m->prefs, p->owner, p);
    if (p)
        p->sessions++;
}

void mam_prefs_close(struct mam *m, const char *owner)
{
    struct mam_prefs *p = hmap_get(&m->prefs, owner);
    if (p && --p->sessions == 0) {
        hmap_del(&m->prefs, owner);
        prefs_free(p);
    }
}

void mam_prefs_reload(struct mam *m, const char *owner)
{
    struct mam_prefs *old = hmap_get(&m->prefs, owner);
    if (!old)
        return;
    struct mam_prefs *p = prefs_load(m, owner);
    hmap_del(&m->prefs, owner);
    if (p) {
        p->sessions = old->sessions;
        hmap_put(&m->prefs, p->owner, p);
    }
    prefs_free(old);
}

bool mam_prefs_cached(struct mam *m, const char *owner, const char *peer,
                      enum archive_mode *mode, int *rule)
{
    const struct mam_prefs *p = hmap_get(&m->prefs, owner);
    if (!p)
        return false;
    void *r = p->n_jids ? hmap_get(&p->rules, peer) : NULL;
    *mode = p->mode;
    *rule = r == RULE_ALWAYS ? 1 : r == RULE_NEVER ? 0 : -1;
    return true;
}

static void free_one(void *ctx, const char *key, void *value)
{
    (void)ctx, (void)key;
    prefs_free(value);
}

void mam_prefs_free_all(struct mam *m)
{
    hmap_each(&m->prefs, free_one, NULL);
    hmap_fini(&m->prefs);
}
