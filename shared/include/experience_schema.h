/*
 * experience_schema.h - the experience document
 * (workspaces/{workspaceId}/experiences/{experienceId}) and its Config (draft /
 * published: {steps, transform}). Picking the config a session uses is the functions
 * layer's business (functions/src/lib/experience.h). See docs/contract.md, "Experience".
 */
#ifndef SHARED_EXPERIENCE_SCHEMA_H
#define SHARED_EXPERIENCE_SCHEMA_H

#include "schema.h"

/* {steps: array default [], transform: TransformConfig nullable default null}, loose */
extern const schema_type experience_schema_config;
/* {mediaAssetId: string (min 1), url: URL} */
extern const schema_type experience_schema_media;
/* The whole document. */
extern const schema_type experience_schema_doc;

/*
 * Validates an experience document (plain JSON). Returns 0 and, when out is not NULL, a
 * new normalized document the caller owns (json_decref); or -1 with err set. See
 * schema_validate.
 */
int experience_validate(const json_t *in, json_t **out, schema_error *err);
/* The same for one Config (an experience's draft or published). */
int experience_config_validate(const json_t *in, json_t **out, schema_error *err);

#endif
