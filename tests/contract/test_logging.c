/*
 * test_logging.c - the server's stdout: one Cloud Logging JSON object per line, an
 * access-log line per request (httpRequest), the trace field when a project is known,
 * LOG_FORMAT=text and LOG_LEVEL.
 */
#include <stdlib.h>
#include <string.h>

#include "contract.h"

TestSuite(logging, .fini = ct_fini, .timeout = 60);

#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"

static const char *const target_echo[] = {"--target", "echo", NULL};

static void get_ok(const ct_server *s, const char *path, const char *const headers[])
{
    th_response res;
    ct_send(s, "GET", path, headers, NULL, 0, &res);
    cr_assert_gt(res.status, 0, "GET %s failed (curl error %d)", path, res.error);
    th_response_free(&res);
}

/* The first entry whose message starts with prefix (new reference), waiting for it. */
static json_t *entry(const ct_server *s, const char *prefix)
{
    json_t *e = ct_log_wait(s, prefix, 3000);
    cr_assert_not_null(e, "no log entry '%s'", prefix);
    const char *m = json_string_value(json_object_get(e, "message"));
    cr_assert(strncmp(m, prefix, strlen(prefix)) == 0, "entry '%s' is not '%s...'", m, prefix);
    return e;
}

CT_TEST(logging, every_line_is_a_structured_json_object)
{
    ct_server s = ct_start(NULL, NULL);
    get_ok(&s, "/echo?q=1", NULL);
    get_ok(&s, "/fail", NULL);
    get_ok(&s, "/nope", NULL);
    json_decref(entry(&s, "GET /nope 404 "));
    cr_assert_eq(ct_stop(&s), 0);
    char *out = spawn_read_stdout(s.proc, NULL);
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"), lines++) {
        json_t *j = json_loads(line, 0, NULL);
        cr_expect(json_is_object(j), "not a JSON object: %s", line);
        const char *sev = json_string_value(json_object_get(j, "severity"));
        cr_expect(sev &&
                      (strcmp(sev, "INFO") == 0 || strcmp(sev, "WARNING") == 0 || strcmp(sev, "ERROR") == 0),
                  "severity %s in %s", sev ? sev : "(none)", line);
        cr_expect(json_is_string(json_object_get(j, "message")), "no message: %s", line);
        const char *time = json_string_value(json_object_get(j, "time"));
        cr_expect(time && strlen(time) >= 20 && time[4] == '-' && time[10] == 'T' &&
                      time[strlen(time) - 1] == 'Z',
                  "time is not RFC 3339 UTC: %s", line);
        json_decref(j);
    }
    free(out);
    cr_expect_geq(lines, 7, "serving + echo + 3 access + fail + shutdown lines; got %zu", lines);
}

CT_TEST(logging, access_log_line_per_request)
{
    ct_server s = ct_start(NULL, NULL);
    get_ok(&s, "/echo/x?q=1", NULL);
    get_ok(&s, "/fail", NULL);
    json_t *e = entry(&s, "GET /echo/x?q=1 200 ");
    json_t *http = json_object_get(e, "httpRequest");
    cr_assert(json_is_object(http), "no httpRequest object");
    cr_expect_str_eq(json_string_value(json_object_get(http, "requestMethod")), "GET");
    cr_expect_str_eq(json_string_value(json_object_get(http, "requestUrl")), "/echo/x?q=1");
    cr_expect_eq(json_integer_value(json_object_get(http, "status")), 200);
    const char *latency = json_string_value(json_object_get(http, "latency"));
    cr_expect(latency && latency[strlen(latency) - 1] == 's' && strtod(latency, NULL) >= 0,
              "latency is not a duration: %s", latency ? latency : "(none)");
    cr_expect_str_eq(json_string_value(json_object_get(e, "severity")), "INFO");
    json_decref(e);
    e = entry(&s, "GET /fail 500 ");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(e, "httpRequest"), "status")), 500);
    cr_expect_str_eq(json_string_value(json_object_get(e, "severity")), "ERROR");
    json_decref(e);
    cr_expect_eq(ct_log_count_prefix(&s, "GET /echo/x?q=1 "), 1, "one access line per request");
}

