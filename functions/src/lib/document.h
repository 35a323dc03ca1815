/*
 * document.h - reading a document and checking it against its shared schema in one
 * step, so every loader reports the same way ("<what> <path> does not match the schema").
 */
#ifndef PIPELINE_DOCUMENT_H
#define PIPELINE_DOCUMENT_H

#include "gcp/firestore.h"
#include "schema.h"

/*
 * Reads the document at path and checks its fields against schema (session_schema_doc,
 * experience_schema_doc...), normalizing them in place (defaults filled, unknown fields
 * kept; schema_normalize). Returns 0 with *out a new document the caller frees with
 * fs_doc_free; FS_NOT_FOUND; another fs_status; or -1 when the document does not match
 * the schema. err says which, naming `what` and the path.
 */
int document_fetch(fs_db *db, const char *path, const schema_type *schema, const char *what, fs_doc **out,
                   ff_error *err);

#endif
