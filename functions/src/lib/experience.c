/*
 * experience.c - experience reads and config selection (see experience.h).
 */
#include <stdio.h>
#include <string.h>

#include "experience_schema.h"
#include "lib/document.h"
#include "lib/experience.h"
#include "lib/ids.h"

int experience_fetch(fs_db *db, const char *workspace_id, const char *experience_id, fs_doc **out,
                     ff_error *err)
{
    char path[512];
    *out = NULL;
    if (!ids_valid(workspace_id) || !ids_valid(experience_id))
        return ff_error_set(err, FS_INVALID_ARGUMENT, "experience path: invalid ID");
    if (ff_concat(path, sizeof(path), "workspaces/", workspace_id, "/experiences/", experience_id, NULL) < 0)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "experience path too long");
    return document_fetch(db, path, &experience_schema_doc, "experience", out, err);
}

/* 2^53 - 1: the largest versions.experienceVersion the job schema accepts. */
#define MAX_VERSION 9007199254740991LL

/* v as a version >= 1 the job schema accepts (reals truncated), else dflt. The range is
 * checked before converting: casting a double beyond int64_t is undefined. */
static int64_t int_or(const json_t *v, int64_t dflt)
{
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= MAX_VERSION)
        return json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 1 && json_real_value(v) < (double)MAX_VERSION + 1)
        return (int64_t)json_real_value(v);
    return dflt;
}

const json_t *experience_pick_transform(const json_t *experience, const char *config_source, int64_t *version)
{
    int draft = config_source != NULL && strcmp(config_source, "draft") == 0;
    const json_t *config = json_object_get(experience, draft ? "draft" : "published");
    *version = int_or(json_object_get(experience, draft ? "draftVersion" : "publishedVersion"), 1);
    const json_t *transform = json_is_object(config) ? json_object_get(config, "transform") : NULL;
    return json_is_object(transform) ? transform : NULL;
}
