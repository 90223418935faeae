/* SPDX-License-Identifier: MIT */
/* The bounds of a roster set (roster/limits.c), case by case against the default options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "roster_int.h"

#define NA ROUTE_ERROR(COND_NOT_ACCEPTABLE)
#define BR ROUTE_ERROR(COND_BAD_REQUEST)
#define RC ROUTE_ERROR(COND_RESOURCE_CONSTRAINT)
#define OK ROUTE_DONE
#define MIB 1048576u

/* The defaults of conf/parley.conf's [roster] section. */
static const struct roster_opts defaults = { .max_bytes = MIB, .max_items = 10000,
                                             .max_groups = 32, .max_group_bytes = 256,
                                             .max_name_bytes = 1023 };

static char long_text[2048];

static const char *text_of(size_t n)
{
    memset(long_text, 'g', sizeof(long_text));
    long_text[n] = '\0';
    return long_text;
}

struct item_row {
    const char *what;
    size_t name_len; /* SIZE_MAX: no name */
    size_t n_groups;
    size_t group_len; /* every group this long, told apart by its first byte */
    bool duplicate;   /* the last group repeats the first */
    int want;
};

static const struct item_row item_rows[] = {
    { "no name, no group", SIZE_MAX, 0, 0, false, OK },
    { "name at the bound", 1023, 0, 0, false, OK },
    { "name past the bound", 1024, 0, 0, false, NA },
    { "groups at the bound", SIZE_MAX, 32, 256, false, OK },
    { "one group too many", SIZE_MAX, 33, 8, false, NA },
    { "group name past the bound", SIZE_MAX, 1, 257, false, NA },
    { "empty group", SIZE_MAX, 1, 0, false, NA },
    { "duplicate group", SIZE_MAX, 2, 8, true, BR },
};

static void test_items(void **state)
{
    (void)state;
    static char groups_text[40][300];
    for (size_t r = 0; r < sizeof(item_rows) / sizeof(item_rows[0]); r++) {
        const struct item_row *row = &item_rows[r];
        const char *groups[40];
        for (size_t i = 0; i < row->n_groups; i++) {
            memset(groups_text[i], 'a' + (int)(i % 26), row->group_len);
            groups_text[i][0] = (char)('0' + i / 26);
            groups_text[i][row->group_len] = '\0';
            groups[i] = groups_text[i];
        }
        if (row->group_len == 0 && row->n_groups)
            groups[0] = "";
        if (row->duplicate)
            groups[row->n_groups - 1] = groups[0];
        const char *name = row->name_len == SIZE_MAX ? NULL : text_of(row->name_len);
        int got = roster_limits_item(&defaults, name, groups, row->n_groups);
        if (got != row->want)
            fail_msg("%s: got %d, want %d", row->what, got, row->want);
    }
}

struct size_row {
    const char *what;
    size_t n_items, bytes, old_bytes, new_bytes;
    bool is_new;
    int want;
};

static const struct size_row size_rows[] = {
    { "a first item", 0, 0, 0, 100, true, OK },
    { "filling to the byte", 10, MIB - 100, 0, 100, true, OK },
    { "one byte past", 10, MIB - 100, 0, 101, true, RC },
    { "the item count bound", 10000, 1000, 0, 10, true, RC },
    { "an update within the count bound", 10000, 1000, 50, 60, false, OK },
    { "growing an item past the bytes", 10, MIB, 50, 51, false, RC },
    { "growing an item up to the bytes", 10, MIB - 1, 50, 51, false, OK },
    { "past the bound, shrinking", 500, 130 * MIB, 66000, 100, false, OK },
    { "past the bound, unchanged", 500, 130 * MIB, 66000, 66000, false, OK },
    { "past the bound, growing", 500, 130 * MIB, 100, 101, false, RC },
    { "past the bound, a new item", 500, 130 * MIB, 0, 50, true, RC },
};

static void test_sizes(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof(size_rows) / sizeof(size_rows[0]); r++) {
        const struct size_row *row = &size_rows[r];
        int got = roster_limits_size(&defaults, row->n_items, row->bytes, row->old_bytes,
                                     row->new_bytes, row->is_new);
        if (got != row->want)
            fail_msg("%s: got %d, want %d", row->what, got, row->want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
