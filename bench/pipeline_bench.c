/*
 * pipeline_bench.c - startTransformPipeline and job lifecycle figures against the
 * emulators, each beside a baseline measured in the same run.
 *
 *   pipeline_bench latency    URL N         sequential start latency p50/p99 vs the raw
 *                                           Firestore + Cloud Tasks calls it makes
 *   pipeline_bench throughput URL C SECONDS requests/s at C clients vs raw calls at C
 *   pipeline_bench lifecycle  URL N STUB_MS start -> completed, minus the stub time
 *   pipeline_bench load       URL C SECONDS the load test: C connections on fresh
 *                                           sessions, then verifies every job and session
 *   pipeline_bench drive      URL C SECONDS the same load unverified (warm-up)
 *   pipeline_bench first      URL N [WARM]  the server's first start request against the
 *                                           median of the N that follow (run it first),
 *                                           the emulators warmed first by WARM direct calls
 *   pipeline_bench requests   URL N C       exactly N starts from C clients (profiling:
 *                                           a fixed amount of work per run)
 *   pipeline_bench warm       URL C N MAX   the emulators driven with the start request's
 *                                           calls, made directly, N times (at most MAX
 *                                           seconds): before the throughput rows
 * LOAD_THINK_MS: each client pauses this long between requests.
 * BENCH_FIRST_MODE: the mode `first` names in its target line (default "emulator").
 * BENCH_SERVER_PID: the functions process; throughput and requests then also print its
 * CPU time per request (utime + stime from /proc/PID/stat over the run / requests).
 * URL is the functions server (all-functions mode). Figures are printed, never asserted.
 * Environment: FIRESTORE_EMULATOR_HOST, CLOUD_TASKS_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gcp/firestore.h"
#include "gcp/http.h"
#include "gcp/tasks.h"

static fs_db *db;
static const char *base_url;
static char prefix[64];
static char project[80]; /* the platform project of this run: runs never see each other's jobs */

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

static int64_t pct(int64_t *v, int n, int p)
{
    qsort(v, (size_t)n, sizeof(*v), cmp64);
    return n ? v[(n - 1) * p / 100] : 0;
}

static void die(const char *what, const ff_error *err)
{
    fprintf(stderr, "pipeline_bench: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* CPU seconds (user + system) the server process has used so far, and in *sys_s the
 * system part (may be NULL); -1 when unknown. */
static double server_cpu_split(double *sys_s)
{
    const char *pid = getenv("BENCH_SERVER_PID");
    char path[64], buf[1024];
    if (pid == NULL || *pid == '\0')
        return -1;
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    if (sys_s != NULL)
        *sys_s = (double)st / (double)sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double server_cpu_s(void)
{
    return server_cpu_split(NULL);
}

/* ---- seeding --------------------------------------------------------------------------- */

static json_t *session_doc(const char *id)
{
    int64_t now = ff_now_ms();
    return json_pack(
        "{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:[], s:[], s:n, s:n, s:n, s:n, s:I, s:I, s:n}", "id", id,
        "projectId", project, "workspaceId", "bench-ws", "eventId", "experienceId", "bench-exp", "mode",
        "guest", "configSource", "published", "status", "active", "answers", "capturedMedia", "resultMedia",
        "jobId", "jobStatus", "createdBy", "createdAt", (json_int_t)now, "updatedAt", (json_int_t)now,
        "completedAt");
}

static void session_id(char *out, size_t len, int i)
{
    snprintf(out, len, "%s-%d", prefix, i);
}

/* Writes the experience and n sessions (500 writes per commit). */
static void seed(int n)
{
    ff_error err = {0};
    json_t *exp = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:[], s:{s:[]}}, s:{s:[], s:{s:[]}}, s:i, s:i}", "id", "bench-exp",
        "name", "Bench", "status", "active", "profile", "freeform", "createdAt", (json_int_t)ff_now_ms(),
        "updatedAt", (json_int_t)ff_now_ms(), "draft", "steps", "transform", "nodes", "published", "steps",
        "transform", "nodes", "draftVersion", 1, "publishedVersion", 1);
    if (fs_doc_set(db, "workspaces/bench-ws/experiences/bench-exp", exp, NULL, NULL, &err) != 0)
        die("seed experience", &err);
    json_decref(exp);
    for (int start = 0; start < n; start += 500) {
        fs_batch *b = fs_batch_new(db);
        for (int i = start; i < n && i < start + 500; i++) {
            char id[96], path[256];
            session_id(id, sizeof(id), i);
            snprintf(path, sizeof(path), "projects/%s/sessions/%s", project, id);
            json_t *s = session_doc(id);
            fs_batch_set(b, path, s, NULL, &err);
            json_decref(s);
        }
        if (fs_commit(db, b, NULL, &err) != 0)
            die("seed sessions", &err);
        fs_batch_free(b);
    }
}

