/*
 * json_util.h - JSON helpers for the schema suites: reach a value by a schema error-style
 * path ("a.b[0].c"), check that a normalized document still holds everything its input
 * held, and load the test-vector directories.
 */
#ifndef TESTS_SHARED_JSON_UTIL_H
#define TESTS_SHARED_JSON_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The value at path ("" = root) inside root, borrowed; NULL when absent. */
const json_t *tj_at(const json_t *root, const char *path);

/*
 * Whether every value of in is still in out: every key of every object (recursively),
 * arrays of the same size element by element, numbers numerically equal (4.0 == 4),
 * other values json_equal. On false, where receives the path of the first difference.
 */
bool tj_covers(const json_t *in, const json_t *out, char *where, size_t size);

/* Parses JSON text; aborts the test on a syntax error. New reference. */
json_t *tj_parse(const char *text);

/*
 * The sorted names of the *.json files in dir: a NULL-terminated array the caller frees
 * with tj_free_names. NULL when dir cannot be opened.
 */
char **tj_list_json(const char *dir);
void tj_free_names(char **names);

#endif
