/*
 * transform_pipeline.h - the request and task-payload schemas of the transform
 * pipeline (the C counterpart of the TypeScript version's transform-pipeline.ts):
 *   startTransformPipeline body   {"sessionId": ID, "stepId": 1..128 printable ASCII}
 *   transformPipelineJob payload  {"data": {"jobId", "sessionId", "projectId"}} (IDs)
 * An ID is 1..128 characters of [A-Za-z0-9_-] (lib/ids.h).
 */
#ifndef TP_SCHEMAS_H
#define TP_SCHEMAS_H

#include <jansson.h>

#include "ff.h"

/* Borrowed views into the parsed JSON: valid while it lives. */
typedef struct tp_start_request {
    const char *session_id;
    const char *step_id;
} tp_start_request;

typedef struct tp_job_payload {
    const char *job_id;
    const char *session_id;
    const char *project_id;
} tp_job_payload;

/*
 * Validates a startTransformPipeline body. Returns 0, or -1 with err->message naming the
 * field ("sessionId: expected string, received number"), safe to show the client.
 */
int tp_start_request_parse(const json_t *body, tp_start_request *out, ff_error *err);
/* Validates a task body; same error contract. */
int tp_job_payload_parse(const json_t *body, tp_job_payload *out, ff_error *err);
/*
 * Nonzero when the request declares a JSON body: Content-Type application/json, any
 * parameters, any case. The TypeScript onRequest / onTaskDispatched parse only those
 * bodies as JSON; any other type (or none) fails validation there, and so here.
 */
int tp_is_json_request(const ff_request *req);
/* Checks one ID (lib/ids.h); err names `field`. */
int tp_check_id(const char *field, const char *value, ff_error *err);

#endif
