/* SPDX-License-Identifier: MIT */
/* Reads `key = value` config files into the structs described by option tables. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"

/* Longest accepted line, newline excluded; keeps one line in a stack buffer. */
#define CFG_LINE_MAX 4096

enum line_status { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_IO };

struct parser {
    const char *path; /* as the caller spelled it: messages must name what the admin typed */
    char *dir;        /* canonical folder of path, where relative CFG_PATH values point */
    unsigned line;    /* 0 while applying defaults */
    const struct cfg_section *sections;
    size_t n;
    const struct cfg_section *cur; /* section the next key belongs to; NULL = none */
    unsigned *seen;                /* per option, flat over sections: line it was set on */
    struct buf *err;
};

/* Appends "FILE:LINE: " (or the default's origin) and the message; returns PL_EINVAL. */
__attribute__((format(printf, 2, 3))) static int report(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    if (p->line > 0)
        buf_printf(p->err, "%s:%u: ", p->path, p->line);
    else if (p->cur && p->cur->name[0])
        buf_printf(p->err, "%s: bad default in [%s]: ", p->path, p->cur->name);
    else
        buf_printf(p->err, "%s: bad default: ", p->path);
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return PL_EINVAL;
    char *msg = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_append(p->err, msg, (size_t)n);
    free(msg);
    return PL_EINVAL;
}

static int report_io(struct parser *p)
{
    buf_printf(p->err, "%s: %s", p->path, strerror(errno));
    return PL_EIO;
}

static void *slot_of(const struct cfg_section *s, const struct cfg_opt *o)
{
    return (char *)s->base + o->offset;
}

static bool is_string(const struct cfg_opt *o)
{
    return o->type == CFG_STRING || o->type == CFG_PATH;
}

/* Replaces an owned string, so a default or earlier value never leaks. */
static void replace_string(void *slot, char *s)
{
    char **sp = slot;
    free(*sp);
    *sp = s;
}

/* Checks the text as written: the bound is about what the admin may type. */
static int check_length(struct parser *p, const struct cfg_opt *o, const char *text)
{
    size_t len = strlen(text);
    if ((long)len < o->min)
        return report(p, "%s: '%s' is too short (minimum length %ld)", o->name, text, o->min);
    if ((long)len > o->max)
        return report(p, "%s: value is too long (maximum length %ld)", o->name, o->max);
    return PL_OK;
}

static int set_string(struct parser *p, const struct cfg_opt *o, void *slot, const char *text)
{
    int rc = check_length(p, o, text);
    if (rc == PL_OK)
        replace_string(slot, xstrdup(text));
    return rc;
}

/* Length of dir without its last component; the root stays "/". */
static size_t parent_len(const char *dir, size_t len)
{
    while (len > 1 && dir[len - 1] != '/')
        len--;
    return len > 1 ? len - 1 : 1;
}

/*
 * Leading "./" and "../" are folded into dir: it came from realpath(), so it has no symlinks
 * and dropping a component is exact. Later ones are left for the kernel to resolve.
 */
static char *resolve_path(const char *dir, const char *rel)
{
    size_t dlen = strlen(dir);
    for (;;) {
        if (rel[0] == '/') {
            rel++;
        } else if (rel[0] == '.' && (rel[1] == '/' || rel[1] == '\0')) {
            rel++;
        } else if (rel[0] == '.' && rel[1] == '.' && (rel[2] == '/' || rel[2] == '\0')) {
            rel += 2;
            dlen = parent_len(dir, dlen);
        } else {
            break;
        }
    }
    struct buf b;
    buf_init(&b);
    buf_append(&b, dir, dlen);
    if (rel[0] != '\0')
        buf_printf(&b, "%s%s", dlen > 1 ? "/" : "", rel);
    return b.data;
}

static int set_path(struct parser *p, const struct cfg_opt *o, void *slot, const char *text)
{
    int rc = check_length(p, o, text);
    if (rc != PL_OK)
        return rc;
    bool relative = text[0] != '/' && text[0] != '\0';
    replace_string(slot, relative ? resolve_path(p->dir, text) : xstrdup(text));
    return PL_OK;
}

static int set_int(struct parser *p, const struct cfg_opt *o, void *slot, const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
        return report(p, "%s: '%s' is not a number", o->name, text);
    if (errno == ERANGE || v < o->min || v > o->max)
        return report(p, "%s: %s is out of range %ld..%ld", o->name, text, o->min, o->max);
    *(long *)slot = v;
    return PL_OK;
}

