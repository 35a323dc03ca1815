/*
 * session_schema.h - the session document (projects/{projectId}/sessions/{sessionId}) and
 * its parts: Answer, CapturedMedia, result media. See docs/contract.md, "Session".
 * (Session reads and writes live in functions/src/lib/session.h; this is the schema only.)
 */
#ifndef SHARED_SESSION_SCHEMA_H
#define SHARED_SESSION_SCHEMA_H

#include "schema.h"

/* {stepId, stepType: string, value: string | number | boolean | string[], answeredAt: number} */
extern const schema_type session_schema_answer;
/* {stepId, assetId, url: string, createdAt: number} */
extern const schema_type session_schema_captured_media;
/* {stepId, assetId, url: string, createdAt: number} */
extern const schema_type session_schema_result_media;
/* Answer[] and CapturedMedia[] (also used by the job snapshot's sessionInputs). */
extern const schema_type session_schema_answers;
extern const schema_type session_schema_captured_media_list;
/* The whole document. */
extern const schema_type session_schema_doc;

/*
 * Validates a session document (plain JSON). Returns 0 and, when out is not NULL, a new
 * normalized document the caller owns (json_decref); or -1 with err set. See
 * schema_validate.
 */
int session_validate(const json_t *in, json_t **out, schema_error *err);

#endif
