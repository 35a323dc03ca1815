/*
 * faults.c - helpers of the faults suite (see faults.h).
 *
 * The world of a test (servers, seeding, snapshots) is the hardening suite's: the build
 * links each test directory's .c files into its own binary, so harness.c is compiled
 * in here rather than copied.
 */
#include "../hardening/harness.c"

#include "faults.h"

static proxy *g_proxies[4]; /* proxies this test started (one test per process) */
static size_t g_n_proxies;

proxy *fx_proxy(const char *env_var)
{
    const char *target = getenv(env_var);
    cr_assert(target != NULL && *target, "%s is not set (run through scripts/run-tests.sh)", env_var);
    return fx_proxy_to(target);
}

proxy *fx_proxy_to(const char *target)
{
    proxy *p = proxy_start(target);
    cr_assert_not_null(p, "cannot start a proxy to %s", target);
    cr_assert_lt(g_n_proxies, sizeof(g_proxies) / sizeof(g_proxies[0]), "too many proxies");
    g_proxies[g_n_proxies++] = p;
    return p;
}

const char *fx_env(char *buf, size_t len, const char *name, const proxy *p)
{
    snprintf(buf, len, "%s=%s", name, proxy_addr(p));
    return buf;
}

void fx_world_start(fx_world *f, int proxied, const char *const env[])
{
    memset(f, 0, sizeof(*f));
    hw_init(&f->w);
    hw_seed(&f->w);
    static char fs_env[96], tasks_env[96];
    const char *merged[24];
    size_t n = 0;
    if (proxied & FX_FIRESTORE) {
        f->fs = fx_proxy("FIRESTORE_EMULATOR_HOST");
        merged[n++] = fx_env(fs_env, sizeof(fs_env), "FIRESTORE_EMULATOR_HOST", f->fs);
    }
    if (proxied & FX_TASKS) {
        f->tasks = fx_proxy("CLOUD_TASKS_EMULATOR_HOST");
        merged[n++] = fx_env(tasks_env, sizeof(tasks_env), "CLOUD_TASKS_EMULATOR_HOST", f->tasks);
    }
    for (size_t i = 0; env != NULL && env[i] != NULL && n < 23; i++)
        merged[n++] = env[i];
    merged[n] = NULL;
    f->s = hw_start(&f->w, merged);
}

static void stop_proxies(void)
{
    for (size_t i = 0; i < g_n_proxies; i++)
        proxy_stop(g_proxies[i]);
    g_n_proxies = 0;
}

void fx_done(void)
{
    hw_done(); /* servers first: they may still be talking through the proxies */
    stop_proxies();
}

void fx_fini(void)
{
    hw_fini();
    stop_proxies();
}

int fx_sweep(const hw_server *s)
{
    th_response res = {0};
    hw_post(s, "/cleanupStaleJobs", "{}", &res);
    json_t *body = hw_body(&res);
    json_t *failed = json_object_get(body, "failed");
    cr_expect_eq(res.status, 200, "sweep: %ld %.300s", res.status, res.body);
    int n = res.status == 200 && json_is_integer(failed) ? (int)json_integer_value(failed) : -1;
    json_decref(body);
    th_response_free(&res);
    return n;
}

int fx_wait_log(const hw_server *s, const char *needle, int timeout_ms)
{
    return spawn_wait_stdout(s->proc, needle, timeout_ms);
}

int64_t fx_int(const fs_doc *doc, const char *field)
{
    return doc ? (int64_t)json_integer_value(json_object_get(doc->fields, field)) : 0;
}

static int active(const char *status)
{
    return strcmp(status, "pending") == 0 || strcmp(status, "running") == 0;
}

void fx_expect_session_free(hw *w, const char *what)
{
    fs_doc *s = hw_get(w, HW_SESSION_PATH);
    cr_expect(!active(hw_str(s, "jobStatus")), "%s: the session is blocked: jobStatus %s (job %s)", what,
              hw_str(s, "jobStatus"), hw_str(s, "jobId"));
    fs_doc_free(s);
}

void fx_expect_no_active_job(hw *w, const char *what)
{
    const fs_query_def q = {.parent = "projects/" HW_PROJECT, .collection = "jobs"};
    fs_doc_list list = {0};
    ff_error err = {0};
    cr_assert_eq(fs_query(w->db, &q, &list, &err), 0, "listing jobs: %s", err.message);
    for (size_t i = 0; i < list.n; i++)
        cr_expect(!active(hw_str(list.docs[i], "status")), "%s: job %s left %s", what, list.docs[i]->id,
                  hw_str(list.docs[i], "status"));
    fs_doc_list_free(&list);
}
