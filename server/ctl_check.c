/* SPDX-License-Identifier: MIT */
/* parleyctl check: reports stored account names that change or collide once prepared. */
#include "ctl_check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "jid.h"
#include "prep.h"

/* One stored account and what preparation makes of its name. */
struct name_row {
    char *stored;   /* as kept in the store, owned */
    char *prepared; /* prepared bare JID, owned; NULL when preparation refuses the name */
    int why;        /* enum prep_status of the refusal; PREP_OK when it is not a bare JID */
    bool collides;  /* another account prepares to the same name */
};

struct name_list {
    struct name_row *rows;
    size_t n, cap;
};

static void collect_name(void *ctx, const char *bare)
{
    struct name_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->rows = xrealloc(l->rows, l->cap * sizeof(*l->rows));
    }
    l->rows[l->n++] = (struct name_row){ .stored = xstrdup(bare) };
}

/* The refusal of the part that fails, to say why a name is refused. */
static int refusal_of(const char *bare)
{
    char out[PREP_MAX + 1];
    size_t len;
    const char *at = strrchr(bare, '@');
    const char *domain = at ? at + 1 : bare;
    int st = at ? prep_localpart(bare, (size_t)(at - bare), PREP_QUERY, out, &len) : PREP_OK;
    return st != PREP_OK ? st : prep_domain(domain, strlen(domain), PREP_QUERY, out, &len);
}

static void prepare_row(struct name_row *r)
{
    struct jid *j = jid_parse(r->stored);
    if (j && j->local && !j->resource)
        r->prepared = xstrdup(j->bare);
    else
        r->why = refusal_of(r->stored);
    jid_free(j);
}

/* Refused names first, then by prepared name, so that collisions sit side by side. */
static int compare_rows(const void *pa, const void *pb)
{
    const struct name_row *a = pa, *b = pb;
    if (!a->prepared || !b->prepared)
        return a->prepared ? 1 : b->prepared ? -1 : strcmp(a->stored, b->stored);
    int c = strcmp(a->prepared, b->prepared);
    return c ? c : strcmp(a->stored, b->stored);
}

/* Look-alikes differ in what cannot be seen: the name is written with them escaped. */
static void print_escaped(FILE *out, const char *s)
{
    struct buf b;
    buf_init(&b);
    prep_escape(s, &b);
    fprintf(out, "'%s'", b.len ? b.data : "");
    buf_fini(&b);
}

/* Marks the rows of each group of two or more that prepare to one name. */
static void mark_collisions(struct name_list *l)
{
    for (size_t i = 1; i < l->n; i++) {
        struct name_row *a = &l->rows[i - 1], *b = &l->rows[i];
        if (a->prepared && b->prepared && strcmp(a->prepared, b->prepared) == 0)
            a->collides = b->collides = true;
    }
}

/* One line per account needing attention; returns whether r needed it. */
static bool report_row(FILE *out, const struct name_row *r)
{
    if (!r->prepared) {
        fputs("refused   ", out);
        print_escaped(out, r->stored);
        fprintf(out, ": %s\n", r->why ? prep_strerror(r->why) : "not a valid bare JID");
        return true;
    }
    if (!r->collides && strcmp(r->stored, r->prepared) == 0)
        return false;
    fputs(r->collides ? "collides  " : "changes   ", out);
    print_escaped(out, r->stored);
    fputs(" -> ", out);
    print_escaped(out, r->prepared);
    fputc('\n', out);
    return true;
}

int ctl_check_accounts(struct storage *store, FILE *out)
{
    struct name_list l = { NULL, 0, 0 };
    int found = account_list(store, collect_name, &l);
    for (size_t i = 0; found == PL_OK && i < l.n; i++)
        prepare_row(&l.rows[i]);
    if (found == PL_OK && l.n > 1)
        qsort(l.rows, l.n, sizeof(*l.rows), compare_rows);
    if (found == PL_OK)
        mark_collisions(&l);
    for (size_t i = 0; found >= 0 && i < l.n; i++)
        found += report_row(out, &l.rows[i]);
    if (found >= 0)
        fprintf(out, "%d of %zu accounts need attention; nothing was changed\n", found, l.n);
    for (size_t i = 0; i < l.n; i++)
        free(l.rows[i].stored), free(l.rows[i].prepared);
    free(l.rows);
    return found;
}
