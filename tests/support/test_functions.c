/*
 * test_functions.c - the contract suite's test functions (see test_functions.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_functions.h"

/* Echoes the request back as JSON so tests can check what the handler saw. */
static void echo(ff_request *req, ff_response *res)
{
    size_t len;
    const char *body = ff_req_body(req, &len);
    ff_error err = {0};
    json_t *parsed = ff_req_json(req, &err);
    const char *q = ff_req_query(req, "q");
    const char *h = ff_req_header(req, "X-Test");
    json_t *out =
        json_pack("{s:s, s:s, s:s?, s:I, s:s?, s:s%, s:O?, s:s?, s:s, s:s}", "method", ff_req_method(req),
                  "path", ff_req_path(req), "q", q, "qCount", (json_int_t)ff_req_query_count(req, "q"),
                  "xTest", h, "body", body, len, "json", parsed, "jsonError", parsed ? NULL : err.message,
                  "function", ff_req_function(req), "trace", ff_req_trace_id(req));
    ff_log_info(req, "echo");
    ff_res_header(res, "X-Echo", "1");
    ff_res_json(res, 200, out);
}

/* The trivial function benchmarks compare: a fixed short body. */
static void hello(ff_request *req, ff_response *res)
{
    ff_res_text(res, 200, "ok");
}

static int64_t query_ms(ff_request *req, int64_t dflt)
{
    const char *ms = ff_req_query(req, "ms");
    return ms ? atoll(ms) : dflt;
}

/* Sleeps ?ms= (default 1000) ignoring cancellation, unless ?cancellable=1. */
static void sleep_fn(ff_request *req, ff_response *res)
{
    int64_t ms = query_ms(req, 1000);
    int cancellable = ff_req_query(req, "cancellable") != NULL;
    int64_t start = ff_now_mono_ms();
    int cancelled = 0;
    if (cancellable) {
        cancelled = ff_req_sleep_ms(req, ms) != 0;
    } else {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        cancelled = ff_req_cancelled(req);
    }
    if (cancelled)
        ff_log_warn(req, "sleep observed cancellation");
    ff_res_json(
        res, 200,
        json_pack("{s:I, s:b}", "sleptMs", (json_int_t)(ff_now_mono_ms() - start), "cancelled", cancelled));
}

static void fail_fn(ff_request *req, ff_response *res)
{
    ff_log_error(req, "failing on purpose");
    ff_res_json(res, 500, json_pack("{s:s}", "error", "failed"));
}

static int event_fn(ff_request *req, const ff_cloudevent *ev)
{
    char *data = ev->data ? json_dumps(ev->data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    ff_log(req, FF_INFO,
           json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "ceId", ev->id, "ceType", ev->type, "ceSource",
                     ev->source, "ceSubject", ev->subject, "ceData", data),
           "event received");
    free(data);
    return strcmp(ev->type, "test.fail") == 0 ? -1 : 0;
}

/* Dies of the signal named by ?signal= (segv, abort, fpe, bus, ill), for the crash report. */
static void crash_fn(ff_request *req, ff_response *res)
{
    const char *sig = ff_req_query(req, "signal");
    ff_log_info(req, "crashing on purpose");
    if (sig != NULL && strcmp(sig, "abort") == 0)
        abort();
    if (sig != NULL && strcmp(sig, "fpe") == 0)
        raise(SIGFPE);
    if (sig != NULL && strcmp(sig, "bus") == 0)
        raise(SIGBUS);
    if (sig != NULL && strcmp(sig, "ill") == 0)
        raise(SIGILL);
    volatile uintptr_t nowhere = 16; /* unmapped, and not NULL (UBSan would stop at NULL) */
    *(volatile int *)nowhere = 1;    /* SIGSEGV */
    ff_res_text(res, 200, "survived\n");
}

/*
 * Keeps reading its function definition (name, userdata) every millisecond for ?ms=
 * (default 5000), cancellation or not: it outlives a short shutdown grace period, so a
 * runtime that freed the definitions at exit would be caught (under ASan).
 */
