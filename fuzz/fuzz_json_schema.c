/*
 * fuzz_json_schema.c - libFuzzer harness for JSON bodies and the schema layer.
 *
 * The input is parsed with json_loadb as production parses request bodies and Firestore
 * responses (JSON_DECODE_ANY; JSON_REJECT_DUPLICATES as ff_req_json does), then given to
 * every validator: job, session, experience, experience config, transform config, the
 * job parts (progress, output, error, snapshot), the session parts, and the request
 * schemas (tp_start_request_parse, tp_job_payload_parse). When the root is an object the
 * validators also run on each member, so one document seed reaches the part schemas.
 * Properties (a violation traps):
 *   - a validator that accepts returns a document, one that refuses says where and why,
 *     and out/err NULL give the same verdict;
 *   - normalization is idempotent: validating the normalized document succeeds and
 *     returns an equal document; the input is never modified;
 *   - normalizing in place (schema_normalize, on a copy) gives the same verdict, the same
 *     error report, and a document equal to the normalized copy;
 *   - the product path: a valid experience yields a transform that validates and a
 *     version >= 1, and the job built by job_new_document from a valid session (or a
 *     valid experience's transform and version) is itself a valid job document.
 *   - the serializer: ff_json_text gives json_dumps's compact text byte for byte
 *     (NUL-bearing strings included), or NULL only for nesting past its bound.
 * Inputs holding "\u0000" are also parsed with JSON_ALLOW_NUL and validated for memory
 * safety only. The raw bytes go to schema_url_valid, schema_utf8_length,
 * job_status_parse and job_error_code_valid.
 */
#include <stdlib.h>
#include <string.h>

#include "experience_schema.h"
#include "harness_util.h"
#include "job_schema.h"
#include "lib/experience.h"
#include "lib/job.h"
#include "lib/schemas/transform_pipeline.h"
#include "lib/session.h"
#include "session_schema.h"
#include "transform_schema.h"

typedef struct named_type {
    const char *name;
    const schema_type *type;
} named_type;

static const named_type k_types[] = {
    {"job", &job_schema_doc},
    {"session", &session_schema_doc},
    {"experience", &experience_schema_doc},
    {"experience_config", &experience_schema_config},
    {"experience_media", &experience_schema_media},
    {"transform_config", &transform_schema_config},
    {"transform_node", &transform_schema_node},
    {"transform_mapping", &transform_schema_mapping},
    {"transform_output_format", &transform_schema_output_format},
    {"job_status", &job_schema_status},
    {"job_progress", &job_schema_progress},
    {"job_output", &job_schema_output},
    {"job_error", &job_schema_error},
    {"job_snapshot", &job_schema_snapshot},
    {"session_answer", &session_schema_answer},
    {"session_answers", &session_schema_answers},
    {"session_captured_media", &session_schema_captured_media},
    {"session_result_media", &session_schema_result_media},
};
#define N_TYPES (sizeof(k_types) / sizeof(k_types[0]))

/* A valid session and transform config to pair with fuzzed experiences and sessions. */
static json_t *g_session, *g_transform;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_quiet_logs();
    g_session =
        json_loads("{\"id\": \"s1\", \"projectId\": \"p1\", \"workspaceId\": \"w1\", \"experienceId\": "
                   "\"e1\", \"mode\": \"guest\", \"configSource\": \"published\", \"createdAt\": 1, "
                   "\"updatedAt\": 1, \"answers\": [{\"stepId\": \"q1\", \"stepType\": \"input.scale\", "
                   "\"value\": 4, \"answeredAt\": 1}]}",
                   0, NULL);
    g_transform = json_loads("{\"nodes\": [{\"id\": \"n1\", \"type\": \"prompt\"}]}", 0, NULL);
    json_t *norm = NULL;
    if (g_session == NULL || g_transform == NULL || session_validate(g_session, &norm, NULL) != 0)
        fz_fail(__FILE__, __LINE__, "harness fixtures do not validate");
    json_decref(g_session);
    g_session = norm;
    return 0;
}

/* schema_normalize on a copy of in agrees with schema_validate's verdict rc, err and out. */
static void check_in_place(const named_type *t, const json_t *in, int rc, const schema_error *err,
                           const json_t *out)
{
    json_t *copy = json_deep_copy(in);
    schema_error err2;
    FZ_ASSERT(schema_normalize(t->type, &copy, &err2) == rc, "in-place verdict differs");
    if (rc != 0)
        FZ_ASSERT(strcmp(err->path, err2.path) == 0 && strcmp(err->message, err2.message) == 0,
                  "in-place error report differs");
    else
        FZ_ASSERT(json_equal(copy, (json_t *)out), "in-place normalization differs");
    json_decref(copy);
}

