/*
 * transform_schema.h - the transform pipeline configuration (TransformConfig) an
 * experience config carries and a job snapshot copies whole: nodes, variable mappings,
 * output format. All objects loose. See docs/contract.md, "Experience".
 */
#ifndef SHARED_TRANSFORM_SCHEMA_H
#define SHARED_TRANSFORM_SCHEMA_H

#include "schema.h"

/* {id: string, type: string, config: object default {}} */
extern const schema_type transform_schema_node;
/* {source: string, target: string, mappingType: direct|template|computed default direct} */
extern const schema_type transform_schema_mapping;
/* {aspectRatio: 1:1|9:16|3:2|2:3 nullable default null, quality: number 0..100 nullable default null} */
extern const schema_type transform_schema_output_format;
/* {nodes default [], variableMappings default [], outputFormat nullable default null} */
extern const schema_type transform_schema_config;

/*
 * Validates a TransformConfig (plain JSON). Returns 0 and, when out is not NULL, a new
 * normalized object the caller owns (json_decref); or -1 with err set. See
 * schema_validate.
 */
int transform_config_validate(const json_t *in, json_t **out, schema_error *err);

#endif
