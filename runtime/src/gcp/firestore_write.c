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
    ff_jbuf writes;   /* the REST Write objects as JSON text, comma-separated */
    size_t count;     /* how many */
    size_t unguarded; /* writes without a precondition: they make a retry unsafe */
};

fs_batch *fs_batch_new(fs_db *db)
{
    fs_batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->db = db;
    ff_jbuf_init(&b->writes, NULL, 0, 0);
    return b;
}

void fs_batch_free(fs_batch *b)
{
    if (b == NULL)
        return;
    ff_jbuf_release(&b->writes);
    free(b);
}

size_t fs_batch_count(const fs_batch *b)
{
    return b->count;
}

void fs_batch_clear(fs_batch *b)
{
    ff_jbuf_release(&b->writes);
    b->count = 0;
    b->unguarded = 0;
}

/* ---- building writes -----------------------------------------------------------------
 *
 * Each write is appended to the batch's text as it is added; a write that fails half-way
 * is cut off again, so the batch holds only whole writes.
 */

/* ,"currentDocument":{...} for pre; nothing for none. 0, or INVALID_ARGUMENT. */
static int write_precondition(fs_batch *b, const fs_precondition *pre, ff_error *err)
{
    ff_jbuf *w = &b->writes;
    switch (pre ? pre->kind : FS_PRE_NONE) {
    case FS_PRE_NONE:
        b->unguarded++;
        return 0;
    case FS_PRE_EXISTS:
        ff_jbuf_lit(w, ",\"currentDocument\":{\"exists\":true}");
        return 0;
    case FS_PRE_MISSING:
        ff_jbuf_lit(w, ",\"currentDocument\":{\"exists\":false}");
        return 0;
    case FS_PRE_UPDATE_TIME:
        if (pre->update_time == NULL || pre->update_time[0] == '\0')
            break;
        ff_jbuf_lit(w, ",\"currentDocument\":{\"updateTime\":");
        ff_jbuf_string(w, pre->update_time, strlen(pre->update_time));
        ff_jbuf_lit(w, "}");
        return 0;
    }
    return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid precondition");
}

