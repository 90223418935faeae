/* SPDX-License-Identifier: MIT */
/* Privacy lists in memory: loaded from storage per account on first use, replaced as a whole. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "privacy.h"
#include "storage.h"

static void items_free(struct priv_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)items[i].value);
        jid_free((struct jid *)items[i].jid);
    }
    free(items);
}

static void list_free(struct priv_list *l)
{
    if (!l)
        return;
    items_free(l->items, l->n);
    free(l->name);
    free(l);
}

void priv_account_free(struct priv_account *acct)
{
    if (!acct)
        return;
    while (acct->lists) {
        struct priv_list *l = acct->lists;
        acct->lists = l->next;
        list_free(l);
    }
    free(acct->default_name);
    free(acct->bare);
    free(acct);
}

struct priv_list *priv_list_find(const struct priv_account *acct, const char *name)
{
    for (struct priv_list *l = acct->lists; name && l; l = l->next)
        if (strcmp(l->name, name) == 0)
            return l;
    return NULL;
}

/* Copies one item; the JID of a jid item is parsed once here. */
static void item_copy(struct priv_item *dst, const struct priv_item *src)
{
    *dst = *src;
    dst->value = src->value ? xstrdup(src->value) : NULL;
    dst->jid = src->type == PRIV_T_JID && src->value ? jid_parse(src->value) : NULL;
    if (src->type == PRIV_T_SUB && !priv_sub_parse(src->value, &dst->sub))
        dst->sub = PRIV_SUB_NONE;
}

static int by_order(const void *a, const void *b)
{
    const struct priv_item *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

static struct priv_item *items_dup(const struct priv_item *items, size_t n)
{
    struct priv_item *out = xcalloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        item_copy(&out[i], &items[i]);
    qsort(out, n, sizeof(*out), by_order);
    return out;
}

/* Puts a copy of items in memory as list name (existing list: its items are swapped, so
 * sessions that use it see the new definition at once, XEP-0016 §2.2 rule 8). */
static void list_put(struct priv_account *acct, const char *name, const struct priv_item *items,
                     size_t n)
{
    struct priv_list *l = priv_list_find(acct, name);
    if (!l) {
        l = xcalloc(1, sizeof(*l));
        l->name = xstrdup(name);
        l->next = acct->lists;
        acct->lists = l;
        acct->n_lists++;
    }
    /* Copy first: items may borrow strings from the list being replaced. */
    struct priv_item *fresh = items_dup(items, n);
    items_free(l->items, l->n);
    l->items = fresh;
    l->n = n;
}

static void list_drop(struct priv_account *acct, const char *name)
{
    for (struct priv_list **pp = &acct->lists; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            struct priv_list *l = *pp;
            *pp = l->next;
            acct->n_lists--;
            list_free(l);
            return;
        }
    }
}

/* ---- loading ----------------------------------------------------------------------------- */

struct load_ctx {
    struct priv_account *acct;
    struct priv_item *items; /* the list being read */
    size_t n, cap;
    char *name;
};

static void load_finish_list(struct load_ctx *c)
{
    if (c->name && c->acct->n_lists < PRIV_MAX_LISTS)
        list_put(c->acct, c->name, c->items, c->n);
    for (size_t i = 0; i < c->n; i++)
        free((char *)c->items[i].value);
    free(c->name);
    c->name = NULL;
    c->n = 0;
}

static void load_row(void *ctx, const struct privacy_row *row)
{
    struct load_ctx *c = ctx;
    if (!c->name || strcmp(c->name, row->list) != 0) {
        load_finish_list(c);
        c->name = xstrdup(row->list);
    }
    if (c->n == PRIV_MAX_ITEMS)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->items = xrealloc(c->items, c->cap * sizeof(*c->items));
    }
    c->items[c->n++] = (struct priv_item){
        .order = row->order, .type = (enum priv_type)row->type, .allow = row->allow,
        .kinds = row->kinds, .value = row->value ? xstrdup(row->value) : NULL,
    };
}

static struct priv_account *account_load(struct privacy *p, const char *bare)
{
    struct priv_account *acct = xcalloc(1, sizeof(*acct));
    acct->bare = xstrdup(bare);
    struct load_ctx c = { .acct = acct };
    int rc = privacy_load(module_storage(p->srv), bare, &acct->default_name, load_row, &c);
    load_finish_list(&c);
    free(c.items);
    if (rc != PL_OK) {
        module_log(LOG_ERROR, "privacy", "cannot load the privacy lists of %s", bare);
        priv_account_free(acct);
        return NULL;
    }
    return acct;
}

struct priv_account *priv_account_get(struct privacy *p, const char *bare)
{
    struct priv_account *acct = hmap_get(&p->accounts, bare);
    if (acct)
        return acct;
    acct = account_load(p, bare);
    if (acct)
        hmap_put(&p->accounts, acct->bare, acct);
    return acct;
}

void priv_account_done(struct privacy *p, struct priv_account *acct)
{
    if (!acct || acct->sessions)
        return;
    hmap_del(&p->accounts, acct->bare);
    priv_account_free(acct);
}

/* ---- writes ------------------------------------------------------------------------------ */

/* Edits are rare and their result promises the change is stored: commit before answering
 * (with whatever else this loop turn has batched so far), and keep memory as it was when
 * the commit fails. */
static int commit(struct privacy *p)
{
    int rc = storage_flush(module_storage(p->srv));
    if (rc != PL_OK)
        module_log(LOG_ERROR, "privacy", "cannot store a privacy list change: %s", pl_strerror(rc));
    return rc;
}

static void row_from_item(struct privacy_row *row, const char *name, const struct priv_item *it)
{
    *row = (struct privacy_row){ .list = name, .order = it->order, .type = it->type,
                                 .value = it->value, .allow = it->allow, .kinds = it->kinds };
}

int priv_list_store(struct privacy *p, struct priv_account *acct, const char *name,
                    const struct priv_item *items, size_t n)
{
    if (n > PRIV_MAX_ITEMS || (n && !priv_list_find(acct, name) && acct->n_lists >= PRIV_MAX_LISTS))
        return PL_ELIMIT;
    struct privacy_row *rows = xcalloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        row_from_item(&rows[i], name, &items[i]);
    int rc = privacy_list_set(module_storage(p->srv), acct->bare, name, rows, n);
    free(rows);
    if (rc != PL_OK || commit(p) != PL_OK)
        return PL_EIO;
    if (n)
        list_put(acct, name, items, n);
    else
        list_drop(acct, name);
    return PL_OK;
}

int priv_default_store(struct privacy *p, struct priv_account *acct, const char *name)
{
    if (privacy_default_set(module_storage(p->srv), acct->bare, name) != PL_OK ||
        commit(p) != PL_OK)
        return PL_EIO;
    free(acct->default_name);
    acct->default_name = name ? xstrdup(name) : NULL;
    return PL_OK;
}

struct priv_session *priv_session_get(struct privacy *p, const struct session *sess)
{
    return sess ? module_session_slot_get(sess, p->slot) : NULL;
}
