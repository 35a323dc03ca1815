/*
 * transform_pipeline.c - request and task-payload validation (see transform_pipeline.h).
 */
#include <string.h>
#include <strings.h>

#include "lib/ids.h"
#include "lib/schemas/transform_pipeline.h"
#include "schema.h"

int tp_is_json_request(const ff_request *req)
{
    const char *type = ff_req_header(req, "content-type");
    if (type == NULL)
        return 0;
    type += strspn(type, " \t");
    size_t n = strcspn(type, "; \t");
    return n == 16 && strncasecmp(type, "application/json", 16) == 0;
}

int tp_check_id(const char *field, const char *value, ff_error *err)
{
    if (!ids_valid(value))
        return ff_error_set(err, -1, "%s: not a valid ID (1-%d characters of A-Z a-z 0-9 _ -)", field,
                            IDS_MAX_LEN);
    return 0;
}

/* Reads obj[field] as a non-empty string that is a valid ID. */
static int id_field(const json_t *obj, const char *prefix, const char *field, const char **out, ff_error *err)
{
    const json_t *v = json_object_get(obj, field);
    if (!json_is_string(v))
        return ff_error_set(err, -1, "%s%s: expected string, received %s", prefix, field,
                            schema_json_type_name(v));
    if (json_string_length(v) == 0)
        return ff_error_set(err, -1, "%s%s: must not be empty", prefix, field);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return ff_error_set(err, -1, "%s%s: must not contain NUL", prefix, field);
    char name[64];
    ff_concat(name, sizeof(name), prefix, field, NULL); /* short literals: it fits */
    if (tp_check_id(name, json_string_value(v), err) != 0)
        return -1;
    *out = json_string_value(v);
    return 0;
}

int tp_start_request_parse(const json_t *body, tp_start_request *out, ff_error *err)
{
    if (!json_is_object(body))
        return ff_error_set(err, -1, "body: expected object, received %s", schema_json_type_name(body));
    if (id_field(body, "", "sessionId", &out->session_id, err) != 0)
        return -1;
    const json_t *step = json_object_get(body, "stepId");
    if (!json_is_string(step))
        return ff_error_set(err, -1, "stepId: expected string, received %s", schema_json_type_name(step));
    if (json_string_length(step) == 0)
        return ff_error_set(err, -1, "stepId: must not be empty");
    if (!ids_valid_step(json_string_value(step), json_string_length(step)))
        return ff_error_set(err, -1, "stepId: at most %d printable ASCII characters", IDS_STEP_MAX_LEN);
    out->step_id = json_string_value(step);
    return 0;
}

int tp_job_payload_parse(const json_t *body, tp_job_payload *out, ff_error *err)
{
    if (!json_is_object(body))
        return ff_error_set(err, -1, "body: expected object, received %s", schema_json_type_name(body));
    const json_t *data = json_object_get(body, "data");
    if (!json_is_object(data))
        return ff_error_set(err, -1, "data: expected object, received %s", schema_json_type_name(data));
    if (id_field(data, "data.", "jobId", &out->job_id, err) != 0 ||
        id_field(data, "data.", "sessionId", &out->session_id, err) != 0 ||
        id_field(data, "data.", "projectId", &out->project_id, err) != 0)
        return -1;
    return 0;
}
