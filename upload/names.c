/* SPDX-License-Identifier: MIT */
/* File names, sizes, content types and tokens as slot requests and URLs carry them, and which
 * types a browser may show inline: pure functions, tested byte by byte. */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "upload.h"

bool upload_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > UPLOAD_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '/')
            return false;
        /* U+0080..U+009F, the C1 controls, are C2 80..C2 9F in UTF-8 */
        if (c == 0xc2 && i + 1 < n && (unsigned char)name[i + 1] >= 0x80 &&
            (unsigned char)name[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

void upload_percent_encode(const char *s, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t run = 0; /* unreserved bytes go out in one append */
        while (p[run] && unreserved(p[run]))
            run++;
        buf_append(out, p, run);
        p += run;
        if (!*p)
            break;
        char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
        buf_append(out, esc, sizeof(esc));
        p++;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool upload_percent_decode(const char *s, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n;) {
        const char *pct = memchr(s + i, '%', n - i);
        size_t run = pct ? (size_t)(pct - (s + i)) : n - i;
        if (memchr(s + i, '\0', run))
            return false;
        buf_append(out, s + i, run);
        i += run;
        if (i == n)
            break;
        int hi = i + 2 < n ? hex_value(s[i + 1]) : -1, lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0))
            return false;
        char c = (char)(hi << 4 | lo);
        buf_append(out, &c, 1);
        i += 3;
    }
    return true;
}

bool upload_size_parse(const char *s, long long max, long long *out)
{
    long long v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        int d = *s - '0';
        if (d < 0 || d > 9 || v > (LLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* RFC 7230's tchar: the characters of a type, a subtype or a parameter's name. */
static bool token_char(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool upload_type_ok(const char *type)
{
    size_t n = strlen(type);
    size_t major = 0, minor = 0;
    while (token_char((unsigned char)type[major]))
        major++;
    if (major == 0 || type[major] != '/')
        return false;
    while (token_char((unsigned char)type[major + 1 + minor]))
        minor++;
    const char *rest = type + major + 1 + minor;
    rest += strspn(rest, " ");
    if (minor == 0 || n > UPLOAD_TYPE_MAX || (*rest && *rest != ';'))
        return false;
    for (; *rest; rest++) /* parameters: printable ASCII */
        if ((unsigned char)*rest < 0x20 || (unsigned char)*rest > 0x7e)
            return false;
    return true;
}

/* The media type's length: up to parameters or trailing blanks. */
static size_t media_len(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    return n;
}

bool upload_type_matches(const char *declared, const char *sent)
{
    declared += strspn(declared, " \t");
    sent += strspn(sent, " \t");
    size_t n = media_len(declared);
    return n == media_len(sent) && strncasecmp(declared, sent, n) == 0;
}

static bool starts_with_ci(const char *s, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && strncasecmp(s, prefix, p) == 0;
}

/* Does the n bytes of s hold needle, whatever the case? */
static bool holds_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0)
            return true;
    return false;
}

bool upload_type_inline(const char *type)
{
    size_t n = media_len(type);
    if (n == strlen("text/plain") && starts_with_ci(type, n, "text/plain"))
        return true;
    bool media = starts_with_ci(type, n, "image/") || starts_with_ci(type, n, "audio/") ||
                 starts_with_ci(type, n, "video/");
    /* image/svg+xml and its kin run scripts in a browser */
    return media && !holds_ci(type, n, "xml") && !holds_ci(type, n, "svg");
}

bool upload_token_ok(const char *s, size_t n)
{
    if (n != UPLOAD_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool upload_path_split(const char *path, char token[UPLOAD_TOKEN_LEN + 1], const char **name)
{
    size_t prefix = strlen(UPLOAD_PREFIX);
    if (strncmp(path, UPLOAD_PREFIX, prefix) != 0)
        return false;
    const char *t = path + prefix;
    const char *slash = strchr(t, '/');
    if (!slash || !upload_token_ok(t, (size_t)(slash - t)) || !slash[1] || strchr(slash + 1, '/'))
        return false;
    memcpy(token, t, UPLOAD_TOKEN_LEN);
    token[UPLOAD_TOKEN_LEN] = '\0';
    *name = slash + 1;
    return true;
}
