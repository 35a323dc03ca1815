/*
 * fuzz_http_request.c - libFuzzer harness for the HTTP request -> handler path, offline.
 *
 * The input is read as "METHOD TARGET\nName: value\n...\n\nbody" (harness_util.h). It
 * builds an ff_request from it, exercises every request accessor (query decoding,
 * headers, body, cached JSON, trace ID) and the response setters, runs the request
 * schemas (tp_start_request_parse, tp_job_payload_parse, tp_check_id), and then invokes
 * the real startTransformPipeline and transformPipelineJob handlers through
 * ff_invoke_local whenever they answer before touching the network:
 *   - startTransformPipeline always: the Authorization header is stripped and auth is
 *     required, so a valid request stops at 401 and never reaches Firestore;
 *   - transformPipelineJob only when the payload is invalid (a valid one would read the
 *     job from Firestore).
 * Properties checked (a violation traps): the handlers' status matches the validation
 * outcome predicted from the request line (405 / 400 / 401), every error answer is a
 * JSON object {"success": false, "error": {...}}, parse successes yield non-empty IDs
 * without '/', a JSON body written with ff_res_json reads back equal, and every line the
 * handlers log is a JSON object with a severity and a message.
 * FIRESTORE_EMULATOR_HOST points at 127.0.0.1:1 (nothing listens) as a safety net.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gcp/firestore.h"
#include "harness_util.h"
#include "index.h"
#include "lib/schemas/transform_pipeline.h"

static ff_app *g_app;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("AUTH_REQUIRED", "1", 1);
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1);
    setenv("GOOGLE_CLOUD_PROJECT", "demo-fuzz", 1);
    unsetenv("FIREBASE_AUTH_EMULATOR_HOST");
    unsetenv("CLOUD_TASKS_EMULATOR_HOST");
    fz_quiet_logs();
    ff_error err = {0};
    g_app = ff_app_new();
    if (g_app == NULL || functions_register(g_app, &err) != 0)
        fz_fail(__FILE__, __LINE__, "cannot register the functions");
    return 0;
}

/* A parsed ID must be usable as one Firestore document ID. */
static void check_id(const char *id)
{
    FZ_ASSERT(id != NULL && id[0] != '\0', "parsed ID is empty");
    FZ_ASSERT(strchr(id, '/') == NULL, "parsed ID contains '/'");
    FZ_ASSERT(fs_check_collection_path(id, NULL) == 0, "parsed ID is not a valid segment");
}

static void run_schemas(json_t *json)
{
    ff_error err = {0};
    tp_start_request start;
    if (tp_start_request_parse(json, &start, &err) == 0) {
        check_id(start.session_id);
        FZ_ASSERT(start.step_id != NULL && start.step_id[0] != '\0', "stepId accepted empty");
    }
    tp_job_payload job;
    if (tp_job_payload_parse(json, &job, &err) == 0) {
        check_id(job.job_id);
        check_id(job.session_id);
        check_id(job.project_id);
    }
}

/* The response setters with request-derived data; a JSON body must read back equal. */
static void exercise_response(ff_request *req, json_t *json)
{
    ff_response res;
    ff_response_init(&res);
    for (size_t i = 0; i < req->headers.len; i++)
        ff_res_header(&res, req->headers.items[i].name, req->headers.items[i].value);
    ff_res_bytes(&res, 201, "application/octet-stream", req->body, req->body_len);
    FZ_ASSERT(res.body_len == req->body_len && memcmp(res.body, req->body, req->body_len) == 0,
              "ff_res_bytes changed the body");
    if (json != NULL) {
        ff_res_json(&res, 202, json_deep_copy(json));
        json_t *back = json_loadb(res.body, res.body_len, JSON_DECODE_ANY, NULL);
        FZ_ASSERT(res.status == 202, "ff_res_json did not set the status");
        FZ_ASSERT(back != NULL && json_equal(back, json), "ff_res_json body does not read back equal");
        json_decref(back);
    }
    size_t content_types = 0;
    for (size_t i = 0; i < res.headers.len; i++) {
        FZ_ASSERT(strcasecmp(res.headers.items[i].name, "content-length") != 0, "Content-Length kept");
        content_types += strcasecmp(res.headers.items[i].name, "content-type") == 0;
    }
    FZ_ASSERT(content_types >= 1, "no Content-Type after setting a body");
    ff_response_dispose(&res);
}

