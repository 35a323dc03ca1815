/*
 * gcp/firestore.h - a Firestore client over the REST v1 API: documents as plain jansson
 * JSON, preconditioned and atomic writes, transactions, queries.
 *
 * Endpoint: https://firestore.googleapis.com/v1/projects/{p}/databases/{d}/documents/...
 * with an OAuth2 token from gcp/auth.h, or http://$FIRESTORE_EMULATOR_HOST/v1/... with
 * "Bearer owner" (which bypasses security rules) when the emulator variable is set.
 *
 * Paths are relative to the database's documents root: "projects/p1/sessions/s1" is a
 * document, "projects/p1/sessions" a collection. Every segment is validated before a
 * request is sent (non-empty, no '/', not "." or "..", not "__...__", at most 1500 bytes,
 * valid UTF-8); a bad path fails with FS_INVALID_ARGUMENT and a message starting
 * "firestore: invalid path".
 *
 * Errors: every function returning int returns 0 (FS_OK) or an fs_status, and sets
 * err->code to the same value with the server's message (for logs, never for clients).
 * Transport failures are FS_UNAVAILABLE.
 *
 * Threads: an fs_db may be used by any number of threads at once. An fs_txn and an
 * fs_batch belong to one thread at a time.
 *
 * ---- Value model: Firestore values <-> plain JSON -------------------------------------
 *
 *   Firestore                 plain JSON (jansson)
 *   nullValue                 null
 *   booleanValue              true / false
 *   integerValue ("123")      integer (64-bit, INT64_MIN..INT64_MAX)
 *   doubleValue               real (even when integral: 4.0 stays a real, and back)
 *   doubleValue NaN/+-Inf     {"$double": "NaN" | "Infinity" | "-Infinity"}
 *                             ({"$double": 3} also writes any number as a double)
 *   stringValue               string
 *   timestampValue            {"$timestamp": "2024-01-02T03:04:05.123456Z"} (RFC 3339 text)
 *   bytesValue                {"$bytes": "<base64>"}
 *   referenceValue            {"$reference": "projects/{p}/databases/{d}/documents/..."}
 *   geoPointValue             {"$geoPoint": {"latitude": real, "longitude": real}}
 *   arrayValue                array      (empty: written as {"arrayValue": {}})
 *   mapValue                  object     (empty: written as {"mapValue": {}})
 *
 * A JSON object with exactly one member whose key is one of "$double", "$timestamp",
 * "$bytes", "$reference", "$geoPoint" or "$map" is a tagged value; any other object is a
 * map. A real map that happens to have a single such key is read as {"$map": {...}} and
 * "$map" is unwrapped on write, so every Firestore value round-trips losslessly and
 * documents written by the Node.js Admin SDK read back identically. A document's top-level
 * fields object is always a map: its keys are never read as tags.
 *
 * Numbers: by default the JSON type decides (integer -> integerValue, real ->
 * doubleValue), which keeps read-modify-write cycles exact. The Admin SDK instead stores
 * any integral JavaScript number as integerValue; FS_JSON_JS_NUMBERS (fs_options.json_flags)
 * does the same for reals with an integral value within +-2^53 (4.0 -> integerValue "4";
 * -0.0 stays a double), for callers that store numbers received from clients.
 */
#ifndef GCP_FIRESTORE_H
#define GCP_FIRESTORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "ff.h"

