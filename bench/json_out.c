/* SPDX-License-Identifier: MIT */
/* Streaming JSON writer: commas and escaping handled here so callers only name values. */
#include "json_out.h"

#include <inttypes.h>
#include <math.h>

void json_init(struct json_out *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->need_comma[0] = false;
    j->after_key = false;
}

/* Separates a value from the one before it, unless it follows its key. */
static void start_value(struct json_out *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    j->need_comma[j->depth] = true;
}

static void open_container(struct json_out *j, char c)
{
    start_value(j);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_container(struct json_out *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    fputc(c, j->f);
}

void json_begin_object(struct json_out *j) { open_container(j, '{'); }
void json_end_object(struct json_out *j) { close_container(j, '}'); }
void json_begin_array(struct json_out *j) { open_container(j, '['); }
void json_end_array(struct json_out *j) { close_container(j, ']'); }

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f); /* UTF-8 passes through as is */
    }
    fputc('"', f);
}

void json_key(struct json_out *j, const char *key)
{
    start_value(j);
    write_escaped(j->f, key);
    fputc(':', j->f);
    j->after_key = true;
}

void json_string(struct json_out *j, const char *s)
{
    start_value(j);
    if (s)
        write_escaped(j->f, s);
    else
        fputs("null", j->f);
}

void json_number(struct json_out *j, double v)
{
    start_value(j);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void json_uint(struct json_out *j, uint64_t v)
{
    start_value(j);
    fprintf(j->f, "%" PRIu64, v);
}

void json_bool(struct json_out *j, bool v)
{
    start_value(j);
    fputs(v ? "true" : "false", j->f);
}

void json_kv_string(struct json_out *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_kv_number(struct json_out *j, const char *key, double v)
{
    json_key(j, key);
    json_number(j, v);
}

void json_kv_uint(struct json_out *j, const char *key, uint64_t v)
{
    json_key(j, key);
    json_uint(j, v);
}