/* Every accessor on a request built from the raw parts (method and target may hold NULs). */
static void exercise_request(const fz_http *h)
{
    ff_request req;
    if (ff_request_init(&req, h->method, h->method_len, h->target, h->target_len, h->body, h->body_len) !=
            0 ||
        fz_add_headers(&req, h->headers, NULL) != 0) {
        ff_request_dispose(&req);
        return;
    }
    ff_request_parse_trace(&req);
    req.deadline_ms = ff_now_mono_ms() + 1000;
    (void)ff_req_method(&req);
    FZ_ASSERT(strlen(ff_req_path(&req)) <= h->target_len, "path longer than the target");
    const char *trace = ff_req_trace_id(&req);
    for (const char *t = trace; *t; t++)
        FZ_ASSERT(strchr("0123456789abcdefABCDEF", *t) != NULL, "trace ID is not hex");
    for (size_t i = 0; i < req.query_params.len; i++) {
        const char *name = req.query_params.items[i].name;
        FZ_ASSERT(ff_req_query(&req, name) != NULL, "listed query parameter not found");
        FZ_ASSERT(ff_req_query_count(&req, name) >= 1, "listed query parameter not counted");
        ff_error err;
        (void)tp_check_id(name, req.query_params.items[i].value, &err);
    }
    (void)ff_req_query(&req, "projectId");
    (void)ff_req_query_count(&req, "");
    for (size_t i = 0; i < req.headers.len; i++)
        FZ_ASSERT(ff_req_header(&req, req.headers.items[i].name) != NULL, "listed header not found");
    (void)ff_req_header(&req, "content-type");
    for (int plus = 0; plus < 2; plus++) {
        char *decoded = ff_url_decode(h->target, h->target_len, plus);
        FZ_ASSERT(decoded == NULL || strlen(decoded) <= h->target_len, "decoding grew the string");
        free(decoded);
    }
    size_t len = 0;
    const char *body = ff_req_body(&req, &len);
    FZ_ASSERT(len == h->body_len && body[len] == '\0', "body length or terminator wrong");
    ff_error err = {0};
    json_t *json = ff_req_json(&req, &err);
    FZ_ASSERT(ff_req_json(&req, NULL) == json, "ff_req_json is not cached");
    FZ_ASSERT(json != NULL || err.message[0] != '\0', "ff_req_json failed without a reason");
    (void)ff_req_remaining_ms(&req);
    (void)ff_req_cancelled(&req);
    if (json != NULL)
        run_schemas(json);
    exercise_response(&req, json);
    ff_request_dispose(&req);
}

/* The handler's answer is {"success": false, "error": {"code": code, ...}} with status. */
static void check_error_answer(const ff_local_result *out, int status, const char *code)
{
    FZ_ASSERT(out->status == status, "handler status differs from the predicted validation outcome");
    json_t *body = json_loadb(out->body, out->body_len, 0, NULL);
    FZ_ASSERT(json_is_object(body), "error answer is not a JSON object");
    FZ_ASSERT(json_is_false(json_object_get(body, "success")), "error answer without success: false");
    const char *got = json_string_value(json_object_get(json_object_get(body, "error"), "code"));
    FZ_ASSERT(got != NULL && strcmp(got, code) == 0, "error answer has the wrong error.code");
    json_decref(body);
}

/*
 * What startTransformPipeline must answer without credentials: 405, 400 for the request
 * line, else 401 (the token is checked before the body is parsed).
 */
static int predict_start(ff_request *req, const char **code)
{
    *code = "INVALID_REQUEST";
    if (strcmp(ff_req_method(req), "POST") != 0)
        return 405;
    const char *project = ff_req_query(req, "projectId");
    ff_error err = {0};
    if (project == NULL || project[0] == '\0' || ff_req_query_count(req, "projectId") != 1 ||
        tp_check_id("projectId", project, &err) != 0)
        return 400;
    *code = "UNAUTHENTICATED";
    return 401;
}

/* The header strings without Authorization (so no token is ever verified). */
static const char **without_authorization(const fz_http *h)
{
    const char **out = calloc(h->n_headers + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; out != NULL && i < h->n_headers; i++) {
        const char *colon = strchr(h->headers[i], ':');
        if (colon && colon - h->headers[i] == 13 && strncasecmp(h->headers[i], "authorization", 13) == 0)
            continue;
        out[n++] = h->headers[i];
    }
    return out;
}

static void invoke_start(const fz_http *h)
{
    ff_request req;
    if (fz_request_from_http(&req, h, "authorization") != 0) {
        ff_request_dispose(&req);
        return;
    }
    const char *code;
    int expected = predict_start(&req, &code);
    ff_request_dispose(&req);
    const char **headers = without_authorization(h);
    if (headers == NULL)
        return;
    ff_local_result out;
    ff_error err = {0};
    if (ff_invoke_local(g_app, "startTransformPipeline", h->method, h->target, headers, h->body, h->body_len,
                        &out, &err) == 0) {
        check_error_answer(&out, expected, code);
        ff_local_result_free(&out);
    }
    free(headers);
}

static void invoke_job(const fz_http *h)
{
    ff_request req;
    if (fz_request_from_http(&req, h, NULL) != 0) {
        ff_request_dispose(&req);
        return;
    }
    int post = strcmp(ff_req_method(&req), "POST") == 0;
    json_t *json = tp_is_json_request(&req) ? ff_req_json(&req, NULL) : NULL;
    tp_job_payload payload;
    ff_error err = {0};
    int valid = json != NULL && tp_job_payload_parse(json, &payload, &err) == 0;
    ff_request_dispose(&req);
    if (post && valid)
        return; /* would read the job from Firestore */
    ff_local_result out;
    if (ff_invoke_local(g_app, "transformPipelineJob", h->method, h->target, (const char *const *)h->headers,
                        h->body, h->body_len, &out, &err) == 0) {
        check_error_answer(&out, post ? 400 : 405, "INVALID_REQUEST");
        ff_local_result_free(&out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_http h;
    if (fz_http_split(data, size, &h) == 0) {
        exercise_request(&h);
        fz_logs_capture();
        invoke_start(&h);
        invoke_job(&h);
        fz_logs_check();
    }
    fz_http_free(&h);
    return 0;
}