CT_TEST(logging, access_log_latency_measures_the_handler)
{
    ct_server s = ct_start(NULL, NULL);
    get_ok(&s, "/sleep?ms=300", NULL);
    json_t *e = ct_log_wait(&s, "GET /sleep?ms=300 200", 3000);
    cr_assert_not_null(e);
    const char *latency = json_string_value(json_object_get(json_object_get(e, "httpRequest"), "latency"));
    cr_assert_not_null(latency);
    double secs = strtod(latency, NULL);
    cr_expect(secs >= 0.29 && secs < 2.0, "latency %s for a 300 ms handler", latency);
    json_decref(e);
}

CT_TEST(logging, trace_field_with_project)
{
    const char *env[] = {"GOOGLE_CLOUD_PROJECT=demo-proj", NULL};
    ct_server s = ct_start(target_echo, env);
    const char *cloud[] = {"X-Cloud-Trace-Context: " TRACE_ID "/1;o=1", NULL};
    get_ok(&s, "/echo", cloud);
    json_t *e = entry(&s, "echo");
    cr_expect_str_eq(json_string_value(json_object_get(e, "logging.googleapis.com/trace")),
                     "projects/demo-proj/traces/" TRACE_ID);
    cr_expect_str_eq(json_string_value(json_object_get(e, "function")), "echo");
    json_decref(e);
}

CT_TEST(logging, trace_field_from_traceparent)
{
    const char *env[] = {"GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT=legacy-proj", NULL};
    ct_server s = ct_start(target_echo, env);
    const char *tp[] = {"traceparent: 00-" TRACE_ID "-00f067aa0ba902b7-01", NULL};
    get_ok(&s, "/echo", tp);
    json_t *e = entry(&s, "GET /echo 200 ");
    cr_expect_str_eq(json_string_value(json_object_get(e, "logging.googleapis.com/trace")),
                     "projects/legacy-proj/traces/" TRACE_ID);
    json_decref(e);
}

CT_TEST(logging, no_trace_field_without_project)
{
    const char *env[] = {"GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", NULL};
    ct_server s = ct_start(target_echo, env); /* no project: keep the product functions out */
    const char *cloud[] = {"X-Cloud-Trace-Context: " TRACE_ID "/1;o=1", NULL};
    th_response res;
    ct_send(&s, "GET", "/echo", cloud, NULL, 0, &res);
    json_t *body = ct_body_json(&res);
    cr_expect_str_eq(json_string_value(json_object_get(body, "trace")), TRACE_ID, "handler saw no trace ID");
    json_decref(body);
    th_response_free(&res);
    json_t *e = entry(&s, "echo");
    cr_expect_null(json_object_get(e, "logging.googleapis.com/trace"));
    json_decref(e);
}

CT_TEST(logging, text_format)
{
    const char *env[] = {"LOG_FORMAT=text", NULL};
    ct_server s = ct_start(NULL, env);
    get_ok(&s, "/echo", NULL);
    cr_assert_eq(spawn_wait_stdout(s.proc, "GET /echo 200", 3000), 0, "no access line");
    char *out = spawn_read_stdout(s.proc, NULL);
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        cr_expect(line[0] != '{', "JSON line in text mode: %s", line);
        if (strstr(line, "GET /echo 200") != NULL)
            cr_expect(strstr(line, "INFO") != NULL && strstr(line, "[echo]") != NULL, "line: %s", line);
    }
    free(out);
}

CT_TEST(logging, log_level_filters)
{
    const char *env[] = {"LOG_LEVEL=ERROR", NULL};
    ct_server s = ct_start(NULL, env);
    get_ok(&s, "/echo", NULL);
    get_ok(&s, "/fail", NULL);
    json_decref(entry(&s, "failing on purpose"));
    json_decref(entry(&s, "GET /fail 500 "));
    json_t *entries = ct_log_entries(&s), *e;
    size_t i;
    json_array_foreach(entries, i, e)
    {
        const char *sev = json_string_value(json_object_get(e, "severity"));
        cr_expect(sev && (strcmp(sev, "ERROR") == 0 || strcmp(sev, "CRITICAL") == 0), "%s line logged: %s",
                  sev ? sev : "?", json_string_value(json_object_get(e, "message")));
    }
    json_decref(entries);
    cr_expect_eq(ct_log_count(&s, "echo"), 0);
}
