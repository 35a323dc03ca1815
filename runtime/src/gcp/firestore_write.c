/*
 * firestore_write.c - writes: batches of REST Write objects (create, set, update with a
 * mask, delete, each with an optional precondition), the atomic commit call, and the
 * single-document fs_doc_* helpers built on a one-write batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firestore_internal.h"

struct fs_batch {
    fs_db *db;
    json_t *writes;   /* array of REST Write objects */
    size_t unguarded; /* writes without a precondition: they make a retry unsafe */
};

fs_batch *fs_batch_new(fs_db *db)
{
    fs_batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->db = db;
    b->writes = json_array();
    if (b->writes == NULL) {
        free(b);
        return NULL;
    }
    return b;
}

void fs_batch_free(fs_batch *b)
{
    if (b == NULL)
        return;
    json_decref(b->writes);
    free(b);
}

size_t fs_batch_count(const fs_batch *b)
{
    return json_array_size(b->writes);
}

void fs_batch_clear(fs_batch *b)
{
    json_array_clear(b->writes);
    b->unguarded = 0;
}

/* ---- building writes ----------------------------------------------------------------- */

static json_t *precondition_json(const fs_precondition *pre, ff_error *err)
{
    switch (pre ? pre->kind : FS_PRE_NONE) {
    case FS_PRE_NONE:
        return json_null(); /* placeholder meaning "none" */
    case FS_PRE_EXISTS:
        return json_pack("{sb}", "exists", 1);
    case FS_PRE_MISSING:
        return json_pack("{sb}", "exists", 0);
    case FS_PRE_UPDATE_TIME:
        if (pre->update_time != NULL && pre->update_time[0] != '\0')
            return json_pack("{ss}", "updateTime", pre->update_time);
        break;
    }
    ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid precondition");
    return NULL;
}

/* Adds `write` (stolen) with its precondition to the batch. */
static int add_write(fs_batch *b, json_t *write, const fs_precondition *pre, ff_error *err)
{
    json_t *cur = precondition_json(pre, err);
    if (cur == NULL) {
        json_decref(write);
        return FS_INVALID_ARGUMENT;
    }
    if (json_is_null(cur))
        b->unguarded++;
    else
        json_object_set_new(write, "currentDocument", cur);
    if (json_array_append_new(b->writes, write) != 0)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return 0;
}

/* *out = {"name": ..., "fields": ...} for path and plain JSON fields. */
static int document_json(const fs_batch *b, const char *path, const json_t *fields, json_t **out,
                         ff_error *err)
{
    int rc = fs_path_check(path, FS_PATH_DOC, err);
    if (rc != 0)
        return rc;
    ff_error cerr = {0};
    json_t *converted = fs_fields_from_json(fields, b->db->json_flags, &cerr);
    if (converted == NULL)
        return ff_error_set(err, cerr.code ? cerr.code : FS_INTERNAL, "%s", cerr.message);
    char *name = fs_full_name(b->db, path);
    *out = name ? json_pack("{ssso}", "name", name, "fields", converted) : NULL;
    free(name);
    if (*out == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return 0;
}

/* The mask for an update: the given paths, or the quoted top-level keys of fields. */
static json_t *update_mask(const json_t *fields, const char *const *mask)
{
    if (mask != NULL)
        return fs_mask_json(mask);
    json_t *paths = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fields, key, v)
    {
        char *quoted = fs_field_path_quote(key);
        json_array_append_new(paths, json_string(quoted));
        free(quoted);
    }
    return json_pack("{so}", "fieldPaths", paths);
}

int fs_batch_set(fs_batch *b, const char *path, const json_t *fields, const fs_precondition *pre,
                 ff_error *err)
{
    json_t *doc = NULL;
    int rc = document_json(b, path, fields, &doc, err);
    if (rc != 0)
        return rc;
    return add_write(b, json_pack("{so}", "update", doc), pre, err);
}

int fs_batch_create(fs_batch *b, const char *path, const json_t *fields, ff_error *err)
{
    const fs_precondition missing = {FS_PRE_MISSING, NULL};
    return fs_batch_set(b, path, fields, &missing, err);
}

int fs_batch_update(fs_batch *b, const char *path, const json_t *fields, const char *const *mask,
                    const fs_precondition *pre, ff_error *err)
{
    json_t *doc = NULL;
    int rc = document_json(b, path, fields, &doc, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; mask != NULL && mask[i] != NULL; i++)
        if (mask[i][0] == '\0') {
            json_decref(doc);
            return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: empty field path in update mask");
        }
    return add_write(b, json_pack("{soso}", "update", doc, "updateMask", update_mask(fields, mask)), pre,
                     err);
}

