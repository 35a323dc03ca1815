/*
 * test_access_log.c - the access-log entry written for every request
 * (ff_server_access_log): method, URL, status, latency in httpRequest, and severity
 * by status class, in both formats, and nothing built below the level.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../runtime/src/ff/log.h"
#include "../../runtime/src/ff/server.h"
#include "unit.h"

static ut_log g_log;

static void setup(void)
{
    ff_log_set_format(FF_LOG_JSON);
    ff_log_set_level(FF_DEBUG);
    ut_log_begin(&g_log);
}

static void teardown(void)
{
    ut_log_end(&g_log);
}

TestSuite(access_log, .init = setup, .fini = teardown);

/* Logs an access line for method+url with status and latency; returns the entry. */
static json_t *access_entry(const char *method, const char *url, int status, uint64_t latency_ms)
{
    ff_request *r = ut_request(method, url, NULL, 0, NULL);
    r->url = strdup(url);
    r->function = "fn";
    ff_server_access_log(r, status, latency_ms);
    ut_request_free(r);
    json_t *lines = ut_log_json_lines(&g_log);
    cr_assert_geq(json_array_size(lines), 1);
    json_t *e = json_incref(json_array_get(lines, json_array_size(lines) - 1));
    json_decref(lines);
    return e;
}

static json_t *http_of(json_t *e)
{
    json_t *h = json_object_get(e, "httpRequest");
    cr_assert(json_is_object(h), "no httpRequest in the access entry");
    return h;
}

Test(access_log, fields)
{
    json_t *e = access_entry("POST", "/fn/x?q=1", 201, 1234);
    json_t *h = http_of(e);
    cr_expect_str_eq(json_string_value(json_object_get(h, "requestMethod")), "POST");
    cr_expect_str_eq(json_string_value(json_object_get(h, "requestUrl")), "/fn/x?q=1");
    cr_expect_eq(json_integer_value(json_object_get(h, "status")), 201);
    cr_expect_str_eq(json_string_value(json_object_get(h, "latency")), "1.234s");
    cr_expect(strstr(json_string_value(json_object_get(e, "message")), "POST /fn/x?q=1 201") != NULL);
    cr_expect_str_eq(json_string_value(json_object_get(e, "function")), "fn");
    json_decref(e);
}

Test(access_log, severity_by_status)
{
    const int status[] = {200, 304, 404, 429, 500, 504};
    const char *sev[] = {"INFO", "INFO", "WARNING", "WARNING", "ERROR", "ERROR"};
    for (size_t i = 0; i < 6; i++) {
        json_t *e = access_entry("GET", "/", status[i], 0);
        cr_expect_str_eq(json_string_value(json_object_get(e, "severity")), sev[i], "status %d", status[i]);
        json_decref(e);
    }
}

/*
 * RUNTIME BUG (see the report): a request target with a byte that is not UTF-8 (h2o
 * accepts them) makes json_pack fail, so the access entry loses httpRequest and message.
 */
Test(access_log, non_utf8_url_still_logged)
{
    json_t *e = access_entry("GET", "/fn/\xff\xfe", 200, 3);
    json_t *h = json_object_get(e, "httpRequest");
    cr_expect(json_is_object(h), "no httpRequest for a URL with a non-UTF-8 byte");
    cr_expect_eq(json_integer_value(json_object_get(h, "status")), 200);
    cr_expect(json_is_string(json_object_get(e, "message")), "no message");
    json_decref(e);
}

Test(access_log, below_the_level_nothing_is_written)
{
    ff_log_set_level(FF_WARNING);
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    ff_server_access_log(r, 200, 1);
    cr_expect_str_eq(ut_log_text(&g_log), "", "a 200 entry written at WARNING");
    ff_server_access_log(r, 404, 1);
    ut_request_free(r);
    json_t *lines = ut_log_json_lines(&g_log);
    cr_expect_eq(json_array_size(lines), 1, "the 404 entry is written");
    json_decref(lines);
}

Test(access_log, text_format_keeps_http_request)
{
    ff_log_set_format(FF_LOG_TEXT);
    ff_request *r = ut_request("POST", "/fn\"x", NULL, 0, NULL);
    ff_server_access_log(r, 503, 2500);
    ut_request_free(r);
    const char *text = ut_log_text(&g_log);
    cr_expect(strstr(text, "ERROR") != NULL, "%s", text);
    cr_expect(strstr(text, "httpRequest={") != NULL, "%s", text);
    cr_expect(strstr(text, "\"latency\":\"2.500s\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\"requestUrl\":\"/fn") != NULL, "%s", text);
}