static const struct {
    const char *word;
    bool value;
} bool_words[] = {
    { "true", true }, { "false", false }, { "yes", true },
    { "no", false },  { "on", true },     { "off", false },
    { "1", true },    { "0", false },
};

static int set_bool(struct parser *p, const struct cfg_opt *o, void *slot, const char *text)
{
    for (size_t i = 0; i < ARRAY_LEN(bool_words); i++) {
        if (strcasecmp(text, bool_words[i].word) == 0) {
            *(bool *)slot = bool_words[i].value;
            return PL_OK;
        }
    }
    return report(p, "%s: '%s' is not a boolean (true/false, yes/no, on/off, 1/0)", o->name,
                  text);
}

static int set_enum(struct parser *p, const struct cfg_opt *o, void *slot, const char *text)
{
    if (!o->choices)
        return report(p, "%s: enum option has no choices", o->name);
    for (int i = 0; o->choices[i]; i++) {
        if (strcasecmp(text, o->choices[i]) == 0) {
            *(int *)slot = i;
            return PL_OK;
        }
    }
    struct buf list;
    buf_init(&list);
    for (int i = 0; o->choices[i]; i++)
        buf_printf(&list, "%s%s", i ? ", " : "", o->choices[i]);
    report(p, "%s: '%s' is not one of %s", o->name, text, list.data ? list.data : "");
    buf_fini(&list);
    return PL_EINVAL;
}

/* One converter per enum cfg_type: adding a type means adding a row, not a branch. */
static int (*const setters[])(struct parser *, const struct cfg_opt *, void *, const char *) = {
    [CFG_STRING] = set_string, [CFG_PATH] = set_path, [CFG_INT] = set_int,
    [CFG_BOOL] = set_bool,     [CFG_ENUM] = set_enum,
};

static int set_value(struct parser *p, const struct cfg_opt *o, const char *text)
{
    if ((size_t)o->type >= ARRAY_LEN(setters) || !setters[o->type])
        return report(p, "%s: unknown option type %d", o->name, (int)o->type);
    return setters[o->type](p, o, slot_of(p->cur, o), text);
}

/*
 * Callers need not zero their structs: string slots are owned from the start, so config_free
 * is safe whatever fails next. The flip side: free a loaded config before loading it again.
 */
static void clear_strings(const struct cfg_section *sections, size_t n, bool release)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sections[i].n_opts; j++) {
            const struct cfg_opt *o = &sections[i].opts[j];
            if (!is_string(o))
                continue;
            char **sp = slot_of(&sections[i], o);
            if (release)
                free(*sp);
            *sp = NULL;
        }
    }
}

static int apply_defaults(struct parser *p)
{
    for (size_t i = 0; i < p->n; i++) {
        p->cur = &p->sections[i];
        for (size_t j = 0; j < p->cur->n_opts; j++) {
            const struct cfg_opt *o = &p->cur->opts[j];
            int rc = o->def ? set_value(p, o, o->def) : PL_OK;
            if (rc != PL_OK)
                return rc;
        }
    }
    return PL_OK;
}

static const struct cfg_section *find_section(const struct parser *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->sections[i].name, name) == 0)
            return &p->sections[i];
    return NULL;
}

static const struct cfg_opt *find_opt(const struct cfg_section *s, const char *name)
{
    for (size_t i = 0; i < s->n_opts; i++)
        if (strcmp(s->opts[i].name, name) == 0)
            return &s->opts[i];
    return NULL;
}

/* Where the line an option was set on is kept: options are numbered across sections. */
static unsigned *seen_slot(struct parser *p, const struct cfg_opt *o)
{
    size_t idx = (size_t)(o - p->cur->opts);
    for (const struct cfg_section *s = p->sections; s < p->cur; s++)
        idx += s->n_opts;
    return &p->seen[idx];
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    return s;
}

/* Quotes keep '#' and surrounding spaces; there are no escapes, so a value cannot hold '"'. */
static int unquote(struct parser *p, const struct cfg_opt *o, char *v, char **out)
{
    char *close = strchr(v + 1, '"');
    if (!close)
        return report(p, "%s: missing closing quote", o->name);
    char *rest = trim(close + 1);
    if (rest[0] != '\0' && rest[0] != '#')
        return report(p, "%s: unexpected text after closing quote", o->name);
    *close = '\0';
    *out = v + 1;
    return PL_OK;
}