int fs_batch_delete(fs_batch *b, const char *path, const fs_precondition *pre, ff_error *err)
{
    int rc = fs_path_check(path, FS_PATH_DOC, err);
    if (rc != 0)
        return rc;
    char *name = fs_full_name(b->db, path);
    if (name == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    json_t *write = json_pack("{ss}", "delete", name);
    free(name);
    return add_write(b, write, pre, err);
}

/* ---- commit -------------------------------------------------------------------------- */

int fs_commit_in(fs_db *db, const fs_batch *b, const char *txn, char *commit_time_out, char *update_time_out,
                 ff_error *err)
{
    json_t *body = json_pack("{sO}", "writes", b->writes), *res = NULL;
    if (txn != NULL)
        json_object_set_new(body, "transaction", json_string(txn));
    /* A commit that may have landed is repeated only when every write carries a
     * precondition, so a repeat fails instead of applying twice (or over a newer write).
     * A transaction's commit is never repeated: run the transaction again instead. */
    int safe = txn == NULL && b->unguarded == 0 && fs_batch_count(b) > 0;
    char *url = fs_strfmt("%s:commit", db->root);
    int rc = url ? fs_call(db, "POST", url, body, safe ? GCP_HTTP_RETRY_SAFE : GCP_HTTP_NO_RETRY, &res, err)
                 : ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    if (rc == 0) {
        if (commit_time_out != NULL)
            fs_copy_time(commit_time_out, res, "commitTime");
        if (update_time_out != NULL)
            fs_copy_time(update_time_out, json_array_get(json_object_get(res, "writeResults"), 0),
                         "updateTime");
    }
    free(url);
    json_decref(res);
    json_decref(body);
    return rc;
}

int fs_commit(fs_db *db, const fs_batch *b, char *commit_time_out, ff_error *err)
{
    return fs_commit_in(db, b, NULL, commit_time_out, NULL, err);
}

/* ---- single documents ---------------------------------------------------------------- */

/* Commits the one write in b, frees b, and passes on the write's updateTime. */
static int commit_one(fs_batch *b, int rc, char *update_time_out, ff_error *err)
{
    if (rc == 0)
        rc = fs_commit_in(b->db, b, NULL, NULL, update_time_out, err);
    fs_batch_free(b);
    return rc;
}

static fs_batch *one_batch(fs_db *db, ff_error *err)
{
    fs_batch *b = fs_batch_new(db);
    if (b == NULL)
        ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return b;
}

int fs_doc_create(fs_db *db, const char *collection, const char *id, const json_t *fields, char *id_out,
                  char *update_time_out, ff_error *err)
{
    char generated[FS_ID_SIZE];
    int rc = fs_path_check(collection, FS_PATH_COLLECTION, err);
    if (rc != 0)
        return rc;
    if (id != NULL && strchr(id, '/') != NULL)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid path (document ID contains '/')");
    if (id == NULL && (rc = fs_new_id(generated, err)) != 0)
        return rc;
    char *path = fs_strfmt("%s/%s", collection, id ? id : generated);
    fs_batch *b = path ? one_batch(db, err) : NULL;
    if (b == NULL) {
        free(path);
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    }
    rc = commit_one(b, fs_batch_create(b, path, fields, err), update_time_out, err);
    free(path);
    if (rc == 0 && id == NULL && id_out != NULL)
        memcpy(id_out, generated, FS_ID_SIZE);
    return rc;
}

int fs_doc_set(fs_db *db, const char *path, const json_t *fields, const fs_precondition *pre,
               char *update_time_out, ff_error *err)
{
    fs_batch *b = one_batch(db, err);
    if (b == NULL)
        return FS_RESOURCE_EXHAUSTED;
    return commit_one(b, fs_batch_set(b, path, fields, pre, err), update_time_out, err);
}

int fs_doc_update(fs_db *db, const char *path, const json_t *fields, const char *const *mask,
                  const fs_precondition *pre, char *update_time_out, ff_error *err)
{
    fs_batch *b = one_batch(db, err);
    if (b == NULL)
        return FS_RESOURCE_EXHAUSTED;
    return commit_one(b, fs_batch_update(b, path, fields, mask, pre, err), update_time_out, err);
}

int fs_doc_delete(fs_db *db, const char *path, const fs_precondition *pre, ff_error *err)
{
    fs_batch *b = one_batch(db, err);
    if (b == NULL)
        return FS_RESOURCE_EXHAUSTED;
    return commit_one(b, fs_batch_delete(b, path, pre, err), NULL, err);
}
