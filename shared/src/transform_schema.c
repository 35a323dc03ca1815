/*
 * transform_schema.c - the TransformConfig schema tables (see transform_schema.h).
 */
#include "transform_schema.h"

static const schema_field node_fields[] = {
    SCHEMA_FIELD("id", &schema_string),
    SCHEMA_FIELD("type", &schema_string),
    SCHEMA_FIELD_DEFAULT("config", &schema_object, "{}"),
    SCHEMA_FIELDS_END,
};
const schema_type transform_schema_node = {.kind = SCHEMA_OBJECT, .fields = node_fields};

static const char *const mapping_types[] = {"direct", "template", "computed", NULL};
static const schema_type mapping_type = {.kind = SCHEMA_ENUM, .values = mapping_types};
static const schema_field mapping_fields[] = {
    SCHEMA_FIELD("source", &schema_string),
    SCHEMA_FIELD("target", &schema_string),
    SCHEMA_FIELD_DEFAULT("mappingType", &mapping_type, "\"direct\""),
    SCHEMA_FIELDS_END,
};
const schema_type transform_schema_mapping = {.kind = SCHEMA_OBJECT, .fields = mapping_fields};

static const char *const aspect_ratios[] = {"1:1", "9:16", "3:2", "2:3", NULL};
static const schema_type aspect_ratio = {.kind = SCHEMA_ENUM, .values = aspect_ratios};
static const schema_field output_format_fields[] = {
    SCHEMA_FIELD_OR_NULL("aspectRatio", &aspect_ratio),
    SCHEMA_FIELD_OR_NULL("quality", &schema_percent),
    SCHEMA_FIELDS_END,
};
const schema_type transform_schema_output_format = {.kind = SCHEMA_OBJECT, .fields = output_format_fields};

static const schema_type nodes = {.kind = SCHEMA_ARRAY, .items = &transform_schema_node};
static const schema_type mappings = {.kind = SCHEMA_ARRAY, .items = &transform_schema_mapping};
static const schema_field config_fields[] = {
    SCHEMA_FIELD_DEFAULT("nodes", &nodes, "[]"),
    SCHEMA_FIELD_DEFAULT("variableMappings", &mappings, "[]"),
    SCHEMA_FIELD_OR_NULL("outputFormat", &transform_schema_output_format),
    SCHEMA_FIELDS_END,
};
const schema_type transform_schema_config = {.kind = SCHEMA_OBJECT, .fields = config_fields};

int transform_config_validate(const json_t *in, json_t **out, schema_error *err)
{
    return schema_validate(&transform_schema_config, in, out, err);
}