/* ---- the two things measured ----------------------------------------------------------- */

/* POST startTransformPipeline; returns the HTTP status (0 on transport error). */
static long post_start(const char *session, char *job_out)
{
    char url[512], body[256];
    snprintf(url, sizeof(url), "%s/startTransformPipeline?projectId=%s", base_url, project);
    snprintf(body, sizeof(body), "{\"sessionId\":\"%s\",\"stepId\":\"bench\"}", session);
    const gcp_http_header h = {"Content-Type", "application/json"};
    gcp_http_request req = {.method = "POST",
                            .url = url,
                            .headers = &h,
                            .n_headers = 1,
                            .body = body,
                            .body_len = strlen(body),
                            .timeout_ms = 60000};
    gcp_http_response res = {0};
    ff_error err = {0};
    long status = gcp_http_do(&req, &res, &err) == GCP_HTTP_OK ? res.status : 0;
    if (job_out != NULL) {
        const char *p = res.body ? strstr(res.body, "\"jobId\":\"") : NULL;
        snprintf(job_out, FS_ID_SIZE, "%.20s", p ? p + 9 : "");
    }
    gcp_http_response_free(&res);
    return status;
}

/* The same Firestore and Cloud Tasks calls, made directly: the emulators' own cost. */
static long raw_start(const char *session)
{
    char spath[256], jpath[256], job[FS_ID_SIZE];
    ff_error err = {0};
    fs_doc *s = NULL, *e = NULL;
    snprintf(spath, sizeof(spath), "projects/%s/sessions/%s", project, session);
    if (fs_doc_get(db, spath, NULL, &s, &err) != 0 ||
        fs_doc_get(db, "workspaces/bench-ws/experiences/bench-exp", NULL, &e, &err) != 0)
        return 500;
    fs_new_id(job, &err);
    snprintf(jpath, sizeof(jpath), "projects/%s/jobs/%s", project, job);
    json_t *jd = json_pack("{s:s, s:s, s:s, s:I}", "id", job, "sessionId", session, "status", "pending",
                           "createdAt", (json_int_t)ff_now_ms());
    json_t *sd = json_pack("{s:s, s:s, s:I}", "jobId", job, "jobStatus", "pending", "updatedAt",
                           (json_int_t)ff_now_ms());
    const fs_precondition pre = {FS_PRE_UPDATE_TIME, s->update_time};
    fs_batch *b = fs_batch_new(db);
    fs_batch_create(b, jpath, jd, &err);
    fs_batch_update(b, spath, sd, NULL, &pre, &err);
    int rc = fs_commit(db, b, NULL, &err);
    fs_batch_free(b);
    json_decref(jd);
    json_decref(sd);
    fs_doc_free(s);
    fs_doc_free(e);
    if (rc != 0)
        return 500;
    /* A queue of its own, whose tasks go nowhere: only the enqueue call is measured. */
    json_t *payload = json_pack("{s:{s:s}}", "data", "jobId", job);
    gcp_tasks_task t = {.location = "europe-west1",
                        .queue = "bench-raw",
                        .task_id = job,
                        .url = "http://127.0.0.1:1/none",
                        .body = payload};
    rc = gcp_tasks_create(&t, NULL, &err);
    json_decref(payload);
    return rc == GCP_TASKS_OK ? 200 : 500;
}

