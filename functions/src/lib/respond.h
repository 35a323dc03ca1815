/*
 * respond.h - the JSON bodies handlers answer with: one way to write a success or an
 * error, so every function speaks the same contract:
 *   {"success": false, "error": {"code": CODE, "message": short client-safe text}}
 */
#ifndef PIPELINE_RESPOND_H
#define PIPELINE_RESPOND_H

#include "ff.h"

/* Answers status with the error body. `message` must be client-safe (no internals). */
void respond_error(ff_response *res, int status, const char *code, const char *message);
/* Answers 500 INTERNAL_ERROR and logs `detail` (server-side only) against req. */
void respond_internal(ff_request *req, ff_response *res, const char *detail);
/* Answers 200 {"success": true, ...extra} (extra's reference is stolen; may be NULL). */
void respond_ok(ff_response *res, json_t *extra);

#endif
