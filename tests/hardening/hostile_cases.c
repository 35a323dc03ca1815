/*
 * hostile_cases.c - the hostile-input table (see hostile.h): what each request is and
 * what the server must answer, plus the builders of requests too big or too broken to
 * write inline.
 *
 * Contract choices the rows pin down (beyond the table of docs/contract.md):
 *   - Content-Type: the TypeScript onRequest / onTaskDispatched parse the body as JSON
 *     only for application/json (any parameters, any case); with another type or none
 *     the body stays unparsed there and validation fails. Same here: 400
 *     INVALID_REQUEST, even when the bytes happen to be valid JSON.
 *   - Duplicate keys are refused (400) rather than "last one wins": an ID must not
 *     depend on which of two values a parser keeps.
 *   - IDs are 1..128 characters of [A-Za-z0-9_-] (longer: 400); one of 128 is looked up
 *     like any other: 404 SESSION_NOT_FOUND / a skipped task, never a 500.
 *   - transformPipelineJob is POST only, like startTransformPipeline: 405.
 *   - A query value that decodes to a NUL byte is never read as the text before it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hostile.h"

#define MIB (1024u * 1024u)

#define NOSUCH_START "{\"sessionId\":\"nosuch\",\"stepId\":\"step-1\"}"
#define NOSUCH_TASK  "{\"data\":{\"jobId\":\"nosuch\",\"sessionId\":\"s1\",\"projectId\":\"p1\"}}"
#define TASK(job, session, project)                                                                          \
    "{\"data\":{\"jobId\":" job ",\"sessionId\":" session ",\"projectId\":" project "}}"

char *hx_path(const hx_case *c, const char *query)
{
    char *out = NULL;
    if (c->fn == HX_TASK)
        return strdup("/transformPipelineJob");
    if (asprintf(&out, "/startTransformPipeline%s%s", *query ? "?" : "", query) < 0)
        return NULL;
    return out;
}

/* ---- builders ---------------------------------------------------------------------------- */

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static char *format(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *format(size_t *len, const char *fmt, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    cr_assert_geq(n, 0, "out of memory");
    if (len)
        *len = (size_t)n;
    return out;
}

/* The row's function with an ID of c->arg bytes: sessionId (start) or jobId (task). */
static void b_long_id(const hx_case *c, hx_req *r)
{
    char *id = repeat('a', c->arg);
    if (c->fn == HX_START)
        r->body = format(&r->body_len, "{\"sessionId\":\"%s\",\"stepId\":\"step-1\"}", id);
    else
        r->body = format(&r->body_len, TASK("\"%s\"", "\"s1\"", "\"p1\""), id);
    free(id);
}

/* ?projectId=<c->arg bytes> */
static void b_long_project(const hx_case *c, hx_req *r)
{
    char *id = repeat('p', c->arg);
    r->query = format(NULL, "projectId=%s", id);
    free(id);
}

/* c->arg levels of `open`, then 1, then as many `close`. */
static void nest(const hx_case *c, hx_req *r, const char *open, char close)
{
    size_t w = strlen(open), n = c->arg;
    r->body_len = n * (w + 1) + 1;
    r->body = malloc(r->body_len + 1);
    cr_assert_not_null(r->body);
    for (size_t i = 0; i < n; i++)
        memcpy(r->body + i * w, open, w);
    r->body[n * w] = '1';
    memset(r->body + n * w + 1, close, n);
    r->body[r->body_len] = '\0';
}

static void b_nested_arrays(const hx_case *c, hx_req *r)
{
    nest(c, r, "[", ']');
}

static void b_nested_objects(const hx_case *c, hx_req *r)
{
    nest(c, r, "{\"a\":", '}');
}

/* The row's valid body padded to c->arg bytes with an extra string field. */
static void b_padded(const hx_case *c, hx_req *r)
{
    const char *valid = c->fn == HX_START ? HW_START_BODY : HW_TASK_BODY;
    size_t vlen = strlen(valid), pad = c->arg - vlen - 10; /* ,"pad":"" */
    r->body = malloc(c->arg + 1);
    cr_assert_not_null(r->body);
    memcpy(r->body, valid, vlen - 1);
    size_t n = vlen - 1;
    memcpy(r->body + n, ",\"pad\":\"", 8);
    n += 8;
    memset(r->body + n, 'x', pad);
    n += pad;
    memcpy(r->body + n, "\"}", 2);
    r->body_len = n + 2;
    r->body[r->body_len] = '\0';
}

/* The ID carries a raw NUL byte (not the \u0000 escape). */
static void b_raw_nul(const hx_case *c, hx_req *r)
{
    r->body = format(&r->body_len, c->fn == HX_START ? "{\"sessionId\":\"s1#x\",\"stepId\":\"step-1\"}"
                                                     : TASK("\"j1#x\"", "\"s1\"", "\"p1\""));
    *strchr(r->body, '#') = '\0';
}

/* ---- raw requests ------------------------------------------------------------------------- */

/* Request line and the usual headers, followed by `extra` header lines and the blank line. */
static char *head(const hx_case *c, const char *extra)
{
    char *path = hx_path(c, c->query ? c->query : "projectId=" HW_PROJECT);
    char *h = format(NULL, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n%s\r\n",
                     c->method ? c->method : "POST", path, c->ctype ? c->ctype : "application/json", extra);
    free(path);
    return h;
}

static const char *valid_body(const hx_case *c)
{
    return c->body ? c->body : c->fn == HX_START ? HW_START_BODY : HW_TASK_BODY;
}

/* Content-Length says c->arg bytes more than are sent (short), or only c->arg bytes (long). */
static void r_short_body(const hx_case *c, hx_req *r)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", strlen(valid_body(c)) + c->arg);
    char *h = head(c, extra);
    r->raw = format(&r->raw_len, "%s%s", h, valid_body(c));
    free(h);
}

