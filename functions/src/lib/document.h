/*
 * document.h - reading a document and checking it against its shared schema in one
 * step, so every loader reports the same way ("<what> <path> does not match the schema").
 */
#ifndef PIPELINE_DOCUMENT_H
#define PIPELINE_DOCUMENT_H

#include "gcp/firestore.h"
#include "schema.h"

/* A shared-schema validator: job_validate, session_validate, experience_validate... */
typedef int (*document_validator)(const json_t *in, json_t **out, schema_error *err);

/*
 * Reads the document at path and replaces its fields with the validated, normalized
 * form (defaults filled, unknown fields kept). Returns 0 with *out a new document the
 * caller frees with fs_doc_free; FS_NOT_FOUND; another fs_status; or -1 when the
 * document does not match the schema. err says which, naming `what` and the path.
 */
int document_fetch(fs_db *db, const char *path, document_validator validate, const char *what, fs_doc **out,
                   ff_error *err);

#endif