/* A '#' starts a comment only at the value's start or after a blank, so "a#b" stays whole. */
static int extract_value(struct parser *p, const struct cfg_opt *o, char *v, char **out)
{
    if (v[0] == '"')
        return unquote(p, o, v, out);
    for (char *c = v; *c; c++) {
        if (*c == '#' && (c == v || isspace((unsigned char)c[-1]))) {
            *c = '\0';
            break;
        }
    }
    *out = trim(v);
    return PL_OK;
}

static int parse_section(struct parser *p, char *line)
{
    char *close = strchr(line, ']');
    if (!close)
        return report(p, "missing ']' in section header");
    char *rest = trim(close + 1);
    if (rest[0] != '\0' && rest[0] != '#')
        return report(p, "unexpected text after ']'");
    *close = '\0';
    char *name = trim(line + 1);
    if (name[0] == '\0')
        return report(p, "empty section name");
    const struct cfg_section *s = find_section(p, name);
    if (!s)
        return report(p, "unknown section '%s'", name);
    p->cur = s;
    return PL_OK;
}

static int report_unknown_key(struct parser *p, const char *key)
{
    if (p->cur && p->cur->name[0])
        return report(p, "unknown key '%s' in [%s]", key, p->cur->name);
    return report(p, "unknown key '%s'", key);
}

static int parse_assignment(struct parser *p, char *line)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return report(p, "missing '=' in '%s'", line);
    *eq = '\0';
    char *key = trim(line);
    if (key[0] == '\0')
        return report(p, "empty key");
    const struct cfg_opt *o = p->cur ? find_opt(p->cur, key) : NULL;
    if (!o)
        return report_unknown_key(p, key);
    unsigned *seen = seen_slot(p, o);
    if (*seen)
        return report(p, "duplicate key '%s' (first set on line %u)", key, *seen);
    char *value = NULL;
    int rc = extract_value(p, o, trim(eq + 1), &value);
    if (rc == PL_OK)
        rc = set_value(p, o, value);
    if (rc == PL_OK)
        *seen = p->line;
    return rc;
}

static int parse_line(struct parser *p, char *line)
{
    line = trim(line);
    if (line[0] == '\0' || line[0] == '#')
        return PL_OK;
    if (line[0] == '[')
        return parse_section(p, line);
    return parse_assignment(p, line);
}

/* Reads one line into buf (CFG_LINE_MAX + 1 bytes); the rest of a too long line is skipped. */
static enum line_status read_line(FILE *f, char *buf, size_t *len)
{
    int c;
    *len = 0;
    bool too_long = false;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (*len < CFG_LINE_MAX)
            buf[(*len)++] = (char)c;
        else
            too_long = true;
    }
    buf[*len] = '\0';
    if (ferror(f))
        return LINE_IO;
    if (c == EOF && *len == 0 && !too_long)
        return LINE_EOF;
    return too_long ? LINE_TOO_LONG : LINE_OK;
}

static int parse_file(struct parser *p, FILE *f)
{
    char line[CFG_LINE_MAX + 1];
    size_t len;
    enum line_status st;
    while ((st = read_line(f, line, &len)) != LINE_EOF) {
        p->line++;
        if (st == LINE_IO)
            return report_io(p);
        if (st == LINE_TOO_LONG)
            return report(p, "line is longer than %d bytes", CFG_LINE_MAX);
        if (strlen(line) != len)
            return report(p, "line contains a NUL byte");
        int rc = parse_line(p, line);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

/* realpath() of the folder, not the file: paths follow the name given, even via a symlink. */
static char *resolve_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *folder = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                         : xstrdup(".");
    char *dir = realpath(folder, NULL);
    free(folder);
    return dir;
}

static size_t count_opts(const struct cfg_section *sections, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sections[i].n_opts;
    return total;
}

int config_load(const char *path, const struct cfg_section *sections, size_t n, struct buf *err)
{
    struct parser p = { .path = path, .sections = sections, .n = n, .err = err };
    FILE *f = NULL;
    int rc;

    clear_strings(sections, n, false);
    p.dir = resolve_dir(path);
    if (!p.dir) {
        rc = report_io(&p);
        goto fail;
    }
    rc = apply_defaults(&p);
    if (rc != PL_OK)
        goto fail;
    f = fopen(path, "r");
    if (!f) {
        rc = report_io(&p);
        goto fail;
    }
    p.cur = find_section(&p, "");
    p.seen = xcalloc(count_opts(sections, n), sizeof(*p.seen));
    rc = parse_file(&p, f);
fail:
    if (f)
        fclose(f);
    free(p.seen);
    free(p.dir);
    return rc;
}

void config_free(const struct cfg_section *sections, size_t n)
{
    clear_strings(sections, n, true);
}