/* ---- drivers ------------------------------------------------------------------------------ */

typedef long (*start_fn)(const char *session);
static long post_start_only(const char *session)
{
    return post_start(session, NULL);
}

static atomic_int next_session, ok_count, conflict_count, error_count, server_error_count;
static int pool_size;
static int64_t *latencies; /* per session index, in us; NULL = not recorded */
static int64_t stop_at;
static start_fn worker_fn;
static int think_ms; /* pause between a client's requests (LOAD_THINK_MS) */

static void *worker(void *arg)
{
    (void)arg;
    while (now_us() < stop_at) {
        int i = atomic_fetch_add(&next_session, 1);
        if (i >= pool_size)
            break;
        char id[96];
        session_id(id, sizeof(id), i);
        int64_t t0 = now_us();
        long st = worker_fn(id);
        if (latencies != NULL)
            latencies[i] = now_us() - t0;
        atomic_fetch_add(st == 200 ? &ok_count : st == 409 ? &conflict_count : &error_count, 1);
        if (st >= 500 || st == 0)
            atomic_fetch_add(&server_error_count, 1);
        if (think_ms > 0)
            usleep((useconds_t)think_ms * 1000);
    }
    return NULL;
}

/* Runs fn on fresh sessions from C threads for `seconds`; returns requests/s. */
static double drive(start_fn fn, int clients, double seconds, int first)
{
    pthread_t t[512];
    atomic_store(&next_session, first);
    atomic_store(&ok_count, 0);
    atomic_store(&conflict_count, 0);
    atomic_store(&error_count, 0);
    atomic_store(&server_error_count, 0);
    worker_fn = fn;
    int64_t t0 = now_us();
    stop_at = t0 + (int64_t)(seconds * 1e6);
    for (int i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    double elapsed = (double)(now_us() - t0) / 1e6;
    return (atomic_load(&ok_count) + atomic_load(&conflict_count) + atomic_load(&error_count)) / elapsed;
}

/*
 * What the function adds to the calls it must make anyway, in words a reader can take
 * at a glance: a time and a share, or "none measurable" when the direct calls were the
 * slower ones (both sides share the emulators, whose noise is larger than the runtime's
 * own cost).
 */
static void print_overhead(const char *at, int64_t function_us, int64_t direct_us)
{
    if (function_us > direct_us)
        printf("  %s: the function adds %.2f ms (%.0f %%) to its Firestore + Cloud Tasks calls\n", at,
               (function_us - direct_us) / 1e3,
               100.0 * (double)(function_us - direct_us) / (double)direct_us);
    else
        printf("  %s: no overhead measurable: the function was %.2f ms faster than the direct calls"
               " (emulator noise)\n",
               at, (direct_us - function_us) / 1e3);
}

static void latency(int n)
{
    pool_size = 2 * n;
    seed(pool_size);
    int64_t *api = calloc((size_t)n, sizeof(int64_t)), *raw = calloc((size_t)n, sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        char a[96], b[96];
        session_id(a, sizeof(a), i);
        session_id(b, sizeof(b), n + i);
        int64_t t0 = now_us();
        if (post_start(a, NULL) != 200)
            die("startTransformPipeline did not answer 200", NULL);
        api[i] = now_us() - t0;
        t0 = now_us();
        if (raw_start(b) != 200)
            die("raw calls failed", NULL);
        raw[i] = now_us() - t0;
    }
    int64_t a50 = pct(api, n, 50), a99 = pct(api, n, 99), r50 = pct(raw, n, 50), r99 = pct(raw, n, 99);
    char label[80];
    snprintf(label, sizeof(label), "startTransformPipeline, %d sequential requests", n);
    printf("%-50s p50 %7.2f ms   p99 %7.2f ms\n", label, a50 / 1e3, a99 / 1e3);
    printf("%-50s p50 %7.2f ms   p99 %7.2f ms\n", "  its Firestore + Cloud Tasks calls, made directly",
           r50 / 1e3, r99 / 1e3);
    print_overhead("p50", a50, r50);
    print_overhead("p99", a99, r99);
    free(api);
    free(raw);
}

/* Requests the last drive() sent. */
static int driven(void)
{
    return atomic_load(&ok_count) + atomic_load(&conflict_count) + atomic_load(&error_count);
}

/* One issue-13 target line, in the format of bench/report.sh. */
static void print_target(const char *what, const char *figure, const char *baseline, const char *ratio,
                         const char *target, int met)
{
    printf("TARGET | %-30s | %-12s | %-26s | %-13s | %-26s | %s\n", what, figure, baseline, ratio, target,
           met ? "met" : "NOT MET");
}

/* The target line of the function's CPU per start request, beside the direct calls' rate. */
static void print_cpu(int clients, double cpu_s, int requests, double api_rps, double raw_rps)
{
    if (cpu_s < 0 || requests == 0)
        return;
    double ms = cpu_s * 1e3 / requests;
    char what[48], fig[32], base[64], ratio[32];
    snprintf(what, sizeof(what), "start CPU/request c=%d", clients);
    snprintf(fig, sizeof(fig), "%.3f ms", ms);
    snprintf(base, sizeof(base), "direct calls %.0f/s", raw_rps);
    snprintf(ratio, sizeof(ratio), "%.0f %% rate", 100.0 * api_rps / raw_rps);
    print_target(what, fig, base, ratio, "<= 0.300 ms", ms <= 0.300);
}

static void throughput(int clients, double seconds)
{
    /* more sessions than the warm emulators can serve (about 1,000 sequences a second) */
    int per_run = (int)(seconds * 1500) + 1000;
    seed(2 * per_run);
    pool_size = per_run; /* the function's: the direct calls take the next per_run */
    double sys0 = 0, sys1 = 0, cpu0 = server_cpu_split(&sys0);
    double api = drive(post_start_only, clients, seconds, 0);
    double cpu = cpu0 < 0 ? -1 : server_cpu_split(&sys1) - cpu0;
    int api_ok = atomic_load(&ok_count), api_err = atomic_load(&error_count), api_n = driven();
    pool_size = 2 * per_run;
    double raw = drive(raw_start, clients, seconds, per_run);
    printf("throughput at %3d clients: function %7.1f req/s (%d x 200, %d errors); the same calls made"
           " directly %7.1f/s: the function reaches %.0f %% of that%s\n",
           clients, api, api_ok, api_err, raw, 100.0 * api / raw,
           api > raw ? " (above 100 %: emulator noise)" : "");
    if (cpu >= 0)
        printf("  function process CPU: %.3f ms per request (%.2f s over %d requests; user %.3f ms, system"
               " %.3f ms)\n",
               cpu * 1e3 / api_n, cpu, api_n, (cpu - (sys1 - sys0)) * 1e3 / api_n,
               (sys1 - sys0) * 1e3 / api_n);
    print_cpu(clients, cpu, api_n, api, raw);
}

/*
 * The first start request a fresh server handles pays for what the process sets up
 * lazily (curl handles, connections, the access token in production); the target is at
 * most twice a warm one. Must be the server's first start request.
 *
 * The emulators are warmed first with the calls a start request makes, made directly
 * (raw_start, `warm` times, never through the server): a fresh JVM answers its first
 * hundred or so calls several times slower than later ones, which the first request
 * would otherwise pay and the warm ones not. Google's side is warm in production.
 */
static void first_request(int n, int warm_calls)
{
    pool_size = n + 1 + warm_calls;
    seed(pool_size);
    for (int i = 0; i < warm_calls; i++) {
        char id[96];
        session_id(id, sizeof(id), n + 1 + i);
        if (raw_start(id) != 200)
            die("warming the emulators: raw calls failed", NULL);
    }
    int64_t *t = calloc((size_t)n + 1, sizeof(int64_t));
    for (int i = 0; i <= n; i++) {
        char id[96];
        session_id(id, sizeof(id), i);
        int64_t t0 = now_us();
        if (post_start(id, NULL) != 200)
            die("startTransformPipeline did not answer 200", NULL);
        t[i] = now_us() - t0;
    }
    /* The warm ones' spread beside the median: on a shared machine a single stall can land on
     * the one first request, and p90/max show whether the first stands out from the warm tail. */
    int64_t cold = t[0], warm = pct(t + 1, n, 50), p90 = pct(t + 1, n, 90), max = pct(t + 1, n, 100);
    printf("first start request after the server came up: %.2f ms; warm median of %d: %.2f ms, p90 %.2f ms,"
           " max %.2f ms (emulators warmed by %d direct call sequences first)\n",
           cold / 1e3, n, warm / 1e3, p90 / 1e3, max / 1e3, warm_calls);
    char what[64], fig[32], base[64], ratio[32];
    const char *mode = getenv("BENCH_FIRST_MODE");
    snprintf(what, sizeof(what), "first request, %s mode", mode ? mode : "emulator");
    snprintf(fig, sizeof(fig), "%.2f ms", cold / 1e3);
    snprintf(base, sizeof(base), "warm median %.2f ms", warm / 1e3);
    snprintf(ratio, sizeof(ratio), "%.2fx", (double)cold / (double)warm);
    print_target(what, fig, base, ratio, "<= 2x warm", cold <= 2 * warm);
    free(t);
}

/* Exactly n starts from `clients` threads: a fixed workload to profile the server with. */
static void requests(int n, int clients)
{
    pool_size = n;
    seed(n);
    double cpu0 = server_cpu_s();
    double rps = drive(post_start_only, clients, 1e6, 0);
    double cpu = cpu0 < 0 ? -1 : server_cpu_s() - cpu0;
    printf("requests: %d from %d clients, %.1f req/s, %d x 200, %d errors", driven(), clients, rps,
           atomic_load(&ok_count), atomic_load(&error_count));
    if (cpu >= 0)
        printf(", server CPU %.3f ms per request", cpu * 1e3 / driven());
    printf("\n");
}

static int job_status(const char *job, char *status, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "projects/%s/jobs/%s", project, job);
    fs_doc *d = NULL;
    ff_error err = {0};
    if (fs_doc_get(db, path, NULL, &d, &err) != 0)
        return -1;
    snprintf(status, len, "%s", json_string_value(json_object_get(d->fields, "status")));
    fs_doc_free(d);
    return 0;
}

