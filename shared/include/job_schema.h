/*
 * job_schema.h - the job document (projects/{projectId}/jobs/{jobId}): its status values
 * and their transition rule, the job error codes, and the schema of the document and of
 * its parts (progress, output, error, snapshot). See docs/contract.md, "Job" and "Job
 * status and its transitions".
 */
#ifndef SHARED_JOB_SCHEMA_H
#define SHARED_JOB_SCHEMA_H

#include "schema.h"

/* Job status. JOB_STATUS_NONE is "no job yet" (the source of the creation transition);
 * it is never stored. Deliberately a tag, not a typedef, so `job_status` stays free. */
enum job_status {
    JOB_STATUS_NONE = 0,
    JOB_STATUS_PENDING,
    JOB_STATUS_RUNNING,
    JOB_STATUS_COMPLETED,
    JOB_STATUS_FAILED,
    JOB_STATUS_CANCELLED,
};

/* Parses "pending".."cancelled" (exact, case-sensitive). Returns 0, or -1 (s NULL or
 * unknown; *out untouched). */
int job_status_parse(const char *s, enum job_status *out);
/* "pending".."cancelled" (static storage), or NULL for JOB_STATUS_NONE / out of range. */
const char *job_status_name(enum job_status s);
/* none->pending, pending->running, running->completed, running->failed,
 * pending->cancelled, running->cancelled; nothing else (terminal states never change). */
bool job_status_can_transition(enum job_status from, enum job_status to);
/* completed, failed, cancelled. */
bool job_status_is_terminal(enum job_status s);
/* pending or running (a session with such a job cannot start another). */
bool job_status_is_active(enum job_status s);

enum job_error_code {
    JOB_ERROR_INVALID_INPUT,
    JOB_ERROR_PROCESSING_FAILED,
    JOB_ERROR_AI_MODEL_ERROR,
    JOB_ERROR_STORAGE_ERROR,
    JOB_ERROR_TIMEOUT,
    JOB_ERROR_CANCELLED,
    JOB_ERROR_UNKNOWN,
};

/* "INVALID_INPUT".."UNKNOWN" (static storage), or NULL when out of range. */
const char *job_error_code_name(enum job_error_code code);
/* Whether s is one of the job error code names. */
bool job_error_code_valid(const char *s);

/* The schemas (usable with schema_validate for parts of a job). */
extern const schema_type job_schema_status;   /* enum of the status names */
extern const schema_type job_schema_progress; /* {currentStep, percentage 0..100, message} */
extern const schema_type job_schema_output;   /* {assetId, url, format, dimensions, ...} */
extern const schema_type job_schema_error;    /* {code, message, step, isRetryable, timestamp} */
extern const schema_type job_schema_snapshot; /* {sessionInputs, transformConfig, eventContext, versions} */
extern const schema_type job_schema_doc;      /* the whole document */

/*
 * Validates a job document (plain JSON). Returns 0 and, when out is not NULL, a new
 * normalized document the caller owns (json_decref); or -1 with err set. See
 * schema_validate.
 */
int job_validate(const json_t *in, json_t **out, schema_error *err);

#endif