/* "<key>":"{root}/{path}" after checking the path. */
static int write_name(fs_batch *b, const char *key, const char *path, ff_error *err)
{
    int rc = fs_path_check(path, FS_PATH_DOC, err);
    if (rc != 0)
        return rc;
    char *name = fs_full_name(b->db, path);
    if (name == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    ff_jbuf_string(&b->writes, key, strlen(key));
    ff_jbuf_lit(&b->writes, ":");
    ff_jbuf_string(&b->writes, name, strlen(name));
    free(name);
    return 0;
}

/* "update":{"name":...,"fields":{...}} for path and plain JSON fields. */
static int write_document(fs_batch *b, const char *path, const json_t *fields, ff_error *err)
{
    ff_jbuf_lit(&b->writes, "\"update\":{");
    int rc = write_name(b, "name", path, err);
    if (rc != 0)
        return rc;
    ff_jbuf_lit(&b->writes, ",\"fields\":");
    ff_error cerr = {0};
    rc = fs_fields_write(&b->writes, fields, b->db->json_flags, &cerr);
    if (rc != 0)
        return ff_error_set(err, cerr.code ? cerr.code : FS_INTERNAL, "%s", cerr.message);
    ff_jbuf_lit(&b->writes, "}");
    return 0;
}

/* ,"updateMask":{"fieldPaths":[...]}: the given paths, or the quoted top-level keys of fields. */
static int write_mask(ff_jbuf *w, const json_t *fields, const char *const *mask, ff_error *err)
{
    ff_jbuf_lit(w, ",\"updateMask\":{\"fieldPaths\":[");
    if (mask != NULL) {
        for (size_t i = 0; mask[i] != NULL; i++) {
            if (mask[i][0] == '\0')
                return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: empty field path in update mask");
            if (i > 0)
                ff_jbuf_lit(w, ",");
            ff_jbuf_string(w, mask[i], strlen(mask[i]));
        }
    } else {
        const char *key;
        json_t *v;
        int first = 1;
        json_object_foreach((json_t *)fields, key, v)
        {
            char *quoted = fs_field_path_quote(key);
            if (quoted == NULL)
                return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
            if (!first)
                ff_jbuf_lit(w, ",");
            first = 0;
            ff_jbuf_string(w, quoted, strlen(quoted));
            free(quoted);
        }
    }
    ff_jbuf_lit(w, "]}");
    return 0;
}

/* Opens a write ("{" after a comma unless first); returns where it started. */
static size_t begin_write(fs_batch *b)
{
    size_t mark = b->writes.len;
    if (b->count > 0)
        ff_jbuf_lit(&b->writes, ",");
    ff_jbuf_lit(&b->writes, "{");
    return mark;
}

/* Closes the write begun at mark, or cuts it off when rc or the buffer failed. */
static int end_write(fs_batch *b, size_t mark, size_t unguarded, int rc, ff_error *err)
{
    if (rc == 0 && b->writes.failed)
        rc = ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    if (rc == 0) {
        ff_jbuf_lit(&b->writes, "}");
        rc = b->writes.failed ? ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory") : 0;
    }
    if (rc != 0) {
        b->writes.failed = 0;
        b->writes.len = mark;
        if (b->writes.p != NULL)
            b->writes.p[mark] = '\0';
        b->unguarded = unguarded;
        return rc;
    }
    b->count++;
    return 0;
}

int fs_batch_set(fs_batch *b, const char *path, const json_t *fields, const fs_precondition *pre,
                 ff_error *err)
{
    size_t unguarded = b->unguarded, mark = begin_write(b);
    int rc = write_document(b, path, fields, err);
    if (rc == 0)
        rc = write_precondition(b, pre, err);
    return end_write(b, mark, unguarded, rc, err);
}

int fs_batch_create(fs_batch *b, const char *path, const json_t *fields, ff_error *err)
{
    const fs_precondition missing = {FS_PRE_MISSING, NULL};
    return fs_batch_set(b, path, fields, &missing, err);
}

int fs_batch_update(fs_batch *b, const char *path, const json_t *fields, const char *const *mask,
                    const fs_precondition *pre, ff_error *err)
{
    size_t unguarded = b->unguarded, mark = begin_write(b);
    int rc = write_document(b, path, fields, err);
    if (rc == 0)
        rc = write_mask(&b->writes, fields, mask, err);
    if (rc == 0)
        rc = write_precondition(b, pre, err);
    return end_write(b, mark, unguarded, rc, err);
}

int fs_batch_delete(fs_batch *b, const char *path, const fs_precondition *pre, ff_error *err)
{
    size_t unguarded = b->unguarded, mark = begin_write(b);
    int rc = write_name(b, "delete", path, err);
    if (rc == 0)
        rc = write_precondition(b, pre, err);
    return end_write(b, mark, unguarded, rc, err);
}

/* ---- commit -------------------------------------------------------------------------- */

int fs_commit_in(fs_db *db, const fs_batch *b, const char *txn, char *commit_time_out, char *update_time_out,
                 ff_error *err)
{
    char stack[2048];
    ff_jbuf body;
    ff_jbuf_init(&body, stack, sizeof(stack), 0);
    ff_jbuf_lit(&body, "{\"writes\":[");
    if (b->count > 0)
        ff_jbuf_raw(&body, b->writes.p, b->writes.len);
    ff_jbuf_lit(&body, "]");
    if (txn != NULL) {
        ff_jbuf_lit(&body, ",\"transaction\":");
        ff_jbuf_string(&body, txn, strlen(txn));
    }
    ff_jbuf_lit(&body, "}");
    /* A commit that may have landed is repeated only when every write carries a
     * precondition, so a repeat fails instead of applying twice (or over a newer write).
     * A transaction's commit is never repeated: run the transaction again instead. */
    int safe = txn == NULL && b->unguarded == 0 && b->count > 0;
    char *url = ff_concat_alloc(db->root, ":commit", NULL), *answer = NULL;
    size_t answer_len = 0;
    int rc = url && !body.failed
                 ? fs_call_raw(db, "POST", url, body.p, body.len,
                               safe ? GCP_HTTP_RETRY_SAFE : GCP_HTTP_NO_RETRY, &answer, &answer_len, err)
                 : ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    if (rc == 0)
        rc = fs_commit_parse(answer, answer_len, commit_time_out, update_time_out, err);
    free(answer);
    free(url);
    ff_jbuf_release(&body);
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
    char *path = ff_concat_alloc(collection, "/", id ? id : generated, NULL);
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
