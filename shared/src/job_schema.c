/*
 * job_schema.c - job status names and transitions, job error codes, and the job
 * document's schema tables (see job_schema.h).
 */
#include <string.h>

#include "job_schema.h"
#include "session_schema.h"
#include "transform_schema.h"

/* Indexed by status - JOB_STATUS_PENDING. */
static const char *const status_names[] = {"pending", "running", "completed", "failed", "cancelled", NULL};

/* Indexed by enum job_error_code. */
static const char *const error_codes[] = {
    "INVALID_INPUT", "PROCESSING_FAILED", "AI_MODEL_ERROR", "STORAGE_ERROR",
    "TIMEOUT",       "CANCELLED",         "UNKNOWN",        NULL,
};

static const struct {
    enum job_status from, to;
} transitions[] = {
    {JOB_STATUS_NONE, JOB_STATUS_PENDING},      {JOB_STATUS_PENDING, JOB_STATUS_RUNNING},
    {JOB_STATUS_RUNNING, JOB_STATUS_COMPLETED}, {JOB_STATUS_RUNNING, JOB_STATUS_FAILED},
    {JOB_STATUS_PENDING, JOB_STATUS_CANCELLED}, {JOB_STATUS_RUNNING, JOB_STATUS_CANCELLED},
};

int job_status_parse(const char *s, enum job_status *out)
{
    int i = s != NULL ? schema_enum_index(status_names, s, strlen(s)) : -1;
    if (i < 0)
        return -1;
    *out = (enum job_status)(JOB_STATUS_PENDING + i);
    return 0;
}

const char *job_status_name(enum job_status s)
{
    return s >= JOB_STATUS_PENDING && s <= JOB_STATUS_CANCELLED ? status_names[s - JOB_STATUS_PENDING] : NULL;
}

bool job_status_can_transition(enum job_status from, enum job_status to)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        if (transitions[i].from == from && transitions[i].to == to)
            return true;
    }
    return false;
}

bool job_status_is_terminal(enum job_status s)
{
    return s == JOB_STATUS_COMPLETED || s == JOB_STATUS_FAILED || s == JOB_STATUS_CANCELLED;
}

bool job_status_is_active(enum job_status s)
{
    return s == JOB_STATUS_PENDING || s == JOB_STATUS_RUNNING;
}

const char *job_error_code_name(enum job_error_code code)
{
    return code >= JOB_ERROR_INVALID_INPUT && code <= JOB_ERROR_UNKNOWN ? error_codes[code] : NULL;
}

bool job_error_code_valid(const char *s)
{
    return s != NULL && schema_enum_index(error_codes, s, strlen(s)) >= 0;
}

const schema_type job_schema_status = {.kind = SCHEMA_ENUM, .values = status_names};

static const schema_field progress_fields[] = {
    SCHEMA_FIELD("currentStep", &schema_string),
    SCHEMA_FIELD("percentage", &schema_percent),
    SCHEMA_FIELD_OR_NULL("message", &schema_string),
    SCHEMA_FIELDS_END,
};
const schema_type job_schema_progress = {.kind = SCHEMA_OBJECT, .fields = progress_fields};

static const char *const output_formats[] = {"image", "gif", "video", NULL};
static const schema_type output_format = {.kind = SCHEMA_ENUM, .values = output_formats};
static const schema_field dimensions_fields[] = {
    SCHEMA_FIELD("width", &schema_positive_int),
    SCHEMA_FIELD("height", &schema_positive_int),
    SCHEMA_FIELDS_END,
};
static const schema_type dimensions = {.kind = SCHEMA_OBJECT, .fields = dimensions_fields};
static const schema_field output_fields[] = {
    SCHEMA_FIELD("assetId", &schema_string),
    SCHEMA_FIELD("url", &schema_url),
    SCHEMA_FIELD("format", &output_format),
    SCHEMA_FIELD("dimensions", &dimensions),
    SCHEMA_FIELD("sizeBytes", &schema_positive_int),
    SCHEMA_FIELD_OR_NULL("thumbnailUrl", &schema_url),
    SCHEMA_FIELD("processingTimeMs", &schema_nonnegative_int),
    SCHEMA_FIELDS_END,
};
const schema_type job_schema_output = {.kind = SCHEMA_OBJECT, .fields = output_fields};

