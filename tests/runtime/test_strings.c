/*
 * test_strings.c - ff_concat, ff_concat_alloc and ff_strlcpy (util.c): the joins that
 * replace snprintf("%s...") on request paths, URLs and header lines.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ff.h"

Test(strings, concat_joins_up_to_the_null)
{
    char out[32];
    cr_expect_eq(ff_concat(out, sizeof(out), "projects/", "p1", "/jobs/", "j1", NULL), 19);
    cr_expect_str_eq(out, "projects/p1/jobs/j1");
    cr_expect_eq(ff_concat(out, sizeof(out), NULL), 0, "no strings: empty");
    cr_expect_str_eq(out, "");
    cr_expect_eq(ff_concat(out, sizeof(out), "", "a", "", NULL), 1);
    cr_expect_str_eq(out, "a");
}

Test(strings, concat_refuses_what_does_not_fit)
{
    char out[8];
    cr_expect_eq(ff_concat(out, sizeof(out), "1234", "567", NULL), 7, "7 bytes and the NUL fit in 8");
    cr_expect_str_eq(out, "1234567");
    cr_expect_eq(ff_concat(out, sizeof(out), "1234", "5678", NULL), -1, "8 bytes do not");
    cr_expect_str_eq(out, "", "nothing half-written");
    char none[1] = {'x'};
    cr_expect_eq(ff_concat(none, 0, "a", NULL), -1);
    cr_expect_eq(none[0], 'x', "size 0: untouched");
}

Test(strings, concat_alloc_sizes_its_result)
{
    char *s = ff_concat_alloc("http://h:1", "/", "v1", ":commit", NULL);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "http://h:1/v1:commit");
    free(s);
    s = ff_concat_alloc("", NULL);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "");
    free(s);
    char big[5000];
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = ff_concat_alloc(big, big, NULL);
    cr_assert_not_null(s);
    cr_expect_eq(strlen(s), 2 * (sizeof(big) - 1));
    free(s);
}

Test(strings, strlcpy_cuts_to_fit_and_takes_null_as_empty)
{
    char out[6] = "zzzzz";
    ff_strlcpy(out, sizeof(out), "2026-12-01T00:00:00Z");
    cr_expect_str_eq(out, "2026-");
    ff_strlcpy(out, sizeof(out), NULL);
    cr_expect_str_eq(out, "");
    ff_strlcpy(out, sizeof(out), "ab");
    cr_expect_str_eq(out, "ab");
    ff_strlcpy(NULL, 4, "ab"); /* no destination: nothing happens */
    ff_strlcpy(out, 0, "cd");
    cr_expect_str_eq(out, "ab", "size 0: untouched");
}
