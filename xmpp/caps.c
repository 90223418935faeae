/* SPDX-License-Identifier: MIT */
/* XEP-0115 §5.1: identities sorted by category, type and xml:lang, then features, then each
 * extended form (sorted by FORM_TYPE) with its fields sorted by var and their values sorted,
 * every item followed by '<'; SHA-1 of that, in base64. */
#include "caps.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "ns.h"
#include "xdata.h"

struct identity {
    const char *category, *type, *lang, *name;
};

static const char *or_empty(const char *s) { return s ? s : ""; }

static const char *xml_lang(const struct xel *el)
{
    for (const struct xattr *a = el->attrs; a; a = a->next)
        if (a->ns && strcmp(a->ns, NS_XML) == 0 && strcmp(a->name, "lang") == 0)
            return a->value;
    return "";
}

static int cmp_identity(const void *pa, const void *pb)
{
    const struct identity *a = pa, *b = pb;
    int c = strcmp(a->category, b->category);
    if (!c)
        c = strcmp(a->type, b->type);
    if (!c)
        c = strcmp(a->lang, b->lang);
    return c ? c : strcmp(a->name, b->name);
}

static int cmp_str(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The children of parent named name in ns, counted; filled into v when v is given. */
static size_t children(const struct xel *parent, const char *name, const char *ns,
                       const struct xel **v)
{
    size_t n = 0;
    for (const struct xel *c = parent->first; c; c = c->next)
        if (c->name && strcmp(c->name, name) == 0 && c->ns && strcmp(c->ns, ns) == 0) {
            if (v)
                v[n] = c;
            n++;
        }
    return n;
}

/* Sorts n strings and appends each with '<'; false when unique and two are equal. */
static bool append_sorted(const char **v, size_t n, bool unique, struct buf *s)
{
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (unique && i && strcmp(v[i - 1], v[i]) == 0)
            return false;
        buf_puts(s, v[i]);
        buf_puts(s, "<");
    }
    return true;
}

static bool append_identities(const struct xel *q, struct buf *s)
{
    size_t n = children(q, "identity", NS_DISCO_INFO, NULL);
    const struct xel **els = calloc(n + 1, sizeof(*els));
    struct identity *ids = calloc(n + 1, sizeof(*ids));
    bool ok = els && ids;
    if (ok)
        children(q, "identity", NS_DISCO_INFO, els);
    for (size_t i = 0; ok && i < n; i++)
        ids[i] = (struct identity){ or_empty(xel_attr(els[i], "category")),
                                    or_empty(xel_attr(els[i], "type")), xml_lang(els[i]),
                                    or_empty(xel_attr(els[i], "name")) };
    if (ok)
        qsort(ids, n, sizeof(*ids), cmp_identity);
    for (size_t i = 0; ok && i < n; i++) {
        ok = !i || cmp_identity(&ids[i - 1], &ids[i]) != 0;
        buf_printf(s, "%s/%s/%s/%s<", ids[i].category, ids[i].type, ids[i].lang, ids[i].name);
    }
    free(els);
    free(ids);
    return ok;
}

/* The values of the children named name in ns of parent (their attribute attr, or their
 * text when attr is NULL), sorted and appended; false on a repeat when unique. */
static bool append_values(const struct xel *parent, const char *name, const char *ns,
                          const char *attr, bool unique, struct buf *s)
{
    size_t n = children(parent, name, ns, NULL);
    const struct xel **els = calloc(n + 1, sizeof(*els));
    const char **v = calloc(n + 1, sizeof(*v));
    bool ok = els && v;
    if (ok)
        children(parent, name, ns, els);
    for (size_t i = 0; ok && i < n; i++)
        v[i] = attr ? or_empty(xel_attr(els[i], attr)) : xel_text(els[i]);
    ok = ok && append_sorted(v, n, unique, s);
    free(els);
    free(v);
    return ok;
}

