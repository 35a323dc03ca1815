/*
 * contract.c - helpers of the contract suite (see contract.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"

#define READY_TIMEOUT_MS 15000 /* generous: sanitizer builds start slowly */
#define STOP_TIMEOUT_MS  5000

/* Servers this test started (each Criterion test runs in its own process). */
static spawn_proc *g_started[64];
static size_t g_n_started;

/* A sanitizer's report in stderr, if any (ASan, LSan, UBSan "runtime error"). */
static void expect_no_sanitizer_report(spawn_proc *p)
{
    char *err = spawn_read_stderr(p, NULL);
    const char *hit = NULL;
    if (err != NULL && (hit = strstr(err, "Sanitizer")) == NULL)
        hit = strstr(err, "runtime error:");
    cr_expect_null(hit, "server pid %d reported: %.2000s", (int)spawn_pid(p), hit);
    free(err);
}

void ct_check_servers(void)
{
    for (size_t i = 0; i < g_n_started; i++)
        spawn_kill(g_started[i], SIGTERM); /* a clean exit lets LeakSanitizer report */
    for (size_t i = 0; i < g_n_started; i++) {
        if (spawn_wait(g_started[i], STOP_TIMEOUT_MS) == SPAWN_RUNNING)
            spawn_stop(g_started[i], SIGKILL, STOP_TIMEOUT_MS);
        expect_no_sanitizer_report(g_started[i]);
    }
}

void ct_fini(void)
{
    g_n_started = 0;
    spawn_free_all();
}

const char *ct_bin(void)
{
    const char *bin = getenv("FF_TEST_FUNCTIONS_BIN");
    return bin != NULL && *bin != '\0' ? bin : "build/bin/functions-test";
}

/*
 * The product functions compiled into functions-test check their configuration at
 * start-up when served (all-functions mode; functions/src/lib/config.c). Give them one
 * that passes without emulators or the metadata server, so the contract suite depends
 * on neither. A test's own env entries take precedence.
 */
static const char *const base_env[] = {
    "GOOGLE_CLOUD_PROJECT=demo-contract",
    "TRANSFORM_JOB_URL=http://127.0.0.1:9/transformPipelineJob",
    "TASKS_SERVICE_ACCOUNT=contract-test@demo-contract.iam.gserviceaccount.com",
    "SCHEDULER_SERVICE_ACCOUNT=contract-scheduler@demo-contract.iam.gserviceaccount.com",
    "SCHEDULER_AUDIENCE=http://127.0.0.1:9/cleanupStaleJobs",
    "FIRESTORE_EMULATOR_HOST",
    "CLOUD_TASKS_EMULATOR_HOST",
    "K_SERVICE", /* all-functions mode is refused on Cloud Run */
    NULL,
};

spawn_proc *ct_spawn_raw(const char *const args[], const char *const env[])
{
    const char *merged[64];
    spawn_env_merge(base_env, env, merged, sizeof(merged) / sizeof(merged[0]));
    spawn_proc *p = spawn_start(ct_bin(), args, merged);
    cr_assert_not_null(p, "cannot start %s", ct_bin());
    if (g_n_started < sizeof(g_started) / sizeof(g_started[0]))
        g_started[g_n_started++] = p;
    return p;
}

static void dump_stderr(spawn_proc *p)
{
    char *err = spawn_read_stderr(p, NULL);
    cr_log_error("server stderr: %s", err ? err : "(none)");
    free(err);
}

ct_server ct_start(const char *const args[], const char *const env[])
{
    ct_server s = {0};
    s.port = spawn_free_port();
    cr_assert_gt(s.port, 0, "no free port");
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    const char *argv[64] = {"--host", "127.0.0.1", "--port", port};
    size_t n = 4;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    s.proc = ct_spawn_raw(argv, env);
    if (spawn_wait_port(s.proc, s.port, READY_TIMEOUT_MS) != 0) {
        dump_stderr(s.proc);
        cr_assert_fail("server did not start listening on port %d", s.port);
    }
    snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d", s.port);
    return s;
}

int ct_stop(ct_server *s)
{
    return spawn_stop(s->proc, SIGTERM, STOP_TIMEOUT_MS);
}

char *ct_url(const ct_server *s, const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", s->base, path);
    return buf;
}

int ct_get(const ct_server *s, const char *path, th_response *res)
{
    return ct_send(s, "GET", path, NULL, NULL, 0, res);
}

int ct_send(const ct_server *s, const char *method, const char *path, const char *const headers[],
            const char *body, size_t body_len, th_response *res)
{
    char url[2048];
    th_request req = {.method = method,
                      .url = ct_url(s, path, url, sizeof(url)),
                      .headers = headers,
                      .body = body,
                      .body_len = body_len};
    return th_http(&req, res);
}

json_t *ct_body_json(const th_response *res)
{
    json_error_t err;
    json_t *j = json_loadb(res->body, res->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    cr_assert_not_null(j, "response body is not JSON (%s): %.200s", err.text, res->body);
    return j;
}

/* ---- log ---------------------------------------------------------------------------- */

size_t ct_count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    return n;
}

json_t *ct_log_entries(const ct_server *s)
{
    json_t *out = json_array();
    char *text = spawn_read_stdout(s->proc, NULL);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next == NULL)
            break; /* a partial last line is still being written */
        *next++ = '\0';
        json_t *j = json_loads(line, 0, NULL);
        if (json_is_object(j))
            json_array_append(out, j);
        json_decref(j);
    }
    free(text);
    return out;
}

static const char *message_of(const json_t *entry)
{
    const char *m = json_string_value(json_object_get(entry, "message"));
    return m ? m : "";
}

static size_t count_matching(const ct_server *s, const char *text, size_t cmp_len)
{
    json_t *entries = ct_log_entries(s), *e;
    size_t i, n = 0;
    json_array_foreach(entries, i, e) n += strncmp(message_of(e), text, cmp_len) == 0;
    json_decref(entries);
    return n;
}

size_t ct_log_count(const ct_server *s, const char *message)
{
    return count_matching(s, message, strlen(message) + 1);
}

size_t ct_log_count_prefix(const ct_server *s, const char *prefix)
{
    return count_matching(s, prefix, strlen(prefix));
}

json_t *ct_log_wait(const ct_server *s, const char *needle, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    for (;;) {
        json_t *entries = ct_log_entries(s), *e, *found = NULL;
        size_t i;
        json_array_foreach(entries, i, e)
        {
            if (found == NULL && strstr(message_of(e), needle) != NULL)
                found = json_incref(e);
        }
        json_decref(entries);
        if (found != NULL || spawn_now_ms() >= end)
            return found;
        spawn_sleep_ms(20);
    }
}
