/*
 * experience.h - experience documents (workspaces/{w}/experiences/{e}): fetch, and the
 * choice of draft or published configuration a session uses.
 */
#ifndef PIPELINE_EXPERIENCE_H
#define PIPELINE_EXPERIENCE_H

#include "gcp/firestore.h"

/*
 * Reads the experience and checks it against the experience schema (defaults filled in).
 * Returns 0 with *out a new document (caller frees with fs_doc_free), FS_NOT_FOUND,
 * FS_INVALID_ARGUMENT (reading nothing) when an ID is not ID-shaped, or another error
 * with err set.
 */
int experience_fetch(fs_db *db, const char *workspace_id, const char *experience_id, fs_doc **out,
                     ff_error *err);

/*
 * The transform configuration of the config the session selects ("draft" or
 * "published"): a borrowed reference into experience, or NULL when that config or its
 * transform is null ("no transform configuration"). *version receives draftVersion for
 * draft, else publishedVersion (1 when missing).
 */
const json_t *experience_pick_transform(const json_t *experience, const char *config_source,
                                        int64_t *version);

#endif