static void lifecycle(int n, int stub_ms)
{
    seed(n);
    int64_t *t = calloc((size_t)n, sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        char id[96], job[FS_ID_SIZE], status[32] = "";
        session_id(id, sizeof(id), i);
        int64_t t0 = now_us();
        if (post_start(id, job) != 200)
            die("start failed", NULL);
        while (strcmp(status, "completed") != 0 && now_us() - t0 < 60000000) {
            usleep(10000);
            job_status(job, status, sizeof(status));
        }
        t[i] = now_us() - t0 - (int64_t)stub_ms * 1000;
    }
    printf("job lifecycle minus the %d ms stub, %d jobs (ms): p50 %.1f  max %.1f"
           " (includes the tasks emulator's dispatch delay)\n",
           stub_ms, n, pct(t, n, 50) / 1e3, pct(t, n, 100) / 1e3);
    free(t);
}

/* Counts the project's jobs by status, and sessions whose jobStatus is completed. */
static void count_jobs(int *total, int *completed, int *active, int *sessions_completed)
{
    fs_doc_list jobs = {0}, sessions = {0};
    ff_error err = {0};
    char parent[128];
    snprintf(parent, sizeof(parent), "projects/%s", project);
    const char *const job_fields[] = {"status", NULL}, *const session_fields[] = {"jobId", NULL};
    const fs_query_def qj = {.parent = parent, .collection = "jobs", .select = job_fields};
    json_t *done = json_string("completed");
    const fs_filter f = {"jobStatus", FS_OP_EQ, done};
    const fs_query_def qs = {
        .parent = parent, .collection = "sessions", .filters = &f, .n_filters = 1, .select = session_fields};
    if (fs_query(db, &qj, &jobs, &err) != 0 || fs_query(db, &qs, &sessions, &err) != 0)
        die("verify query", &err);
    *total = (int)jobs.n;
    *completed = *active = 0;
    for (size_t i = 0; i < jobs.n; i++) {
        const char *st = json_string_value(json_object_get(jobs.docs[i]->fields, "status"));
        *completed += st && strcmp(st, "completed") == 0;
        *active += st && (strcmp(st, "pending") == 0 || strcmp(st, "running") == 0);
    }
    *sessions_completed = (int)sessions.n;
    fs_doc_list_free(&jobs);
    fs_doc_list_free(&sessions);
    json_decref(done);
}