static const schema_type error_code = {.kind = SCHEMA_ENUM, .values = error_codes};
static const schema_field error_fields[] = {
    SCHEMA_FIELD("code", &error_code),
    SCHEMA_FIELD("message", &schema_string),
    SCHEMA_FIELD_OR_NULL("step", &schema_string),
    SCHEMA_FIELD("isRetryable", &schema_bool),
    SCHEMA_FIELD("timestamp", &schema_positive_int),
    SCHEMA_FIELDS_END,
};
const schema_type job_schema_error = {.kind = SCHEMA_OBJECT, .fields = error_fields};

static const schema_field session_inputs_fields[] = {
    SCHEMA_FIELD("answers", &session_schema_answers),
    SCHEMA_FIELD("capturedMedia", &session_schema_captured_media_list),
    SCHEMA_FIELDS_END,
};
static const schema_type session_inputs = {.kind = SCHEMA_OBJECT, .fields = session_inputs_fields};

/* Event context is not resolved in this phase: overlay and experienceRef are null. */
static const schema_field event_context_fields[] = {
    SCHEMA_FIELD_OR_NULL("overlay", &schema_any),
    SCHEMA_FIELD("applyOverlay", &schema_bool),
    SCHEMA_FIELD_OR_NULL("experienceRef", &schema_any),
    SCHEMA_FIELDS_END,
};
static const schema_type event_context = {.kind = SCHEMA_OBJECT, .fields = event_context_fields};

static const schema_field versions_fields[] = {
    SCHEMA_FIELD("experienceVersion", &schema_positive_int),
    SCHEMA_FIELD_NULLABLE("eventVersion", &schema_positive_int),
    SCHEMA_FIELDS_END,
};
static const schema_type versions = {.kind = SCHEMA_OBJECT, .fields = versions_fields};

static const schema_field snapshot_fields[] = {
    SCHEMA_FIELD("sessionInputs", &session_inputs),
    SCHEMA_FIELD("transformConfig", &transform_schema_config),
    SCHEMA_FIELD("eventContext", &event_context),
    SCHEMA_FIELD("versions", &versions),
    SCHEMA_FIELDS_END,
};
const schema_type job_schema_snapshot = {.kind = SCHEMA_OBJECT, .fields = snapshot_fields};

static const schema_field job_fields[] = {
    SCHEMA_FIELD("id", &schema_string),
    SCHEMA_FIELD("projectId", &schema_string),
    SCHEMA_FIELD("sessionId", &schema_string),
    SCHEMA_FIELD("experienceId", &schema_string),
    SCHEMA_FIELD_OR_NULL("stepId", &schema_string),
    SCHEMA_FIELD_DEFAULT("status", &job_schema_status, "\"pending\""),
    SCHEMA_FIELD_OR_NULL("progress", &job_schema_progress),
    SCHEMA_FIELD_OR_NULL("output", &job_schema_output),
    SCHEMA_FIELD_OR_NULL("error", &job_schema_error),
    SCHEMA_FIELD("snapshot", &job_schema_snapshot),
    SCHEMA_FIELD("createdAt", &schema_positive_int),
    SCHEMA_FIELD("updatedAt", &schema_positive_int),
    SCHEMA_FIELD_OR_NULL("startedAt", &schema_positive_int),
    SCHEMA_FIELD_OR_NULL("completedAt", &schema_positive_int),
    SCHEMA_FIELDS_END,
};
const schema_type job_schema_doc = {.kind = SCHEMA_OBJECT, .fields = job_fields};

int job_validate(const json_t *in, json_t **out, schema_error *err)
{
    return schema_validate(&job_schema_doc, in, out, err);
}
