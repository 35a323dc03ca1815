/*
 * json_util.c - JSON helpers for the schema suites (see json_util.h).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

const json_t *tj_at(const json_t *root, const char *path)
{
    const json_t *cur = root;
    const char *p = path;
    while (cur != NULL && *p != '\0') {
        if (*p == '.')
            p++;
        if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            cur = *end == ']' ? json_array_get(cur, i) : NULL;
            p = *end == ']' ? end + 1 : end;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        cur = json_object_get(cur, key);
        p += n;
    }
    return cur;
}

static bool covers_at(const json_t *in, const json_t *out, char *where, size_t size, size_t len)
{
    if (json_is_object(in) && json_is_object(out)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)in, key, v)
        {
            int n = snprintf(where + len, size - len, "%s%s", len ? "." : "", key);
            size_t sub = n > 0 && len + (size_t)n < size ? len + (size_t)n : len;
            if (!covers_at(v, json_object_get(out, key), where, size, sub))
                return false;
        }
    } else if (json_is_array(in) && json_is_array(out) && json_array_size(in) == json_array_size(out)) {
        for (size_t i = 0; i < json_array_size(in); i++) {
            int n = snprintf(where + len, size - len, "[%zu]", i);
            size_t sub = n > 0 && len + (size_t)n < size ? len + (size_t)n : len;
            if (!covers_at(json_array_get(in, i), json_array_get(out, i), where, size, sub))
                return false;
        }
    } else if (json_is_number(in) && json_is_number(out)) {
        return json_number_value(in) == json_number_value(out);
    } else if (!json_equal((json_t *)in, (json_t *)out)) {
        return false;
    }
    where[len] = '\0';
    return true;
}

bool tj_covers(const json_t *in, const json_t *out, char *where, size_t size)
{
    where[0] = '\0';
    return covers_at(in, out, where, size, 0);
}

json_t *tj_parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(v, "bad JSON in test: %s (%s)", jerr.text, text);
    return v;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tj_list_json(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof(*names));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (n + 2 > cap)
            names = realloc(names, (cap *= 2) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    names[n] = NULL;
    return names;
}

void tj_free_names(char **names)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        free(names[i]);
    free(names);
}
