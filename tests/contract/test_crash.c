/*
 * test_crash.c - the crash report: a function that dies of a fatal signal makes the
 * server write one CRITICAL structured line (a Cloud Error Reporting event naming the
 * signal, every invocation in flight with its function and trace, and a backtrace)
 * before the process dies of that same signal, so the platform restarts the instance.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

TestSuite(crash, .fini = ct_fini, .timeout = 60);

#define TRACE "0af7651916cd43dd8448eb211c80319c"

/* The one CRITICAL entry of the server's log (new reference); asserts there is exactly one. */
static json_t *crash_entry(const ct_server *s)
{
    json_t *entries = ct_log_entries(s), *e, *found = NULL;
    size_t i, n = 0;
    json_array_foreach(entries, i, e)
    {
        const char *sev = json_string_value(json_object_get(e, "severity"));
        if (sev != NULL && strcmp(sev, "CRITICAL") == 0) {
            n++;
            found = e;
        }
    }
    cr_assert_eq(n, 1, "%zu CRITICAL entries, expected one", n);
    json_incref(found);
    json_decref(entries);
    char *line = json_dumps(found, JSON_COMPACT);
    cr_log_info("crash report: %s", line);
    free(line);
    return found;
}

/* The inflight entry of function fn, or NULL. */
static json_t *inflight(json_t *report, const char *fn)
{
    json_t *list = json_object_get(report, "inflight"), *e;
    size_t i;
    json_array_foreach(list, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "function")), fn) == 0)
            return e;
    }
    return NULL;
}

/* Under ASan (make test-asan) the sanitizer's own fatal-signal reports stand aside. */
static const char *const let_the_runtime_report[] = {
    "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:"
    "allow_user_segv_handler=1",
    NULL};

static void crash_with(const char *signal_name, int sig)
{
    ct_server s = ct_start(NULL, let_the_runtime_report);
    const char *sleep_h[] = {"X-Cloud-Trace-Context: 11111111111111111111111111111111/1;o=1", NULL};
    char url[128], crash_path[64];
    th_request sleeper = {.url = ct_url(&s, "/linger?ms=5000", url, sizeof(url)), .headers = sleep_h};
    th_async *a = th_async_start(&sleeper);
    json_t *started = ct_log_wait(&s, "lingering", 5000);
    cr_assert_not_null(started, "the other invocation did not start");
    json_decref(started);
    const char *h[] = {"X-Cloud-Trace-Context: " TRACE "/1;o=1", NULL};
    snprintf(crash_path, sizeof(crash_path), "/crash?signal=%s", signal_name);
    th_response res;
    ct_send(&s, "GET", crash_path, h, NULL, 0, &res);
    cr_expect_eq(res.status, 0, "a crashed server answered %ld", res.status);
    th_response_free(&res);
    int st = spawn_wait(s.proc, 10000);
    cr_expect_eq(st, SPAWN_SIGNALED(sig), "exit status %d, expected death by signal %d", st, sig);
    th_async_join(a, &res);
    th_response_free(&res);

    json_t *r = crash_entry(&s);
    const char *type = json_string_value(json_object_get(r, "@type"));
    cr_expect_str_eq(type ? type : "",
                     "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent");
    cr_expect_str_eq(json_string_value(json_object_get(r, "signal")),
                     signal_name[0] == 'a' ? "SIGABRT" : "SIGSEGV");
    cr_expect_str_eq(json_string_value(json_object_get(r, "function")), "crash");
    cr_expect_str_eq(json_string_value(json_object_get(r, "logging.googleapis.com/trace")),
                     "projects/demo-contract/traces/" TRACE);
    const char *msg = json_string_value(json_object_get(r, "message"));
    cr_expect(msg != NULL && strncmp(msg, "crash: SIG", 10) == 0, "message: %s", msg);
    cr_expect(msg != NULL && strstr(msg, "\n    at ") != NULL, "no backtrace in the message: %s", msg);
    cr_expect_gt(json_array_size(json_object_get(r, "backtrace")), 2);
    json_t *c = inflight(r, "crash"), *z = inflight(r, "linger");
    cr_assert_not_null(c, "the crashing invocation is not listed");
    cr_expect_str_eq(json_string_value(json_object_get(c, "trace")), TRACE);
    cr_expect(json_is_true(json_object_get(c, "crashed")));
    cr_assert_not_null(z, "the other invocation in flight is not listed");
    cr_expect_str_eq(json_string_value(json_object_get(z, "trace")), "11111111111111111111111111111111");
    cr_expect(json_is_false(json_object_get(z, "crashed")));
    json_decref(r);
}

CT_TEST(crash, segfault_is_reported_and_reraised)
{
    crash_with("segv", SIGSEGV);
}

CT_TEST(crash, abort_is_reported_and_reraised)
{
    crash_with("abort", SIGABRT);
}