/* Verdict, error report and idempotence of one validator on one value. */
static void check_type(const named_type *t, const json_t *in)
{
    json_t *out = (json_t *)1;
    schema_error err;
    int rc = schema_validate(t->type, in, &out, &err);
    FZ_ASSERT(schema_validate(t->type, in, NULL, NULL) == rc, "verdict depends on out/err being NULL");
    check_in_place(t, in, rc, &err, out);
    if (rc != 0) {
        FZ_ASSERT(out == NULL, "refusal left *out set");
        FZ_ASSERT(err.message[0] != '\0', "refusal without a message");
        return;
    }
    FZ_ASSERT(out != NULL, "acceptance without a document");
    json_t *again = NULL;
    schema_error err2;
    FZ_ASSERT(schema_validate(t->type, out, &again, &err2) == 0, "normalized document does not validate");
    FZ_ASSERT(json_equal(out, again), "normalization is not idempotent");
    json_decref(again);
    json_decref(out);
}

/* job_new_document must produce a document job_validate accepts. */
static void check_new_job(const json_t *session, const json_t *transform, int64_t version)
{
    json_t *job = job_new_document("j1", "p1", "s1", session, "step1", transform, version, 1700000000000);
    schema_error err;
    FZ_ASSERT(job != NULL, "job_new_document failed");
    FZ_ASSERT(job_validate(job, NULL, &err) == 0, "job_new_document built an invalid job");
    json_decref(job);
}

/* The product path over validated documents: pick the transform, build the job. */
static void check_product(const json_t *in)
{
    json_t *exp = NULL;
    if (experience_validate(in, &exp, NULL) == 0) {
        static const char *const sources[] = {"draft", "published", NULL};
        for (size_t i = 0; i < 3; i++) {
            int64_t version = 0;
            const json_t *transform = experience_pick_transform(exp, sources[i], &version);
            FZ_ASSERT(version >= 1, "experience version below 1");
            if (transform == NULL)
                continue;
            FZ_ASSERT(transform_config_validate(transform, NULL, NULL) == 0, "picked transform is invalid");
            check_new_job(g_session, transform, version);
        }
        json_decref(exp);
    }
    json_t *session = NULL;
    if (session_validate(in, &session, NULL) == 0) {
        const char *status = json_string_value(json_object_get(session, "jobStatus"));
        enum job_status st = JOB_STATUS_NONE;
        int active = status != NULL && job_status_parse(status, &st) == 0 && job_status_is_active(st);
        FZ_ASSERT(session_has_active_job(session) == active,
                  "session_has_active_job disagrees with jobStatus");
        check_new_job(session, g_transform, 1);
        json_decref(session);
    }
}

static void check_request_schemas(const json_t *in)
{
    ff_error err;
    tp_start_request start;
    tp_job_payload job;
    (void)tp_start_request_parse(in, &start, &err);
    (void)tp_job_payload_parse(in, &job, &err);
}

static void check_value(const json_t *in)
{
    for (size_t i = 0; i < N_TYPES; i++)
        check_type(&k_types[i], in);
    check_request_schemas(in);
}

static void check_raw(const uint8_t *data, size_t size)
{
    (void)schema_url_valid((const char *)data, size);
    FZ_ASSERT(schema_utf8_length((const char *)data, size) <= size, "more code points than bytes");
    char *s = strndup((const char *)data, size < 64 ? size : 64);
    if (s == NULL)
        return;
    enum job_status st;
    if (job_status_parse(s, &st) == 0)
        FZ_ASSERT(strcmp(job_status_name(st), s) == 0, "job_status_name does not invert job_status_parse");
    (void)job_error_code_valid(s);
    free(s);
}

static void check_serializer(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = ff_json_text(v, &len);
    if (got == NULL)
        FZ_ASSERT(fz_json_depth(v) > 512, "ff_json_text refused a value jansson writes");
    else
        FZ_ASSERT(want != NULL && len == strlen(want) && memcmp(got, want, len) == 0,
                  "ff_json_text and json_dumps differ");
    free(want);
    free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_raw(data, size);
    json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (in != NULL) {
        json_t *copy = json_deep_copy(in);
        check_serializer(in);
        check_value(in);
        check_product(in);
        const char *key;
        json_t *member;
        json_object_foreach(in, key, member)
        {
            check_value(member);
        }
        FZ_ASSERT(json_equal(in, copy), "validation modified its input");
        json_decref(copy);
        json_decref(in);
    }
    if (memmem(data, size, "\\u0000", 6) != NULL) {
        in = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        for (size_t i = 0; in != NULL && i < N_TYPES; i++)
            (void)schema_validate(k_types[i].type, in, NULL, NULL);
        if (in != NULL) {
            check_request_schemas(in);
            check_serializer(in);
        }
        json_decref(in);
    }
    return 0;
}
