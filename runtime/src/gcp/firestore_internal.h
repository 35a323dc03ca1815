/*
 * firestore_internal.h - what the firestore_*.c files share: the handle, the REST call
 * plumbing, path helpers and the transaction-aware read functions.
 */
#ifndef FIRESTORE_INTERNAL_H
#define FIRESTORE_INTERNAL_H

#include "gcp/firestore.h"
#include "gcp/http.h"

struct fs_db {
    char *base_url; /* "http://host:port/v1" or "https://firestore.googleapis.com/v1" */
    char *root;     /* "projects/{p}/databases/{d}/documents" */
    int emulator;
    long timeout_ms;
    long connect_timeout_ms;
    int max_attempts;
    unsigned json_flags;
};

/*
 * Calls a REST method. `url_path` follows base_url and a slash ("projects/...:commit").
 * body (may be NULL) is borrowed. On success *out (if out is not NULL) receives the parsed
 * response, a new reference (NULL for an empty body). On failure returns an fs_status
 * with err set from the Google error body, the HTTP status, or the transport failure.
 */
int fs_call(fs_db *db, const char *method, const char *url_path, const json_t *body, int retry, json_t **out,
            ff_error *err);
/* fs_call with the body as JSON text already written (may be NULL). */
int fs_call_text(fs_db *db, const char *method, const char *url_path, const char *body, size_t body_len,
                 int retry, json_t **out, ff_error *err);
/* fs_call_text that hands over the response body unparsed: *text (malloc'd, NUL-terminated,
 * the caller frees; NULL for an empty body) and its length. */
int fs_call_raw(fs_db *db, const char *method, const char *url_path, const char *body, size_t body_len,
                int retry, char **text, size_t *text_len, ff_error *err);

/*
 * Retry policy of a read. Outside a transaction a read is always safe to repeat. Inside
 * one it is not repeated here: an ABORTED transaction stays aborted, so the whole
 * transaction is what must run again (fs_run_transaction does).
 */
static inline int fs_read_retry(const char *txn)
{
    return txn == NULL ? GCP_HTTP_RETRY_SAFE : GCP_HTTP_NO_RETRY;
}

/* ---- paths (firestore_path.c) ---------------------------------------------------- */

enum { FS_PATH_DOC = 0, FS_PATH_COLLECTION = 1, FS_PATH_PARENT = 2 /* "" or a document */ };

int fs_path_check(const char *path, int kind, ff_error *err);

/*
 * Streamed answers (batchGet, runQuery) are arrays whose items may carry an "error" in
 * the middle of the stream. Returns 0 when item has none, else its status with err set
 * ("firestore <op>: <message>").
 */
int fs_stream_item_error(const json_t *item, const char *op, ff_error *err);
/* path with each segment percent-encoded for a URL. malloc'd; NULL on out of memory. */
char *fs_path_encode(const char *path);
/* Appends the percent-encoding of s to a URL query value. malloc'd. */
char *fs_query_escape(const char *s);
/* "{root}/{path}" (path may be ""). malloc'd. */
char *fs_full_name(const fs_db *db, const char *path);
/* A field name as a field path segment: as is when simple, else `quoted`. malloc'd. */
char *fs_field_path_quote(const char *name);
/* "?mask.fieldPaths=a&mask.fieldPaths=b" for a mask ("" for NULL). malloc'd. */
char *fs_mask_query(const char *const *mask);
/* {"fieldPaths": [...]} for a mask; NULL for a NULL mask. New reference. */
json_t *fs_mask_json(const char *const *mask);

/* ---- values (firestore_value.c) --------------------------------------------------- */

/* Append the REST form of plain JSON to b: a value, or a fields object {"k": value, ...}.
 * 0, or an fs_status with err set (b then holds part of the text: the caller drops it). */
int fs_value_write(ff_jbuf *b, const json_t *v, unsigned flags, ff_error *err);
int fs_fields_write(ff_jbuf *b, const json_t *obj, unsigned flags, ff_error *err);

/* The reserved key of a one-member object that reads as a tagged value ("$timestamp",
 * "$map"...), else NULL. */
const char *fs_value_tag(const json_t *obj);

/* ---- documents (firestore_doc.c) -------------------------------------------------- */

/* Parses a REST Document into a new fs_doc; NULL with err on malformed input. */
fs_doc *fs_doc_from_rest(const fs_db *db, const json_t *doc, ff_error *err);
/* The same from the Document's JSON text, in one pass (firestore_read.c). */
fs_doc *fs_doc_parse(const fs_db *db, const char *text, size_t len, ff_error *err);
/* A commit answer's commitTime and first updateTime ("" when absent; either out may be
 * NULL). 0, or FS_UNKNOWN with err set when the text is not a JSON object. */
int fs_commit_parse(const char *text, size_t len, char *commit_time_out, char *update_time_out,
                    ff_error *err);
/* A new fs_doc: name copied (NULL: "document without a name"), fields stolen (plain JSON),
 * times copied (NULL: ""). NULL with err set on failure, fields then released. */
fs_doc *fs_doc_new(const fs_db *db, const char *name, json_t *fields, const char *create_time,
                   const char *update_time, ff_error *err);
/* batchGet, inside a transaction when txn is not NULL (base64 ID). */
int fs_batch_get_in(fs_db *db, const char *txn, const char *const *paths, size_t n, const char *const *mask,
                    fs_doc **out, ff_error *err);
int fs_query_in(fs_db *db, const char *txn, const fs_query_def *q, fs_doc_list *out, ff_error *err);

/* ---- writes (firestore_write.c) -------------------------------------------------- */

/* Commits b, inside transaction txn (base64 ID) when not NULL. update_time_out receives
 * the first write's updateTime when not NULL. */
int fs_commit_in(fs_db *db, const fs_batch *b, const char *txn, char *commit_time_out, char *update_time_out,
                 ff_error *err);
/* Drops every write (the batch stays usable). */
void fs_batch_clear(fs_batch *b);

#endif
