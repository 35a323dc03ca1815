/*
 * firestore_doc.c - reading documents: REST Document -> fs_doc, get (GET with an optional
 * field mask) and batchGet (also the transport for transactional reads, since the
 * emulator cannot take a transaction as a GET query parameter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firestore_internal.h"

void fs_doc_free(fs_doc *doc)
{
    if (doc == NULL)
        return;
    free(doc->name);
    json_decref(doc->fields);
    free(doc);
}

void fs_doc_list_free(fs_doc_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        fs_doc_free(list->docs[i]);
    free(list->docs);
    list->docs = NULL;
    list->n = 0;
}

fs_doc *fs_doc_new(const fs_db *db, const char *name, json_t *fields, const char *create_time,
                   const char *update_time, ff_error *err)
{
    if (name == NULL) {
        json_decref(fields);
        ff_error_set(err, FS_UNKNOWN, "firestore: document without a name in response");
        return NULL;
    }
    fs_doc *doc = calloc(1, sizeof(*doc));
    if (doc == NULL || fields == NULL || (doc->name = strdup(name)) == NULL) {
        free(doc);
        json_decref(fields);
        ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
        return NULL;
    }
    size_t root_len = strlen(db->root);
    int under_root = strncmp(doc->name, db->root, root_len) == 0 && doc->name[root_len] == '/';
    doc->path = under_root ? doc->name + root_len + 1 : doc->name;
    const char *slash = strrchr(doc->name, '/');
    doc->id = slash ? slash + 1 : doc->name;
    doc->fields = fields;
    ff_strlcpy(doc->create_time, FS_TIME_SIZE, create_time);
    ff_strlcpy(doc->update_time, FS_TIME_SIZE, update_time);
    return doc;
}

fs_doc *fs_doc_from_rest(const fs_db *db, const json_t *rest, ff_error *err)
{
    const char *name = json_string_value(json_object_get(rest, "name"));
    if (name == NULL) {
        ff_error_set(err, FS_UNKNOWN, "firestore: document without a name in response");
        return NULL;
    }
    json_t *fields = fs_fields_to_json(json_object_get(rest, "fields"), err);
    if (fields == NULL)
        return NULL;
    return fs_doc_new(db, name, fields, json_string_value(json_object_get(rest, "createTime")),
                      json_string_value(json_object_get(rest, "updateTime")), err);
}

int fs_doc_get(fs_db *db, const char *path, const char *const *mask, fs_doc **out, ff_error *err)
{
    *out = NULL;
    int rc = fs_path_check(path, FS_PATH_DOC, err);
    if (rc != 0)
        return rc;
    char *enc = fs_path_encode(path), *query = fs_mask_query(mask);
    char *url = enc && query ? ff_concat_alloc(db->root, "/", enc, query, NULL) : NULL;
    free(enc);
    free(query);
    if (url == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    char *text = NULL;
    size_t len = 0;
    rc = fs_call_raw(db, "GET", url, NULL, 0, GCP_HTTP_RETRY_SAFE, &text, &len, err);
    free(url);
    if (rc == 0) {
        *out = fs_doc_parse(db, text, len, err);
        rc = *out ? 0 : err->code ? err->code : FS_UNKNOWN;
    }
    free(text);
    return rc;
}

/* ---- batchGet ------------------------------------------------------------------------ */

static json_t *batch_get_body(const fs_db *db, const char *txn, const char *const *paths, size_t n,
                              const char *const *mask)
{
    json_t *names = json_array();
    for (size_t i = 0; i < n; i++) {
        char *name = fs_full_name(db, paths[i]);
        json_array_append_new(names, json_string(name));
        free(name);
    }
    json_t *body = json_pack("{so}", "documents", names);
    if (mask != NULL)
        json_object_set_new(body, "mask", fs_mask_json(mask));
    if (txn != NULL)
        json_object_set_new(body, "transaction", json_string(txn));
    return body;
}

static fs_doc *doc_copy(const fs_doc *src)
{
    fs_doc *doc = calloc(1, sizeof(*doc));
    if (doc == NULL)
        return NULL;
    *doc = *src;
    doc->name = strdup(src->name);
    doc->fields = json_deep_copy(src->fields);
    if (doc->name == NULL || doc->fields == NULL) {
        fs_doc_free(doc);
        return NULL;
    }
    doc->path = doc->name + (src->path - src->name);
    doc->id = doc->name + (src->id - src->name);
    return doc;
}

/* Stores a found document in every slot asking for its path (paths may repeat). */
static int place_found(const fs_db *db, const json_t *found, const char *const *paths, size_t n, fs_doc **out,
                       ff_error *err)
{
    fs_doc *doc = fs_doc_from_rest(db, found, err);
    if (doc == NULL)
        return err ? err->code : FS_UNKNOWN;
    for (size_t i = 0; i < n && doc != NULL; i++) {
        if (out[i] != NULL || strcmp(doc->path, paths[i]) != 0)
            continue;
        out[i] = doc;
        doc = NULL;
        for (size_t j = i + 1; j < n; j++)
            if (out[j] == NULL && strcmp(out[i]->path, paths[j]) == 0 && (out[j] = doc_copy(out[i])) == NULL)
                return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    }
    fs_doc_free(doc); /* an answer to nothing we asked: ignore it */
    return 0;
}

static int read_batch_response(const fs_db *db, const json_t *res, const char *const *paths, size_t n,
                               fs_doc **out, ff_error *err)
{
    if (!json_is_array(res))
        return ff_error_set(err, FS_UNKNOWN, "firestore batchGet: response is not an array");
    size_t i;
    json_t *item;
    json_array_foreach(res, i, item)
    {
        int rc = fs_stream_item_error(item, "batchGet", err);
        if (rc != 0)
            return rc;
        json_t *found = json_object_get(item, "found");
        if (found != NULL && place_found(db, found, paths, n, out, err) != 0)
            return err->code;
    }
    return 0;
}

int fs_batch_get_in(fs_db *db, const char *txn, const char *const *paths, size_t n, const char *const *mask,
                    fs_doc **out, ff_error *err)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        int rc = fs_path_check(paths[i], FS_PATH_DOC, err);
        if (rc != 0)
            return rc;
    }
    if (n == 0)
        return 0;
    json_t *body = batch_get_body(db, txn, paths, n, mask), *res = NULL;
    char *url = ff_concat_alloc(db->root, ":batchGet", NULL);
    int rc;
    if (url == NULL || body == NULL)
        rc = ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    else
        rc = fs_call(db, "POST", url, body, fs_read_retry(txn), &res, err);
    if (rc == 0)
        rc = read_batch_response(db, res, paths, n, out, err);
    if (rc != 0)
        for (size_t i = 0; i < n; i++) {
            fs_doc_free(out[i]);
            out[i] = NULL;
        }
    json_decref(res);
    json_decref(body);
    free(url);
    return rc;
}

int fs_doc_batch_get(fs_db *db, const char *const *paths, size_t n, const char *const *mask, fs_doc **out,
                     ff_error *err)
{
    return fs_batch_get_in(db, NULL, paths, n, mask, out, err);
}
