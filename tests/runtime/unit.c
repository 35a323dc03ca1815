/*
 * unit.c - helpers shared by the runtime's unit suites (see unit.h).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/src/ff/log.h"
#include "unit.h"

ff_request *ut_request(const char *method, const char *target, const char *body, size_t body_len, ...)
{
    ff_request *req = calloc(1, sizeof(*req));
    cr_assert_not_null(req);
    cr_assert_eq(ff_request_init(req, method, strlen(method), target, strlen(target), body, body_len), 0);
    va_list ap;
    va_start(ap, body_len);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        cr_assert_eq(ff_kv_add(&req->headers, name, strlen(name), value, strlen(value)), 0);
    }
    va_end(ap);
    req->deadline_ms = ff_now_mono_ms() + 60000;
    return req;
}

void ut_request_free(ff_request *req)
{
    if (req == NULL)
        return;
    ff_request_dispose(req);
    free(req);
}

void ut_log_begin(ut_log *log)
{
    memset(log, 0, sizeof(*log));
    log->stream = open_memstream(&log->text, &log->len);
    cr_assert_not_null(log->stream);
    ff_log_set_stream(log->stream);
}

const char *ut_log_text(ut_log *log)
{
    fflush(log->stream);
    return log->text ? log->text : "";
}

json_t *ut_log_json_lines(ut_log *log)
{
    json_t *lines = json_array();
    const char *text = ut_log_text(log);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        cr_assert_eq(p[n], '\n', "log does not end with a newline: %s", p);
        json_error_t err;
        json_t *j = json_loadb(p, n, 0, &err);
        cr_assert(json_is_object(j), "not a JSON object (%s): %.*s", err.text, (int)n, p);
        json_array_append_new(lines, j);
        p += n + 1;
    }
    return lines;
}

void ut_log_end(ut_log *log)
{
    ff_log_set_stream(NULL);
    fclose(log->stream);
    free(log->text);
    memset(log, 0, sizeof(*log));
}