/* A form with its FORM_TYPE, and a field with its var. */
struct keyed {
    const char *key;
    const struct xel *el;
};

static int cmp_keyed(const void *pa, const void *pb)
{
    return strcmp(((const struct keyed *)pa)->key, ((const struct keyed *)pb)->key);
}

static bool is_form_type(const struct xel *field)
{
    const char *var = xel_attr(field, "var");
    return var && strcmp(var, "FORM_TYPE") == 0;
}

/* The form's FORM_TYPE: NULL when it has none, or its field is not hidden (the form is then
 * left out, §5.4); *bad when the field has two different values. */
static const char *form_type(const struct xel *form, bool *bad)
{
    for (const struct xel *f = form->first; f; f = f->next) {
        if (!f->name || strcmp(f->name, "field") != 0 || !is_form_type(f))
            continue;
        const char *type = xel_attr(f, "type"), *value = NULL;
        for (const struct xel *v = f->first; v; v = v->next)
            if (v->name && strcmp(v->name, "value") == 0) {
                *bad = *bad || (value && strcmp(value, xel_text(v)) != 0);
                value = xel_text(v);
            }
        return type && strcmp(type, "hidden") == 0 ? value : NULL;
    }
    return NULL;
}

/* One form: its fields but FORM_TYPE, sorted by var, each with its sorted values. */
static bool append_form(const struct keyed *form, struct buf *s)
{
    size_t n = children(form->el, "field", NS_XDATA, NULL), m = 0;
    const struct xel **els = calloc(n + 1, sizeof(*els));
    struct keyed *fields = calloc(n + 1, sizeof(*fields));
    bool ok = els && fields;
    if (ok)
        children(form->el, "field", NS_XDATA, els);
    for (size_t i = 0; ok && i < n; i++)
        if (!is_form_type(els[i]))
            fields[m++] = (struct keyed){ or_empty(xel_attr(els[i], "var")), els[i] };
    if (ok) {
        buf_printf(s, "%s<", form->key);
        qsort(fields, m, sizeof(*fields), cmp_keyed);
    }
    for (size_t i = 0; ok && i < m; i++) {
        buf_printf(s, "%s<", fields[i].key);
        ok = append_values(fields[i].el, "value", NS_XDATA, NULL, false, s);
    }
    free(els);
    free(fields);
    return ok;
}

static bool append_forms(const struct xel *q, struct buf *s)
{
    size_t n = children(q, "x", NS_XDATA, NULL), m = 0;
    const struct xel **els = calloc(n + 1, sizeof(*els));
    struct keyed *forms = calloc(n + 1, sizeof(*forms));
    bool ok = els && forms, bad = false;
    if (ok)
        children(q, "x", NS_XDATA, els);
    for (size_t i = 0; ok && i < n; i++) {
        const char *type = form_type(els[i], &bad);
        if (type)
            forms[m++] = (struct keyed){ type, els[i] };
    }
    ok = ok && !bad;
    if (ok)
        qsort(forms, m, sizeof(*forms), cmp_keyed);
    for (size_t i = 0; ok && i < m; i++)
        ok = (!i || strcmp(forms[i - 1].key, forms[i].key) != 0) && append_form(&forms[i], s);
    free(els);
    free(forms);
    return ok;
}

bool caps_ver(const struct xel *query, char out[CAPS_VER_LEN + 1])
{
    struct buf s;
    buf_init(&s);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    bool ok = append_identities(query, &s) &&
              append_values(query, "feature", NS_DISCO_INFO, "var", true, &s) &&
              append_forms(query, &s) &&
              EVP_Digest(s.data ? s.data : "", s.len, md, &md_len, EVP_sha1(), NULL) == 1 &&
              md_len == 20;
    if (ok)
        EVP_EncodeBlock((unsigned char *)out, md, (int)md_len); /* 28 characters and a NUL */
    buf_fini(&s);
    return ok;
}
