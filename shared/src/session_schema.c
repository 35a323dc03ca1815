/*
 * session_schema.c - the session document's schema tables (see session_schema.h).
 */
#include "job_schema.h"
#include "session_schema.h"

static const schema_type string_list = {.kind = SCHEMA_ARRAY, .items = &schema_string};
static const schema_type *const answer_value_alts[] = {&schema_string, &schema_number, &schema_bool,
                                                       &string_list, NULL};
static const schema_type answer_value = {.kind = SCHEMA_UNION, .alts = answer_value_alts};

static const schema_field answer_fields[] = {
    SCHEMA_FIELD("stepId", &schema_string),
    SCHEMA_FIELD("stepType", &schema_string),
    SCHEMA_FIELD("value", &answer_value),
    SCHEMA_FIELD("answeredAt", &schema_number),
    SCHEMA_FIELDS_END,
};
const schema_type session_schema_answer = {.kind = SCHEMA_OBJECT, .fields = answer_fields};
const schema_type session_schema_answers = {.kind = SCHEMA_ARRAY, .items = &session_schema_answer};

/* CapturedMedia and result media have the same shape. */
static const schema_field media_fields[] = {
    SCHEMA_FIELD("stepId", &schema_string),
    SCHEMA_FIELD("assetId", &schema_string),
    SCHEMA_FIELD("url", &schema_string),
    SCHEMA_FIELD("createdAt", &schema_number),
    SCHEMA_FIELDS_END,
};
const schema_type session_schema_captured_media = {.kind = SCHEMA_OBJECT, .fields = media_fields};
const schema_type session_schema_result_media = {.kind = SCHEMA_OBJECT, .fields = media_fields};
const schema_type session_schema_captured_media_list = {.kind = SCHEMA_ARRAY,
                                                        .items = &session_schema_captured_media};

static const char *const modes[] = {"preview", "guest", NULL};
static const char *const config_sources[] = {"draft", "published", NULL};
static const char *const statuses[] = {"active", "completed", "abandoned", "error", NULL};
static const schema_type mode = {.kind = SCHEMA_ENUM, .values = modes};
static const schema_type config_source = {.kind = SCHEMA_ENUM, .values = config_sources};
static const schema_type status = {.kind = SCHEMA_ENUM, .values = statuses};

static const schema_field session_fields[] = {
    SCHEMA_FIELD("id", &schema_string),
    SCHEMA_FIELD("projectId", &schema_string),
    SCHEMA_FIELD("workspaceId", &schema_string),
    SCHEMA_FIELD_OR_NULL("eventId", &schema_string),
    SCHEMA_FIELD("experienceId", &schema_string),
    SCHEMA_FIELD("mode", &mode),
    SCHEMA_FIELD("configSource", &config_source),
    SCHEMA_FIELD_DEFAULT("status", &status, "\"active\""),
    SCHEMA_FIELD_DEFAULT("answers", &session_schema_answers, "[]"),
    SCHEMA_FIELD_DEFAULT("capturedMedia", &session_schema_captured_media_list, "[]"),
    SCHEMA_FIELD_OR_NULL("resultMedia", &session_schema_result_media),
    SCHEMA_FIELD_OR_NULL("jobId", &schema_string),
    SCHEMA_FIELD_OR_NULL("jobStatus", &job_schema_status),
    SCHEMA_FIELD_OR_NULL("createdBy", &schema_string),
    SCHEMA_FIELD("createdAt", &schema_number),
    SCHEMA_FIELD("updatedAt", &schema_number),
    SCHEMA_FIELD_OR_NULL("completedAt", &schema_number),
    SCHEMA_FIELDS_END,
};
const schema_type session_schema_doc = {.kind = SCHEMA_OBJECT, .fields = session_fields};

int session_validate(const json_t *in, json_t **out, schema_error *err)
{
    return schema_validate(&session_schema_doc, in, out, err);
}
