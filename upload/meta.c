/* SPDX-License-Identifier: MIT */
/* A stored file's metadata as a small text file: a version line, then one "key value" line
 * each for owner, size, type, time (microseconds) and name. Values never hold a newline:
 * names and types with control characters are refused before anything is stored. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "upload.h"

#define META_VERSION "parley-upload 1"

void upload_meta_format(const struct upload_meta *m, struct buf *out)
{
    buf_printf(out, META_VERSION "\nowner %s\nsize %lld\ntype %s\ntime %lld\nname %s\n",
               m->owner, m->size, m->type, m->time_us, m->name);
}

void upload_meta_fini(struct upload_meta *m)
{
    free(m->owner);
    free(m->name);
    free(m->type);
    m->owner = m->name = m->type = NULL;
}

/* A string value, at most once; false when it repeats or is empty. */
static bool take_string(char **slot, const char *value, size_t n)
{
    if (*slot || n == 0)
        return false;
    *slot = xstrndup(value, n);
    return true;
}

static bool take_number(long long *slot, bool *seen, const char *value, size_t n)
{
    char digits[24];
    if (*seen || n >= sizeof(digits))
        return false;
    memcpy(digits, value, n);
    digits[n] = '\0';
    *seen = true;
    return upload_size_parse(digits, LLONG_MAX, slot);
}

struct meta_seen {
    bool size, time;
};

/* One "key value" line; unknown keys are skipped, for metadata a later version adds. */
static bool take_line(struct upload_meta *m, struct meta_seen *seen, const char *line, size_t n)
{
    const char *sp = memchr(line, ' ', n);
    if (!sp)
        return false;
    size_t klen = (size_t)(sp - line), vlen = n - klen - 1;
    const char *v = sp + 1;
    if (klen == 5 && memcmp(line, "owner", 5) == 0)
        return take_string(&m->owner, v, vlen);
    if (klen == 4 && memcmp(line, "name", 4) == 0)
        return take_string(&m->name, v, vlen);
    if (klen == 4 && memcmp(line, "type", 4) == 0)
        return take_string(&m->type, v, vlen);
    if (klen == 4 && memcmp(line, "size", 4) == 0)
        return take_number(&m->size, &seen->size, v, vlen);
    if (klen == 4 && memcmp(line, "time", 4) == 0)
        return take_number(&m->time_us, &seen->time, v, vlen);
    return true;
}

static bool complete(const struct upload_meta *m, const struct meta_seen *seen)
{
    return m->owner && m->name && m->type && seen->size && seen->time &&
           upload_name_ok(m->name) && upload_type_ok(m->type);
}

int upload_meta_parse(const char *text, size_t n, struct upload_meta *m)
{
    memset(m, 0, sizeof(*m));
    struct meta_seen seen = { false, false };
    size_t head = strlen(META_VERSION);
    bool ok = n > head && memcmp(text, META_VERSION "\n", head + 1) == 0 &&
              !memchr(text, '\0', n) && text[n - 1] == '\n';
    for (size_t at = head + 1; ok && at < n;) {
        const char *nl = memchr(text + at, '\n', n - at);
        ok = take_line(m, &seen, text + at, (size_t)(nl - (text + at)));
        at = (size_t)(nl - text) + 1;
    }
    if (ok && complete(m, &seen))
        return PL_OK;
    upload_meta_fini(m);
    return PL_EINVAL;
}
