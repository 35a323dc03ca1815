/*
 * firestore_bench.c - per-operation latency of the Firestore client against the emulator,
 * next to the same REST call made (a) with one bare reused libcurl handle and (b) with the
 * curl command-line tool, in the same run. Prints medians, p95 and ratios, plus a
 * threaded throughput figure. Run through bench/firestore.sh (it starts the emulator).
 *
 *   firestore_bench [iterations]      (needs FIRESTORE_EMULATOR_HOST)
 */
#include <curl/curl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "gcp/firestore.h"

#define PROJECT "demo-bench"
#define THREADS 8

extern char **environ;

static fs_db *db;
static char host[128], coll[64], base[1024], root_name[256];
static int iterations = 300;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double p50, p95; /* microseconds */
} stats;

static stats summarise(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp64);
    return (stats){(double)v[n / 2], (double)v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1]};
}

/* ---- the same REST call, three ways ---------------------------------------------------- */

typedef struct rest_call {
    const char *name;
    const char *method; /* GET or POST */
    char url[2048];
    char *body;          /* POST body, or NULL */
    int (*client)(void); /* the same operation through fs_* */
} rest_call;

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    return s * n;
}

static void raw_setup(CURL *h, const rest_call *c, struct curl_slist *hdrs)
{
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (c->body != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
}

static int raw_once(CURL *h)
{
    long status = 0;
    if (curl_easy_perform(h) != CURLE_OK)
        return -1;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 ? 0 : -1;
}

static int cli_once(const rest_call *c)
{
    char *argv[16];
    int a = 0;
    argv[a++] = "curl";
    argv[a++] = "-sf";
    argv[a++] = "-o";
    argv[a++] = "/dev/null";
    argv[a++] = "-H";
    argv[a++] = "Authorization: Bearer owner";
    if (c->body != NULL) {
        argv[a++] = "-H";
        argv[a++] = "Content-Type: application/json";
        argv[a++] = "--data-binary";
        argv[a++] = c->body;
    }
    argv[a++] = (char *)c->url;
    argv[a] = NULL;
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, "curl", NULL, NULL, argv, environ) != 0)
        return -1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- client operations ----------------------------------------------------------------- */

static char doc_path[128];

static int op_get(void)
{
    fs_doc *doc = NULL;
    int rc = fs_doc_get(db, doc_path, NULL, &doc, NULL);
    fs_doc_free(doc);
    return rc;
}

static json_t *sample_fields(void)
{
    return json_pack("{sssIs{sssisn}s[]}", "status", "running", "updatedAt", (json_int_t)1795951578838LL,
                     "progress", "currentStep", "processing", "percentage", 50, "message", "snapshot");
}

static int op_set(void)
{
    json_t *f = sample_fields();
    int rc = fs_doc_set(db, doc_path, f, NULL, NULL, NULL);
    json_decref(f);
    return rc;
}

static int op_update(void)
{
    json_t *f = json_pack("{sIsi}", "updatedAt", (json_int_t)1795951578838LL, "n", 3);
    fs_precondition exists = {FS_PRE_EXISTS, NULL};
    int rc =
        fs_doc_update(db, doc_path, f, (const char *const[]){"updatedAt", "n", NULL}, &exists, NULL, NULL);
    json_decref(f);
    return rc;
}

static int op_query(void)
{
    json_t *v = json_string("running");
    fs_filter f = {"status", FS_OP_EQ, v};
    fs_query_def q = {.collection = coll, .filters = &f, .n_filters = 1, .limit = 10};
    fs_doc_list list;
    int rc = fs_query(db, &q, &list, NULL);
    fs_doc_list_free(&list);
    json_decref(v);
    return rc;
}

static char batch_paths[3][128];

