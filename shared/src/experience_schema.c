/*
 * experience_schema.c - the experience document's schema tables (see
 * experience_schema.h). Where the contract says only "nullable" for deletedAt, publishedAt
 * and publishedBy, and leaves media's field types open, the TypeScript schema's choices
 * are kept: nullable default null, mediaAssetId non-empty, url a URL.
 */
#include "experience_schema.h"
#include "transform_schema.h"

static const schema_field config_fields[] = {
    SCHEMA_FIELD_DEFAULT("steps", &schema_array, "[]"),
    SCHEMA_FIELD_OR_NULL("transform", &transform_schema_config),
    SCHEMA_FIELDS_END,
};
const schema_type experience_schema_config = {.kind = SCHEMA_OBJECT, .fields = config_fields};

static const schema_type asset_id = {.kind = SCHEMA_STRING, .bounds = SCHEMA_GE, .min = 1};
static const schema_field media_fields[] = {
    SCHEMA_FIELD("mediaAssetId", &asset_id),
    SCHEMA_FIELD("url", &schema_url),
    SCHEMA_FIELDS_END,
};
const schema_type experience_schema_media = {.kind = SCHEMA_OBJECT, .fields = media_fields};

static const schema_type name = {
    .kind = SCHEMA_STRING, .bounds = SCHEMA_GE | SCHEMA_LE, .min = 1, .max = 100};
static const char *const statuses[] = {"active", "deleted", NULL};
static const char *const profiles[] = {"freeform", "survey", "story", NULL};
static const schema_type status = {.kind = SCHEMA_ENUM, .values = statuses};
static const schema_type profile = {.kind = SCHEMA_ENUM, .values = profiles};

static const schema_field experience_fields[] = {
    SCHEMA_FIELD("id", &schema_string),
    SCHEMA_FIELD("name", &name),
    SCHEMA_FIELD_DEFAULT("status", &status, "\"active\""),
    SCHEMA_FIELD("profile", &profile),
    SCHEMA_FIELD_OR_NULL("media", &experience_schema_media),
    SCHEMA_FIELD("createdAt", &schema_number),
    SCHEMA_FIELD("updatedAt", &schema_number),
    SCHEMA_FIELD_OR_NULL("deletedAt", &schema_number),
    SCHEMA_FIELD("draft", &experience_schema_config),
    SCHEMA_FIELD_OR_NULL("published", &experience_schema_config),
    SCHEMA_FIELD_DEFAULT("draftVersion", &schema_number, "1"),
    SCHEMA_FIELD_OR_NULL("publishedVersion", &schema_number),
    SCHEMA_FIELD_OR_NULL("publishedAt", &schema_number),
    SCHEMA_FIELD_OR_NULL("publishedBy", &schema_string),
    SCHEMA_FIELDS_END,
};
const schema_type experience_schema_doc = {.kind = SCHEMA_OBJECT, .fields = experience_fields};

int experience_validate(const json_t *in, json_t **out, schema_error *err)
{
    return schema_validate(&experience_schema_doc, in, out, err);
}

int experience_config_validate(const json_t *in, json_t **out, schema_error *err)
{
    return schema_validate(&experience_schema_config, in, out, err);
}