static void linger_fn(ff_request *req, ff_response *res)
{
    int64_t end = ff_now_mono_ms() + query_ms(req, 5000);
    size_t n = 0;
    ff_log_info(req, "lingering");
    while (ff_now_mono_ms() < end) {
        n += strlen(ff_req_function(req)) + (ff_req_userdata(req) != NULL);
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    ff_res_json(res, 200, json_pack("{s:I}", "reads", (json_int_t)n));
}

/* Answers the size of the body it got; registered with a small max_body. */
static void size_fn(ff_request *req, ff_response *res)
{
    size_t len;
    ff_req_body(req, &len);
    ff_res_json(res, 200, json_pack("{s:I}", "bytes", (json_int_t)len));
}

/* A typed function: {"payload": input}; an input {"fail": N} fails with status N. */
static json_t *typed_fn(ff_request *req, json_t *input, ff_error *err)
{
    json_t *fail = json_object_get(input, "fail");
    if (json_is_integer(fail)) {
        ff_error_set(err, (int)json_integer_value(fail), "failing on purpose with %d",
                     (int)json_integer_value(fail));
        return NULL;
    }
    return json_pack("{s:O}", "payload", input);
}

/* A legacy event function: logs what it got; eventType "test.fail" fails. */
static int legacy_fn(ff_request *req, json_t *data, json_t *context)
{
    ff_log(req, FF_INFO, json_pack("{s:O, s:O}", "eventData", data, "eventContext", context),
           "legacy event received");
    const char *type = json_string_value(json_object_get(context, "eventType"));
    return type != NULL && strcmp(type, "test.fail") == 0 ? -1 : 0;
}

/* What warmup_init saw when it tried to connect to the server's own port. */
static const char *g_connect_during_init = "not run";

/*
 * An init hook that checks the port is bound but refuses connections while it runs (the
 * warm-up guarantee), and refuses to start when FF_TEST_INIT_FAIL is set.
 */
static int warmup_init(void *userdata, ff_error *err)
{
    if (getenv("FF_TEST_INIT_FAIL") != NULL)
        return ff_error_set(err, -1, "warm-up failed on purpose");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ff_listen_port())};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ff_listen_port() == 0 || fd < 0)
        g_connect_during_init = "no port";
    else if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        g_connect_during_init = "accepted";
    else
        g_connect_during_init = errno == ECONNREFUSED ? "refused" : strerror(errno);
    if (fd >= 0)
        close(fd);
    return 0;
}

static void warmup_fn(ff_request *req, ff_response *res)
{
    ff_res_json(
        res, 200,
        json_pack("{s:s, s:i}", "connectDuringInit", g_connect_during_init, "port", ff_listen_port()));
}

int test_functions_register(ff_app *app, ff_error *err)
{
    const ff_function_def defs[] = {
        {.name = "echo", .signature = FF_SIGNATURE_HTTP, .http = echo, .cors = 1},
        {.name = "sleep", .signature = FF_SIGNATURE_HTTP, .http = sleep_fn, .max_concurrency = 64},
        {.name = "slow", .signature = FF_SIGNATURE_HTTP, .http = sleep_fn, .timeout_s = 1},
        {.name = "limited",
         .signature = FF_SIGNATURE_HTTP,
         .http = sleep_fn,
         .max_concurrency = 1,
         .max_queue = 1},
        {.name = "hello", .signature = FF_SIGNATURE_HTTP, .http = hello},
        {.name = "fail", .signature = FF_SIGNATURE_HTTP, .http = fail_fn},
        {.name = "event", .signature = FF_SIGNATURE_CLOUDEVENT, .cloudevent = event_fn},
        {.name = "crash", .signature = FF_SIGNATURE_HTTP, .http = crash_fn},
        {.name = "linger", .signature = FF_SIGNATURE_HTTP, .http = linger_fn, .userdata = (void *)app},
        {.name = "small", .signature = FF_SIGNATURE_HTTP, .http = size_fn, .max_body = 64 * 1024},
        {.name = "typed", .signature = FF_SIGNATURE_TYPED, .typed = typed_fn},
        {.name = "legacy", .signature = FF_SIGNATURE_EVENT, .event = legacy_fn},
        {.name = "warmup", .signature = FF_SIGNATURE_HTTP, .http = warmup_fn, .init = warmup_init},
    };
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (ff_register(app, &defs[i], err) != 0)
            return -1;
    return 0;
}