static int op_batch_get(void)
{
    const char *paths[] = {batch_paths[0], batch_paths[1], batch_paths[2]};
    fs_doc *out[3];
    int rc = fs_doc_batch_get(db, paths, 3, NULL, out, NULL);
    for (int i = 0; i < 3; i++)
        fs_doc_free(rc == 0 ? out[i] : NULL);
    return rc;
}

/* The REST bodies the client sends for the operations above (built once). */
static char *commit_body(int update)
{
    ff_error err = {0};
    json_t *plain =
        update ? json_pack("{sIsi}", "updatedAt", (json_int_t)1795951578838LL, "n", 3) : sample_fields();
    json_t *fields = fs_fields_from_json(plain, 0, &err);
    char name[1024];
    snprintf(name, sizeof(name), "%s/%s", root_name, doc_path);
    json_t *write = json_pack("{s{ssso}}", "update", "name", name, "fields", fields);
    if (update) {
        json_object_set_new(write, "updateMask", json_pack("{s[ss]}", "fieldPaths", "updatedAt", "n"));
        json_object_set_new(write, "currentDocument", json_pack("{sb}", "exists", 1));
    }
    json_t *body = json_pack("{s[o]}", "writes", write);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_decref(plain);
    return text;
}

static char *query_body(void)
{
    json_t *body = json_pack("{s{s[{ss}]s{s{s{ss}sss{ss}}}si}}", "structuredQuery", "from", "collectionId",
                             coll, "where", "fieldFilter", "field", "fieldPath", "status", "op", "EQUAL",
                             "value", "stringValue", "running", "limit", 10);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static char *batch_body(void)
{
    json_t *docs = json_array();
    for (int i = 0; i < 3; i++) {
        char name[1024];
        snprintf(name, sizeof(name), "%s/%s", root_name, batch_paths[i]);
        json_array_append_new(docs, json_string(name));
    }
    json_t *body = json_pack("{so}", "documents", docs);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* ---- measuring ------------------------------------------------------------------------- */

static void measure(rest_call *c)
{
    int n = iterations, n_cli = iterations < 60 ? iterations : 60;
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Authorization: Bearer owner");
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    raw_setup(h, c, hdrs);
    int errors = 0;
    for (int i = 0; i < 50; i++) { /* warm both paths (connections, the emulator's JIT) */
        errors += c->client() != 0;
        errors += raw_once(h) != 0;
    }
    /* interleaved, alternating which goes first, so drift in the emulator hits both alike */
    int64_t *raw = calloc((size_t)n, sizeof(*raw));
    stats s[3];
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            int client = (i + k) % 2 == 0;
            int64_t t0 = now_us();
            errors += (client ? c->client() : raw_once(h)) != 0;
            (client ? lat : raw)[i] = now_us() - t0;
        }
    }
    s[0] = summarise(lat, n);
    s[1] = summarise(raw, n);
    free(raw);
    for (int i = 0; i < n_cli; i++) {
        int64_t t0 = now_us();
        errors += cli_once(c) != 0;
        lat[i] = now_us() - t0;
    }
    s[2] = summarise(lat, n_cli);
    printf("%-10s %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %9.2f %9.2f%s\n", c->name, s[0].p50, s[0].p95, s[1].p50,
           s[1].p95, s[2].p50, s[2].p95, s[0].p50 / s[1].p50, s[0].p50 / s[2].p50,
           errors ? "  (errors!)" : "");
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    free(lat);
}

/* ---- threaded throughput --------------------------------------------------------------- */

static rest_call *thr_call;
static int thr_raw;

static void *thr_main(void *arg)
{
    CURL *h = NULL;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Authorization: Bearer owner");
    if (thr_raw) {
        h = curl_easy_init();
        raw_setup(h, thr_call, hdrs);
    }
    long errors = 0;
    for (int i = 0; i < iterations; i++)
        errors += (thr_raw ? raw_once(h) : thr_call->client()) != 0;
    curl_slist_free_all(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    return (void *)errors;
}

static double throughput(rest_call *c, int raw)
{
    thr_call = c;
    thr_raw = raw;
    pthread_t t[THREADS];
    int64_t t0 = now_us();
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, thr_main, NULL);
    long errors = 0;
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        errors += (long)rv;
    }
    if (errors)
        fprintf(stderr, "throughput: %ld errors\n", errors);
    return (double)THREADS * iterations / ((double)(now_us() - t0) / 1e6);
}