/* The load test: prints figures and the verification; exit status 1 if it fails. */
static int load(int clients, double seconds)
{
    pool_size = (int)(seconds * 600) + 2000;
    seed(pool_size);
    latencies = calloc((size_t)pool_size, sizeof(int64_t));
    double rps = drive(post_start_only, clients, seconds, 0);
    int sent = atomic_load(&next_session) < pool_size ? atomic_load(&next_session) : pool_size;
    int ok = atomic_load(&ok_count), fivexx = atomic_load(&server_error_count);
    int64_t p50 = pct(latencies, sent, 50), p99 = pct(latencies, sent, 99);
    printf(
        "load: %d connections, %.0f s: %d requests, %.1f req/s, p50 %.1f ms, p99 %.1f ms, %d x 200, %d x 409,"
        " %d x 5xx/transport\n",
        clients, seconds, sent, rps, p50 / 1e3, p99 / 1e3, ok, atomic_load(&conflict_count), fivexx);
    int total = 0, completed = 0, active = 1, sessions_done = 0;
    int64_t wait_until = now_us() + 900 * 1000000LL;
    while (active > 0 && now_us() < wait_until) {
        sleep(5);
        count_jobs(&total, &completed, &active, &sessions_done);
        printf("  jobs: %d total, %d completed, %d still pending/running\n", total, completed, active);
        fflush(stdout);
    }
    int pass = fivexx == 0 && total == ok && completed == ok && sessions_done == ok;
    printf("verify: 5xx %d (want 0); jobs %d == 200s %d; completed %d; sessions mirroring completed %d: %s\n",
           fivexx, total, ok, completed, sessions_done, pass ? "PASS" : "FAIL");
    free(latencies);
    latencies = NULL;
    return pass ? 0 : 1;
}

