/*
 * cli_seed.c - `functions seed FILE... [--var NAME=VALUE]...` writes documents from JSON
 * fixtures, and `functions get PATH` prints one as plain JSON.
 *
 * A fixture is a JSON array of {"path": "projects/p/sessions/s", "data": {...}} (or one
 * such object). Before parsing, "{{NAME}}" is replaced by a --var value, and "{{NOW}}"
 * by the current time in epoch milliseconds, so one fixture seeds fresh documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gcp/firestore.h"

enum { MAX_VARS = 16 };

const char cli_seed_usage[] =
    "usage: functions seed FILE... [--var NAME=VALUE]...\n"
    "  Writes the documents of each JSON fixture FILE: an array of {\"path\", \"data\"} (or one).\n"
    "  \"{{NAME}}\" becomes the --var value, \"{{NOW}}\" the time in epoch milliseconds.\n"
    "  Firestore: FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT. Exit 0 when every document was written.\n";
const char cli_get_usage[] =
    "usage: functions get PATH\n"
    "  Prints the Firestore document at PATH (e.g. projects/P/jobs/J) as plain JSON.\n"
    "  Firestore: FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT. Exit 1 when it "
    "cannot be read.\n";

/* Replaces every "{{name}}" of text by value. Returns a new string the caller frees. */
static char *substitute(const char *text, const char *name, const char *value)
{
    char key[160];
    snprintf(key, sizeof(key), "{{%s}}", name);
    size_t klen = strlen(key), vlen = strlen(value), n = 0;
    for (const char *p = strstr(text, key); p; p = strstr(p + klen, key))
        n++;
    char *out = malloc(strlen(text) + n * vlen + 1), *o = out;
    if (out == NULL)
        return NULL;
    const char *p = text;
    for (const char *hit; (hit = strstr(p, key)) != NULL; p = hit + klen) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, value, vlen);
        o += vlen;
    }
    strcpy(o, p);
    return out;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

static int seed_one(fs_db *db, const json_t *item)
{
    const char *path = json_string_value(json_object_get(item, "path"));
    const json_t *data = json_object_get(item, "data");
    ff_error err = {0};
    if (path == NULL || !json_is_object(data)) {
        fprintf(stderr, "seed: each item needs \"path\" and an object \"data\"\n");
        return -1;
    }
    if (fs_doc_set(db, path, data, NULL, NULL, &err) != 0) {
        fprintf(stderr, "seed: %s: %s\n", path, err.message);
        return -1;
    }
    printf("seeded %s\n", path);
    return 0;
}

static int seed_file(fs_db *db, const char *file, char *const *vars, size_t n_vars)
{
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)ff_now_ms());
    char *text = read_file(file);
    for (size_t i = 0; text && i <= n_vars; i++) {
        char *eq = i < n_vars ? strchr(vars[i], '=') : NULL;
        if (i < n_vars && eq == NULL)
            continue;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", i < n_vars ? (int)(eq - vars[i]) : 3,
                 i < n_vars ? vars[i] : "NOW");
        char *next = substitute(text, name, i < n_vars ? eq + 1 : now);
        free(text);
        text = next;
    }
    if (text == NULL) {
        fprintf(stderr, "seed: cannot read %s\n", file);
        return -1;
    }
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    free(text);
    if (doc == NULL) {
        fprintf(stderr, "seed: %s:%d: %s\n", file, jerr.line, jerr.text);
        return -1;
    }
    int rc = 0;
    if (json_is_array(doc)) {
        size_t i;
        json_t *item;
        json_array_foreach(doc, i, item) rc |= seed_one(db, item);
    } else {
        rc = seed_one(db, doc);
    }
    json_decref(doc);
    return rc;
}

int cli_seed(const ff_app *app, int argc, char **argv)
{
    char *vars[MAX_VARS], *files[MAX_VARS];
    size_t n_vars = 0, n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--var") == 0) {
            if (i + 1 >= argc || strchr(argv[i + 1], '=') == NULL)
                return cli_bad_usage("seed", "--var needs NAME=VALUE", NULL);
            if (n_vars == MAX_VARS)
                return cli_bad_usage("seed", "too many --var", NULL);
            vars[n_vars++] = argv[++i];
        } else if (argv[i][0] == '-') {
            return cli_bad_usage("seed", "unknown flag", argv[i]);
        } else if (n_files == MAX_VARS) {
            return cli_bad_usage("seed", "too many files", NULL);
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (n_files == 0)
        return cli_bad_usage("seed", "no fixture given", NULL);
    ff_error err = {0};
    fs_db *db = fs_db_default(&err);
    if (db == NULL) {
        fprintf(stderr, "seed: %s\n", err.message);
        return 2;
    }
    int rc = 0;
    for (size_t i = 0; i < n_files; i++)
        rc |= seed_file(db, files[i], vars, n_vars);
    return rc ? 1 : 0;
}

int cli_get(const ff_app *app, int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-')
        return cli_bad_usage("get", "unknown flag", argv[1]);
    if (argc != 2)
        return cli_bad_usage("get", argc < 2 ? "no PATH given" : "one PATH only", NULL);
    ff_error err = {0};
    fs_db *db = fs_db_default(&err);
    fs_doc *doc = NULL;
    if (db == NULL || fs_doc_get(db, argv[1], NULL, &doc, &err) != 0) {
        fprintf(stderr, "get: %s\n", err.message);
        return 1;
    }
    cli_print_json(doc->fields);
    fs_doc_free(doc);
    return 0;
}