/* ---- main ------------------------------------------------------------------------------ */

static int seed(void)
{
    ff_error err = {0};
    json_t *f = sample_fields();
    int rc = fs_doc_set(db, doc_path, f, NULL, NULL, &err);
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = fs_doc_set(db, batch_paths[i], f, NULL, NULL, &err);
    json_decref(f);
    if (rc != 0)
        fprintf(stderr, "seeding failed: %s\n", err.message);
    return rc;
}

int main(int argc, char **argv)
{
    const char *env = getenv("FIRESTORE_EMULATOR_HOST");
    if (env == NULL || *env == '\0') {
        fprintf(stderr, "FIRESTORE_EMULATOR_HOST is not set (use bench/firestore.sh)\n");
        return 2;
    }
    if (argc > 1)
        iterations = atoi(argv[1]) > 0 ? atoi(argv[1]) : iterations;
    snprintf(host, sizeof(host), "%s", env);
    ff_error err = {0};
    fs_options o = {.project_id = PROJECT, .emulator_host = host};
    if ((db = fs_db_open(&o, &err)) == NULL) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    char id[FS_ID_SIZE];
    fs_new_id(id, NULL);
    snprintf(coll, sizeof(coll), "bench-%s", id);
    snprintf(doc_path, sizeof(doc_path), "%s/doc", coll);
    for (int i = 0; i < 3; i++)
        snprintf(batch_paths[i], sizeof(batch_paths[i]), "%s/b%d", coll, i);
    snprintf(root_name, sizeof(root_name), "%s", fs_db_root(db));
    snprintf(base, sizeof(base), "http://%s/v1/%s", host, root_name);
    if (seed() != 0)
        return 1;

    rest_call calls[] = {
        {"get", "GET", "", NULL, op_get},
        {"set", "POST", "", commit_body(0), op_set},
        {"update", "POST", "", commit_body(1), op_update},
        {"query", "POST", "", query_body(), op_query},
        {"batchGet3", "POST", "", batch_body(), op_batch_get},
    };
    snprintf(calls[0].url, sizeof(calls[0].url), "%s/%s", base, doc_path);
    snprintf(calls[1].url, sizeof(calls[1].url), "%s:commit", base);
    snprintf(calls[2].url, sizeof(calls[2].url), "%s:commit", base);
    snprintf(calls[3].url, sizeof(calls[3].url), "%s:runQuery", base);
    snprintf(calls[4].url, sizeof(calls[4].url), "%s:batchGet", base);

    printf("Firestore client vs the same REST call: %d iterations (curl CLI: %d), latency in microseconds\n",
           iterations, iterations < 60 ? iterations : 60);
    printf("%-10s %9s %9s %9s %9s %9s %9s %9s %9s\n", "op", "fs p50", "fs p95", "curl p50", "curl p95",
           "cli p50", "cli p95", "fs/curl", "fs/cli");
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        measure(&calls[i]);
    double fs_tp = throughput(&calls[0], 0), raw_tp = throughput(&calls[0], 1);
    printf("\nget with %d threads: client %.0f ops/s, bare libcurl (one handle per thread) %.0f ops/s, ratio "
           "%.2f\n",
           THREADS, fs_tp, raw_tp, fs_tp / raw_tp);
    printf("fs/curl: client over a bare reused libcurl handle (overhead of conversion, auth, pooling);\n"
           "fs/cli: client over spawning the curl tool per call (includes process start-up).\n");
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        free(calls[i].body);
    fs_db_close(db);
    return 0;
}