/*
 * The emulators' JVM compiles its hot paths only after some ten thousand calls (HotSpot's
 * C2 thresholds), and on two shared cores its compiler threads take a minute to get
 * there: until then it serves the same calls at a fraction of its later rate (measured:
 * 50 call sequences a second at first, 470 after 30 s, 1,000 after 50 s), in steps, so a
 * rate that stays put for a few seconds is no sign it is done. A throughput row measured
 * in that stretch measures the warming JVM: every invocation waits longer, the
 * function's CPU goes into more, smaller batches of work, and the direct calls, measured
 * after it, find a warmer JVM than it did. Real Firestore does not warm up. So before the
 * rows, C threads repeat the start request's own calls, made directly (raw_start, never
 * through the function), each on a session of its own, until N sequences are done or
 * MAX seconds have passed; the rate of each WARM_WINDOW_S shows how it went.
 */
#define WARM_WINDOW_S 5

static atomic_int warm_done, warm_stop;

static void *warm_worker(void *arg)
{
    char id[96];
    session_id(id, sizeof(id), (int)(intptr_t)arg);
    while (!atomic_load(&warm_stop))
        if (raw_start(id) == 200)
            atomic_fetch_add(&warm_done, 1);
    return NULL;
}

static void warm(int clients, int n, int max_s)
{
    pthread_t t[512];
    if (clients < 1 || clients > 512 || n < 1 || max_s < 1)
        die("warm: 1-512 clients, N and MAX at least 1", NULL);
    seed(clients);
    for (int i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, warm_worker, (void *)(intptr_t)i);
    char rates[512] = "";
    size_t used = 0;
    int64_t t0 = now_us(), window_end = t0 + WARM_WINDOW_S * 1000000LL, deadline = t0 + max_s * 1000000LL;
    int window_start_count = 0;
    while (atomic_load(&warm_done) < n && now_us() < deadline) {
        usleep(20000);
        if (now_us() < window_end)
            continue;
        int done = atomic_load(&warm_done);
        if (used < sizeof(rates))
            used += (size_t)snprintf(rates + used, sizeof(rates) - used, "%s%d", used ? ", " : "",
                                     (done - window_start_count) / WARM_WINDOW_S);
        window_start_count = done;
        window_end += WARM_WINDOW_S * 1000000LL;
    }
    atomic_store(&warm_stop, 1);
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    printf("emulators warmed by %d direct call sequences from %d clients in %.0f s%s; rate per %d s window:"
           " %s/s\n",
           atomic_load(&warm_done), clients, (double)(now_us() - t0) / 1e6,
           atomic_load(&warm_done) < n ? " (cut off at the time limit)" : "", WARM_WINDOW_S, rates);
}