static void r_long_body(const hx_case *c, hx_req *r)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", c->arg);
    char *h = head(c, extra);
    r->raw = format(&r->raw_len, "%s%s", h, valid_body(c));
    free(h);
}

/* The body in chunks of c->arg bytes (a valid chunked upload), after `extra` headers. */
static void chunked(const hx_case *c, hx_req *r, const char *extra)
{
    const char *body = valid_body(c);
    char *h = head(c, extra);
    size_t len = strlen(body);
    char *out = format(NULL, "%s", h);
    for (size_t at = 0; at < len; at += c->arg) {
        size_t n = len - at < c->arg ? len - at : c->arg;
        char *next = format(NULL, "%s%zx\r\n%.*s\r\n", out, n, (int)n, body + at);
        free(out);
        out = next;
    }
    r->raw = format(&r->raw_len, "%s0\r\n\r\n", out);
    free(out);
    free(h);
}

static void r_chunked(const hx_case *c, hx_req *r)
{
    chunked(c, r, "Transfer-Encoding: chunked\r\n");
}

/* Both framings: Transfer-Encoding wins (RFC 9112 6.3), the Content-Length is ignored. */
static void r_chunked_and_length(const hx_case *c, hx_req *r)
{
    chunked(c, r, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
}

/* Broken chunking: c->body is everything after the headers. */
static void r_bad_chunks(const hx_case *c, hx_req *r)
{
    char *h = head(c, "Transfer-Encoding: chunked\r\n");
    r->raw = format(&r->raw_len, "%s%s", h, c->body);
    free(h);
}

/* c->arg extra headers "X-Flood-N: v". */
static void r_header_flood(const hx_case *c, hx_req *r)
{
    size_t cap = c->arg * 24 + 64, n = 0;
    char *extra = malloc(cap);
    cr_assert_not_null(extra);
    for (size_t i = 0; i < c->arg; i++)
        n += (size_t)snprintf(extra + n, cap - n, "X-Flood-%zu: v\r\n", i);
    snprintf(extra + n, cap - n, "Content-Length: %zu\r\n", strlen(valid_body(c)));
    char *h = head(c, extra);
    r->raw = format(&r->raw_len, "%s%s", h, valid_body(c));
    free(h);
    free(extra);
}

/* One header of c->arg bytes. */
static void r_huge_header(const hx_case *c, hx_req *r)
{
    char *v = repeat('h', c->arg);
    char *extra = format(NULL, "X-Huge: %s\r\nContent-Length: %zu\r\n", v, strlen(valid_body(c)));
    char *h = head(c, extra);
    r->raw = format(&r->raw_len, "%s%s", h, valid_body(c));
    free(h);
    free(extra);
    free(v);
}

/* ---- the table ----------------------------------------------------------------------------- */

/* clang-format off */
#define S(...) {.fn = HX_START, __VA_ARGS__}
#define T(...) {.fn = HX_TASK, __VA_ARGS__}
/* clang-format on */
#define BAD .status = 400, .code = "INVALID_REQUEST"

const hx_case hx_cases[] = {
    /* ---- startTransformPipeline: the body ---- */
    S(.name = "start: empty body", .body = "", BAD),
    S(.name = "start: not JSON", .body = "{sessionId: s1, stepId: x}", BAD),
    S(.name = "start: truncated JSON", .body = "{\"sessionId\":\"s1\",", BAD),
    S(.name = "start: JSON array", .body = "[\"s1\",\"step-1\"]", BAD),
    S(.name = "start: JSON string", .body = "\"s1\"", BAD),
    S(.name = "start: JSON number", .body = "42", BAD),
    S(.name = "start: JSON null", .body = "null", BAD),
    S(.name = "start: null fields", .body = "{\"sessionId\":null,\"stepId\":null}", BAD),
    S(.name = "start: sessionId number", .body = "{\"sessionId\":1,\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId object", .body = "{\"sessionId\":{\"$ne\":null},\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: stepId array", .body = "{\"sessionId\":\"s1\",\"stepId\":[\"step-1\"]}", BAD),
    S(.name = "start: stepId object", .body = "{\"sessionId\":\"s1\",\"stepId\":{}}", BAD),
    S(.name = "start: sessionId empty", .body = "{\"sessionId\":\"\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: stepId empty", .body = "{\"sessionId\":\"s1\",\"stepId\":\"\"}", BAD),
    S(.name = "start: sessionId missing", .body = "{\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: stepId missing", .body = "{\"sessionId\":\"s1\"}", BAD),
    S(.name = "start: sessionId with /", .body = "{\"sessionId\":\"s1/../s1\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId ..", .body = "{\"sessionId\":\"..\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId .", .body = "{\"sessionId\":\".\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId __x__", .body = "{\"sessionId\":\"__x__\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId with \\u0000", .body = "{\"sessionId\":\"s1\\u0000x\",\"stepId\":\"step-1\"}",
      BAD),
    S(.name = "start: sessionId with a raw NUL", .build = b_raw_nul, BAD),
    S(.name = "start: invalid UTF-8", .body = "{\"sessionId\":\"s\xff\xfe\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: overlong UTF-8 slash", .body = "{\"sessionId\":\"s1\xc0\xafx\",\"stepId\":\"step-1\"}",
      BAD),
    S(.name = "start: lone surrogate", .body = "{\"sessionId\":\"s\\ud800\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: sessionId 2 KB", .build = b_long_id, .arg = 2048, BAD),
    /* Past the function's 4 KiB body limit: refused from Content-Length, unread. */
    S(.name = "start: sessionId 1 MB", .build = b_long_id, .arg = MIB, .status = 413),
    S(.name = "start: sessionId 129 bytes", .build = b_long_id, .arg = 129, BAD),
    S(.name = "start: sessionId 128 bytes (a valid ID)", .build = b_long_id, .arg = 128, .status = 404,
      .code = "SESSION_NOT_FOUND"),
    S(.name = "start: 100000 nested arrays", .build = b_nested_arrays, .arg = 100000, .status = 413),
    S(.name = "start: 100000 nested objects", .build = b_nested_objects, .arg = 100000, .status = 413),
    S(.name = "start: 2000 nested arrays (within the body limit)", .build = b_nested_arrays, .arg = 2000,
      BAD),
    S(.name = "start: 600 nested objects (within the body limit)", .build = b_nested_objects, .arg = 600,
      BAD),
    S(.name = "start: duplicate sessionId",
      .body = "{\"sessionId\":\"s1\",\"sessionId\":\"s1/x\",\"stepId\":\"step-1\"}", BAD),
    S(.name = "start: projectId in the body only", .query = "",
      .body = "{\"sessionId\":\"s1\",\"stepId\":\"step-1\",\"projectId\":\"p1\"}", BAD),
    /* ---- startTransformPipeline: the query ---- */
    S(.name = "start: projectId missing", .query = "", BAD),
    S(.name = "start: projectId empty", .query = "projectId=", BAD),
    S(.name = "start: projectId repeated", .query = "projectId=p1&projectId=p1", BAD),
    S(.name = "start: projectId path-like", .query = "projectId=p1/sessions/s1", BAD),
    S(.name = "start: projectId %2F", .query = "projectId=p1%2Fsessions%2Fs1", BAD),
    S(.name = "start: projectId %2E%2E", .query = "projectId=%2E%2E", BAD),
    S(.name = "start: projectId __x__", .query = "projectId=__x__", BAD),
    S(.name = "start: projectId %00", .query = "projectId=p1%00x", BAD),
    S(.name = "start: projectId invalid UTF-8", .query = "projectId=%FF%FE", BAD),
    S(.name = "start: projectId 2 KB", .build = b_long_project, .arg = 2048, BAD),
    S(.name = "start: projectId 129 bytes", .build = b_long_project, .arg = 129, BAD),
    S(.name = "start: projectId 128 bytes (a valid ID)", .build = b_long_project, .arg = 128, .status = 404,
      .code = "SESSION_NOT_FOUND"),
    /* ---- startTransformPipeline: framing, headers, methods ---- */
    S(.name = "start: 20 MiB body", .build = b_padded, .arg = 20 * MIB, .status = 413),
    S(.name = "start: body shorter than Content-Length", .build = r_short_body, .arg = 100,
      .status = HX_CLOSED),
    S(.name = "start: body longer than Content-Length", .build = r_long_body, .arg = 10, BAD),
    S(.name = "start: chunked body", .build = r_chunked, .arg = 7, .body = NOSUCH_START,
      .ctype = "Application/JSON; charset=utf-8", .status = 404, .code = "SESSION_NOT_FOUND"),
    S(.name = "start: chunked + Content-Length", .build = r_chunked_and_length, .arg = 7,
      .body = NOSUCH_START, .status = 404, .code = "SESSION_NOT_FOUND"),
    S(.name = "start: chunk size not hex", .build = r_bad_chunks, .body = "zz\r\n{}\r\n0\r\n\r\n",
      .status = 400),
    S(.name = "start: chunk longer than its size", .build = r_bad_chunks, .body = "2\r\n{}}}}\r\n0\r\n\r\n",
      .status = 400),
    S(.name = "start: chunk size overflow", .build = r_bad_chunks, .body = "fffffffffffffffffff\r\n{}\r\n",
      .status = 400),
    S(.name = "start: Content-Type text/plain", .ctype = "text/plain", BAD),
    S(.name = "start: no Content-Type", .ctype = "", BAD),
    S(.name = "start: form-urlencoded", .ctype = "application/x-www-form-urlencoded",
      .body = "sessionId=s1&stepId=step-1", BAD),
    S(.name = "start: GET", .method = "GET", .status = 405, .code = "INVALID_REQUEST"),
    S(.name = "start: PUT", .method = "PUT", .status = 405, .code = "INVALID_REQUEST"),
    S(.name = "start: DELETE", .method = "DELETE", .status = 405, .code = "INVALID_REQUEST"),
    S(.name = "start: PATCH", .method = "PATCH", .status = 405, .code = "INVALID_REQUEST"),
    S(.name = "start: OPTIONS (not a preflight)", .method = "OPTIONS", .status = 405,
      .code = "INVALID_REQUEST"),
    S(.name = "start: unknown method", .method = "BREW", .status = 405, .code = "INVALID_REQUEST"),
    S(.name = "start: 5000 headers", .build = r_header_flood, .arg = 5000, .status = HX_4XX_OR_CLOSE),
    S(.name = "start: one 1 MB header", .build = r_huge_header, .arg = MIB, .status = HX_4XX_OR_CLOSE),
    /* ---- transformPipelineJob ---- */
    T(.name = "task: empty body", .body = "", BAD),
    T(.name = "task: not JSON", .body = "data=j1", BAD),
    T(.name = "task: JSON array", .body = "[{\"jobId\":\"j1\"}]", BAD),
    T(.name = "task: JSON string", .body = "\"j1\"", BAD),
    T(.name = "task: JSON number", .body = "1", BAD),
    T(.name = "task: no data wrapper", .body = "{\"jobId\":\"j1\",\"sessionId\":\"s1\",\"projectId\":\"p1\"}",
      BAD),
    T(.name = "task: data null", .body = "{\"data\":null}", BAD),
    T(.name = "task: data string", .body = "{\"data\":\"j1\"}", BAD),
    T(.name = "task: data nested twice", .body = "{\"data\":" HW_TASK_BODY "}", BAD),
    T(.name = "task: null fields", .body = TASK("null", "null", "null"), BAD),
    T(.name = "task: jobId number", .body = TASK("1", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId object", .body = TASK("{\"$gt\":\"\"}", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId empty", .body = TASK("\"\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: projectId missing", .body = "{\"data\":{\"jobId\":\"j1\",\"sessionId\":\"s1\"}}", BAD),
    T(.name = "task: jobId with /", .body = TASK("\"j1/x\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId ..", .body = TASK("\"..\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId .", .body = TASK("\".\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId __x__", .body = TASK("\"__x__\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId with \\u0000", .body = TASK("\"j1\\u0000x\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId with a raw NUL", .build = b_raw_nul, BAD),
    T(.name = "task: projectId path-like", .body = TASK("\"j1\"", "\"s1\"", "\"p1/jobs/j1\""), BAD),
    T(.name = "task: invalid UTF-8", .body = TASK("\"j1\xff\"", "\"s1\"", "\"p1\""), BAD),
    T(.name = "task: jobId 2 KB", .build = b_long_id, .arg = 2048, BAD),
    T(.name = "task: jobId 1 MB", .build = b_long_id, .arg = MIB, .status = 413),
    T(.name = "task: jobId 129 bytes", .build = b_long_id, .arg = 129, BAD),
    T(.name = "task: jobId 128 bytes (a valid ID)", .build = b_long_id, .arg = 128, .status = 200),
    T(.name = "task: 100000 nested arrays", .build = b_nested_arrays, .arg = 100000, .status = 413),
    T(.name = "task: 2000 nested arrays (within the body limit)", .build = b_nested_arrays, .arg = 2000, BAD),
    T(.name = "task: duplicate jobId",
      .body = "{\"data\":{\"jobId\":\"nosuch\",\"jobId\":\"j1\",\"sessionId\":\"s1\","
              "\"projectId\":\"p1\"}}",
      BAD),
    T(.name = "task: job of another session", .body = TASK("\"j1\"", "\"s2\"", "\"p1\""), BAD),
    T(.name = "task: job of another project", .body = TASK("\"j1\"", "\"s1\"", "\"p2\""), .status = 200),
    T(.name = "task: Content-Type text/plain", .ctype = "text/plain", BAD),
    T(.name = "task: GET", .method = "GET", .status = 405, .code = "INVALID_REQUEST"),
    T(.name = "task: PUT", .method = "PUT", .status = 405, .code = "INVALID_REQUEST"),
    T(.name = "task: 20 MiB body", .build = b_padded, .arg = 20 * MIB, .status = 413),
    T(.name = "task: body shorter than Content-Length", .build = r_short_body, .arg = 1, .status = HX_CLOSED),
    T(.name = "task: chunked body", .build = r_chunked, .arg = 5, .body = NOSUCH_TASK, .status = 200),
    T(.name = "task: chunk size not hex", .build = r_bad_chunks, .body = "-1\r\n{}\r\n0\r\n\r\n",
      .status = 400),
};
const size_t hx_n_cases = sizeof(hx_cases) / sizeof(hx_cases[0]);
