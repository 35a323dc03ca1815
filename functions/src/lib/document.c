/*
 * document.c - fetch and validate (see document.h).
 */
#include "lib/document.h"

int document_fetch(fs_db *db, const char *path, const schema_type *schema, const char *what, fs_doc **out,
                   ff_error *err)
{
    *out = NULL;
    fs_doc *doc = NULL;
    int rc = fs_doc_get(db, path, NULL, &doc, err);
    if (rc != 0)
        return rc;
    schema_error serr;
    if (schema_normalize(schema, &doc->fields, &serr) != 0) {
        fs_doc_free(doc);
        return ff_error_set(err, -1, "%s %s does not match the schema: %s: %s", what, path, serr.path,
                            serr.message);
    }
    *out = doc;
    return 0;
}