/* Load without verification (warm-up): drives, then waits until no job is active. */
static int drive_only(int clients, double seconds)
{
    pool_size = (int)(seconds * 600) + 2000;
    seed(pool_size);
    drive(post_start_only, clients, seconds, 0);
    int total, completed, active = 1, done;
    while (active > 0) {
        sleep(2);
        count_jobs(&total, &completed, &active, &done);
    }
    printf("warm-up: %d requests, %d x 5xx\n", atomic_load(&next_session), atomic_load(&server_error_count));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: pipeline_bench latency|throughput|lifecycle|load URL ARGS...\n", stderr);
        return 2;
    }
    ff_error err = {0};
    if ((db = fs_db_default(&err)) == NULL)
        die("firestore", &err);
    base_url = argv[2];
    const gcp_tasks_queue raw_queue = {.location = "europe-west1",
                                       .queue = "bench-raw",
                                       .max_attempts = 1,
                                       .default_url = "http://127.0.0.1:1/none"};
    if (gcp_tasks_queue_ensure(&raw_queue, &err) != GCP_TASKS_OK)
        die("bench queue", &err);
    snprintf(prefix, sizeof(prefix), "b%lld", (long long)ff_now_ms());
    snprintf(project, sizeof(project), "bench-%s", prefix);
    think_ms = getenv("LOAD_THINK_MS") ? atoi(getenv("LOAD_THINK_MS")) : 0;
    if (strcmp(argv[1], "latency") == 0)
        latency(atoi(argv[3]));
    else if (strcmp(argv[1], "throughput") == 0 && argc == 5)
        throughput(atoi(argv[3]), atof(argv[4]));
    else if (strcmp(argv[1], "lifecycle") == 0 && argc == 5)
        lifecycle(atoi(argv[3]), atoi(argv[4]));
    else if (strcmp(argv[1], "load") == 0 && argc == 5)
        return load(atoi(argv[3]), atof(argv[4]));
    else if (strcmp(argv[1], "first") == 0)
        first_request(atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0);
    else if (strcmp(argv[1], "requests") == 0 && argc == 5)
        requests(atoi(argv[3]), atoi(argv[4]));
    else if (strcmp(argv[1], "warm") == 0 && argc == 6)
        warm(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (strcmp(argv[1], "drive") == 0 && argc == 5)
        return drive_only(atoi(argv[3]), atof(argv[4]));
    else
        return 2;
    return 0;
}