#ifdef __cplusplus
extern "C" {
#endif

/* google.rpc.Code: the value of ff_error.code after a failed call. */
typedef enum fs_status {
    FS_OK = 0,
    FS_CANCELLED = 1,
    FS_UNKNOWN = 2,
    FS_INVALID_ARGUMENT = 3,
    FS_DEADLINE_EXCEEDED = 4,
    FS_NOT_FOUND = 5,
    FS_ALREADY_EXISTS = 6,
    FS_PERMISSION_DENIED = 7,
    FS_RESOURCE_EXHAUSTED = 8,
    FS_FAILED_PRECONDITION = 9,
    FS_ABORTED = 10,
    FS_OUT_OF_RANGE = 11,
    FS_UNIMPLEMENTED = 12,
    FS_INTERNAL = 13,
    FS_UNAVAILABLE = 14,
    FS_DATA_LOSS = 15,
    FS_UNAUTHENTICATED = 16,
} fs_status;

/* "NOT_FOUND" for FS_NOT_FOUND...; "UNKNOWN" for anything else. Static string. */
const char *fs_status_name(int code);
/* The code for a Google status name; FS_UNKNOWN when unrecognised. */
fs_status fs_status_from_name(const char *name);
/* The code Google gives an HTTP status when the body names none (404 -> NOT_FOUND...). */
fs_status fs_status_from_http(long http_status);

enum {
    FS_ID_SIZE = 21,   /* generated document ID (20 chars) plus NUL */
    FS_TIME_SIZE = 48, /* RFC 3339 timestamp text plus NUL */
};

enum { FS_JSON_DEFAULT = 0, FS_JSON_JS_NUMBERS = 1 };

/* ---- database handle --------------------------------------------------------------- */

typedef struct fs_db fs_db;

typedef struct fs_options {
    const char *project_id;    /* GCP project; NULL = GOOGLE_CLOUD_PROJECT..., see gcp_project_id */
    const char *database_id;   /* NULL = "(default)" */
    const char *emulator_host; /* "host:port"; NULL = $FIRESTORE_EMULATOR_HOST; "" = production
                                  ($FIRESTORE_ENDPOINT, https or loopback, else Google's) */
    long timeout_ms;           /* per HTTP attempt; 0 = 20000 */
    long connect_timeout_ms;   /* 0 = 5000 */
    int max_attempts;          /* for calls that are safe to retry; 0 = 4 */
    unsigned json_flags;       /* FS_JSON_* */
} fs_options;

/*
 * Opens a handle (no network traffic). opts may be NULL for all defaults. Returns a new
 * handle the caller closes with fs_db_close, or NULL with err set.
 */
fs_db *fs_db_open(const fs_options *opts, ff_error *err);
void fs_db_close(fs_db *db);
/*
 * The process-wide handle configured from the environment, opened on first use. Owned by
 * the library and never freed: do not close it. NULL with err set if it cannot be opened
 * (a later call tries again).
 */
fs_db *fs_db_default(ff_error *err);
/* "projects/{p}/databases/{d}/documents"; owned by db. */
const char *fs_db_root(const fs_db *db);

/*
 * Sets a deadline (ff_now_mono_ms() scale; 0 = none) for every call the calling
 * invocation (outside one: the calling thread) makes from now on, e.g.
 * fs_set_deadline(ff_req_deadline_ms(req)) at the top of a handler. It caps each HTTP attempt, retry backoffs
 * and transaction retries; a call made after it fails with FS_DEADLINE_EXCEEDED without sending anything.
 */
void fs_set_deadline(int64_t deadline_mono_ms);

/* ---- values -------------------------------------------------------------------------- */

/* Plain JSON -> Firestore Value ({"stringValue": ...}). New reference, or NULL with err. */
json_t *fs_value_from_json(const json_t *v, unsigned flags, ff_error *err);
/* Firestore Value -> plain JSON. New reference, or NULL with err (FS_UNKNOWN for a
 * malformed or unsupported value). */
json_t *fs_value_to_json(const json_t *value, ff_error *err);
/* A JSON object -> a Firestore "fields" object (name -> Value), and back. New references. */
json_t *fs_fields_from_json(const json_t *obj, unsigned flags, ff_error *err);
json_t *fs_fields_to_json(const json_t *fields, ff_error *err);

/* Tagged values for the plain-JSON form (new references; NULL on bad input). */
json_t *fs_timestamp(const char *rfc3339);
json_t *fs_timestamp_ms(int64_t ms_since_epoch); /* "...T...:..:..SSSZ" in UTC */
json_t *fs_bytes(const void *data, size_t len);
json_t *fs_geo_point(double latitude, double longitude);
/* A reference to the document at `path` in db (validated). */
json_t *fs_reference(const fs_db *db, const char *path, ff_error *err);

/* ---- paths and IDs ------------------------------------------------------------------- */

/* Checks a document path (even number of segments) / collection path (odd). */
int fs_check_doc_path(const char *path, ff_error *err);
int fs_check_collection_path(const char *path, ff_error *err);
/* Writes a new random ID of 20 [A-Za-z0-9] characters from a CSPRNG into out. Returns 0,
 * or FS_INTERNAL if the random generator fails. */
int fs_new_id(char out[FS_ID_SIZE], ff_error *err);

/* ---- documents ----------------------------------------------------------------------- */

typedef struct fs_doc {
    char *name;       /* full resource name; owned */
    const char *path; /* points into name: "projects/p1/sessions/s1" */
    const char *id;   /* points into name: "s1" */
    json_t *fields;   /* plain JSON object (value model above); owned by the doc */
    char create_time[FS_TIME_SIZE];
    char update_time[FS_TIME_SIZE];
} fs_doc;

/* Frees a document and its fields (json_incref(doc->fields) first to keep them). NULL is fine. */
void fs_doc_free(fs_doc *doc);

typedef struct fs_doc_list {
    fs_doc **docs; /* owned, each freed by fs_doc_list_free */
    size_t n;
} fs_doc_list;
void fs_doc_list_free(fs_doc_list *list);

/*
 * Reads a document. mask: NULL, or a NULL-terminated list of field paths to return
 * ("status", "progress.percentage"). On success *out is a new document the caller frees
 * with fs_doc_free; on failure *out is NULL (FS_NOT_FOUND when it does not exist).
 */
int fs_doc_get(fs_db *db, const char *path, const char *const *mask, fs_doc **out, ff_error *err);

/*
 * Reads n documents in one call. out[i] receives a new document for paths[i], or NULL if
 * it does not exist (that is not an error). The caller frees each with fs_doc_free. On
 * failure every out[i] is NULL.
 */
int fs_doc_batch_get(fs_db *db, const char *const *paths, size_t n, const char *const *mask, fs_doc **out,
                     ff_error *err);

/* What a precondition requires of the document's current state. */
typedef enum fs_pre_kind {
    FS_PRE_NONE = 0,
    FS_PRE_EXISTS,      /* must exist */
    FS_PRE_MISSING,     /* must not exist */
    FS_PRE_UPDATE_TIME, /* must exist with exactly this updateTime */
} fs_pre_kind;

typedef struct fs_precondition {
    fs_pre_kind kind;
    const char *update_time; /* for FS_PRE_UPDATE_TIME: as returned in fs_doc.update_time */
} fs_precondition;

/*
 * Creates collection/id with `fields` (a JSON object). id NULL: a generated ID, copied into
 * id_out (FS_ID_SIZE bytes) when id_out is not NULL. FS_ALREADY_EXISTS when the document
 * exists. update_time_out (FS_TIME_SIZE bytes) may be NULL. Because the write is guarded
 * it is retried on transient failures; an FS_ALREADY_EXISTS after a retry
 * (see err message) may therefore be our own first attempt.
 */
int fs_doc_create(fs_db *db, const char *collection, const char *id, const json_t *fields, char *id_out,
                  char *update_time_out, ff_error *err);

/* Replaces the whole document with `fields` (creating it if needed unless pre says
 * otherwise). pre may be NULL. */
int fs_doc_set(fs_db *db, const char *path, const json_t *fields, const fs_precondition *pre,
               char *update_time_out, ff_error *err);

/*
 * Updates only the fields named by mask (NULL-terminated field paths; NULL = the top-level
 * keys of `fields`), leaving every other field as it is. A masked path absent from
 * `fields` is deleted. pre NULL creates the document if missing; pass
 * {FS_PRE_EXISTS} for the Admin SDK's update() semantics (FS_NOT_FOUND when missing).
 */
int fs_doc_update(fs_db *db, const char *path, const json_t *fields, const char *const *mask,
                  const fs_precondition *pre, char *update_time_out, ff_error *err);

/* Deletes a document (deleting a missing one succeeds unless pre says otherwise). */
int fs_doc_delete(fs_db *db, const char *path, const fs_precondition *pre, ff_error *err);

/* ---- atomic batches of writes -------------------------------------------------------- */

typedef struct fs_batch fs_batch;

/* A new empty batch for db (which must outlive it). Free with fs_batch_free. */
fs_batch *fs_batch_new(fs_db *db);
void fs_batch_free(fs_batch *b);
size_t fs_batch_count(const fs_batch *b);
/* Adds a write (same meaning as the fs_doc_* call of the same name). On error the batch is
 * unchanged. fields are converted at once, so the caller keeps ownership. */
int fs_batch_create(fs_batch *b, const char *path, const json_t *fields, ff_error *err);
int fs_batch_set(fs_batch *b, const char *path, const json_t *fields, const fs_precondition *pre,
                 ff_error *err);
int fs_batch_update(fs_batch *b, const char *path, const json_t *fields, const char *const *mask,
                    const fs_precondition *pre, ff_error *err);
int fs_batch_delete(fs_batch *b, const char *path, const fs_precondition *pre, ff_error *err);

/*
 * Commits every write of the batch atomically: all apply or none does. A failed
 * precondition fails the whole commit (FS_ALREADY_EXISTS, FS_NOT_FOUND or
 * FS_FAILED_PRECONDITION). commit_time_out (FS_TIME_SIZE) may be NULL. Retried on
 * transient failures only when every write carries a precondition.
 */
int fs_commit(fs_db *db, const fs_batch *b, char *commit_time_out, ff_error *err);

/* ---- queries ------------------------------------------------------------------------- */

typedef enum fs_op {
    FS_OP_LT = 1,
    FS_OP_LE,
    FS_OP_GT,
    FS_OP_GE,
    FS_OP_EQ,
    FS_OP_NE,
    FS_OP_ARRAY_CONTAINS,
    FS_OP_IN,                 /* value: array */
    FS_OP_ARRAY_CONTAINS_ANY, /* value: array */
    FS_OP_NOT_IN,             /* value: array */
    FS_OP_IS_NULL,            /* unary: value ignored */
    FS_OP_IS_NOT_NULL,
    FS_OP_IS_NAN,
    FS_OP_IS_NOT_NAN,
} fs_op;

typedef struct fs_filter {
    const char *field; /* field path */
    fs_op op;
    const json_t *value; /* plain JSON; borrowed */
} fs_filter;

typedef struct fs_order {
    const char *field;
    int descending;
} fs_order;

typedef struct fs_query_def {
    const char *parent;       /* document path holding the collection; NULL or "" = root */
    const char *collection;   /* collection ID (one segment) */
    int all_descendants;      /* nonzero: every collection with this ID below parent (a collection group) */
    const fs_filter *filters; /* ANDed together */
    size_t n_filters;
    const fs_order *order;
    size_t n_order;
    int limit;                 /* 0 = no limit */
    const char *const *select; /* NULL-terminated field paths to return; NULL = whole documents */
    /* Paging: start after the document with these values of the order fields (a plain JSON
     * array, borrowed; order by "__name__" last and give fs_reference() for it). NULL = from
     * the start. */
    const json_t *start_after;
} fs_query_def;

/* Runs a query. On success *out holds new documents the caller frees with
 * fs_doc_list_free; on failure it is empty. With FS_QUERY_LOG=FILE in the environment each
 * query is also appended to FILE as one JSON line {"parent", "structuredQuery", "by"} (the
 * index check of tests/indexes reads it). */
int fs_query(fs_db *db, const fs_query_def *q, fs_doc_list *out, ff_error *err);

/* ---- transactions -------------------------------------------------------------------- */

typedef struct fs_txn fs_txn;

/*
 * Begins a read-write (or read-only) transaction. Returns a new transaction, freed with
 * fs_txn_free, or NULL with err set. Reads through the transaction lock the documents
 * they read until commit or rollback.
 */
fs_txn *fs_txn_begin(fs_db *db, int read_only, ff_error *err);
/* Transactional reads: same contracts as fs_doc_get / fs_doc_batch_get / fs_query. */
int fs_txn_get(fs_txn *t, const char *path, const char *const *mask, fs_doc **out, ff_error *err);
int fs_txn_batch_get(fs_txn *t, const char *const *paths, size_t n, const char *const *mask, fs_doc **out,
                     ff_error *err);
int fs_txn_query(fs_txn *t, const fs_query_def *q, fs_doc_list *out, ff_error *err);
/* The writes to send at commit; owned by the transaction. */
fs_batch *fs_txn_writes(fs_txn *t);
/*
 * Commits the buffered writes. FS_ABORTED means the transaction lost a conflict and
 * nothing was written: run it again (fs_run_transaction does). Never retried blindly.
 */
int fs_txn_commit(fs_txn *t, char *commit_time_out, ff_error *err);
int fs_txn_rollback(fs_txn *t, ff_error *err);
/* Frees the transaction, rolling it back first if it is still open. */
void fs_txn_free(fs_txn *t);
/* How many attempts fs_run_transaction has made, counting this one (1 = first). */
int fs_txn_attempt(const fs_txn *t);

/*
 * The body of a transaction: reads through t, adds writes to fs_txn_writes(t), returns 0
 * to commit, or nonzero (with err set) to roll back and fail. Returning FS_ABORTED (as a
 * transactional read does when the transaction lost a conflict) asks for another attempt.
 * It may run several times, so it must not have side effects outside the transaction.
 */
typedef int (*fs_txn_fn)(fs_txn *t, void *arg, ff_error *err);

/*
 * Runs fn in a transaction and commits, running the whole transaction again (after a
 * jittered backoff, with the server's retry priority) when it lost a conflict (ABORTED
 * from a read or the commit) or when fn failed with FS_UNAVAILABLE before the commit, up
 * to max_attempts times (0 = 5). A commit that fails UNAVAILABLE is not repeated: it may
 * have landed. Returns 0 once committed, else the last error (FS_ABORTED when every
 * attempt lost).
 */
int fs_run_transaction(fs_db *db, fs_txn_fn fn, void *arg, int max_attempts, ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
