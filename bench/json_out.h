/* SPDX-License-Identifier: MIT */
/* A tiny streaming JSON writer: objects, arrays, escaped strings and numbers to a FILE. */
#ifndef PB_JSON_OUT_H
#define PB_JSON_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

/* Caller's storage; json_init, then calls in document order. Does not own f. */
struct json_out {
    FILE *f;
    unsigned depth;
    bool need_comma[JSON_MAX_DEPTH];
    bool after_key;
};

void json_init(struct json_out *j, FILE *f);
void json_begin_object(struct json_out *j);
void json_end_object(struct json_out *j);
void json_begin_array(struct json_out *j);
void json_end_array(struct json_out *j);
/* Writes an object key; the next value belongs to it. */
void json_key(struct json_out *j, const char *key);
void json_string(struct json_out *j, const char *s);
/* Non-finite numbers are written as null (JSON has no NaN). */
void json_number(struct json_out *j, double v);
void json_uint(struct json_out *j, uint64_t v);
void json_bool(struct json_out *j, bool v);
/* A key and its value in one call. */
void json_kv_string(struct json_out *j, const char *key, const char *s);
void json_kv_number(struct json_out *j, const char *key, double v);
void json_kv_uint(struct json_out *j, const char *key, uint64_t v);

#endif
