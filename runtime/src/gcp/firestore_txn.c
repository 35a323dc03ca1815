/*
 * firestore_txn.c - transactions: begin, transactional reads, commit, rollback, and
 * fs_run_transaction, which runs a callback in a transaction and runs it again, with
 * backoff, when the transaction loses a conflict (ABORTED) or its reads fail UNAVAILABLE.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firestore_internal.h"

#define TXN_DEFAULT_ATTEMPTS 5
#define TXN_BACKOFF_BASE_MS  50
#define TXN_BACKOFF_MAX_MS   2000

struct fs_txn {
    fs_db *db;
    char *id; /* base64 transaction ID as the API gives it */
    fs_batch *writes;
    int open; /* neither committed, rolled back nor aborted */
    int attempt;
};

static fs_txn *txn_begin(fs_db *db, int read_only, const char *retry_of, ff_error *err)
{
    json_t *mode = read_only  ? json_pack("{s{}}", "readOnly")
                   : retry_of ? json_pack("{s{ss}}", "readWrite", "retryTransaction", retry_of)
                              : json_pack("{s{}}", "readWrite");
    json_t *body = json_pack("{so}", "options", mode), *res = NULL;
    char *url = ff_concat_alloc(db->root, ":beginTransaction", NULL);
    /* beginning is safe to repeat: a transaction begun twice just expires unused */
    int rc = url ? fs_call(db, "POST", url, body, GCP_HTTP_RETRY_SAFE, &res, err)
                 : ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    free(url);
    json_decref(body);
    const char *id = json_string_value(json_object_get(res, "transaction"));
    if (rc == 0 && id == NULL)
        rc = ff_error_set(err, FS_UNKNOWN, "firestore beginTransaction: no transaction in response");
    fs_txn *t = rc == 0 ? calloc(1, sizeof(*t)) : NULL;
    if (t != NULL) {
        t->db = db;
        t->id = strdup(id);
        t->writes = fs_batch_new(db);
        t->open = 1;
        t->attempt = 1;
        if (t->id == NULL || t->writes == NULL) {
            fs_txn_free(t);
            t = NULL;
        }
    }
    if (rc == 0 && t == NULL)
        ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    json_decref(res);
    return t;
}

fs_txn *fs_txn_begin(fs_db *db, int read_only, ff_error *err)
{
    return txn_begin(db, read_only, NULL, err);
}

int fs_txn_get(fs_txn *t, const char *path, const char *const *mask, fs_doc **out, ff_error *err)
{
    int rc = fs_batch_get_in(t->db, t->id, &path, 1, mask, out, err);
    if (rc == 0 && *out == NULL)
        rc = ff_error_set(err, FS_NOT_FOUND, "firestore: document not found");
    return rc;
}

int fs_txn_batch_get(fs_txn *t, const char *const *paths, size_t n, const char *const *mask, fs_doc **out,
                     ff_error *err)
{
    return fs_batch_get_in(t->db, t->id, paths, n, mask, out, err);
}

int fs_txn_query(fs_txn *t, const fs_query_def *q, fs_doc_list *out, ff_error *err)
{
    return fs_query_in(t->db, t->id, q, out, err);
}

fs_batch *fs_txn_writes(fs_txn *t)
{
    return t->writes;
}

int fs_txn_attempt(const fs_txn *t)
{
    return t->attempt;
}

int fs_txn_commit(fs_txn *t, char *commit_time_out, ff_error *err)
{
    if (!t->open)
        return ff_error_set(err, FS_FAILED_PRECONDITION, "firestore: transaction already finished");
    int rc = fs_commit_in(t->db, t->writes, t->id, commit_time_out, NULL, err);
    /* an aborted transaction is gone; other failures leave it for rollback */
    if (rc == 0 || rc == FS_ABORTED)
        t->open = 0;
    return rc;
}

int fs_txn_rollback(fs_txn *t, ff_error *err)
{
    if (!t->open)
        return 0;
    t->open = 0;
    json_t *body = json_pack("{ss}", "transaction", t->id);
    char *url = ff_concat_alloc(t->db->root, ":rollback", NULL);
    int rc = url ? fs_call(t->db, "POST", url, body, GCP_HTTP_RETRY_SAFE, NULL, err)
                 : ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    free(url);
    json_decref(body);
    return rc;
}

void fs_txn_free(fs_txn *t)
{
    if (t == NULL)
        return;
    if (t->open && t->id != NULL) {
        ff_error ignored = {0}; /* best effort: the server expires it anyway */
        fs_txn_rollback(t, &ignored);
    }
    fs_batch_free(t->writes);
    free(t->id);
    free(t);
}

/* ---- run with retries ---------------------------------------------------------------- */

static void backoff(int attempt)
{
    long cap = TXN_BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && cap < TXN_BACKOFF_MAX_MS; i++)
        cap *= 2;
    unsigned r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (unsigned)ff_now_mono_ms();
    long ms = cap / 2 + (long)(r % (unsigned)(cap / 2 + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/*
 * One attempt: fn then commit, or rollback when fn fails. *again is set when another
 * attempt may succeed: the transaction lost a conflict (ABORTED, before or at commit), or
 * the body failed on an unreachable server before anything was committed. A commit that
 * failed UNAVAILABLE may have landed, so it is not run again.
 */
static int run_once(fs_txn *t, fs_txn_fn fn, void *arg, int *again, ff_error *err)
{
    int rc = fn(t, arg, err);
    if (rc == 0) {
        rc = fs_txn_commit(t, NULL, err);
        *again = rc == FS_ABORTED;
    } else {
        if (err->code == 0)
            ff_error_set(err, rc, "firestore: transaction callback failed (%d)", rc);
        *again = rc == FS_ABORTED || rc == FS_UNAVAILABLE;
    }
    ff_error ignored = {0}; /* releases the locks of a transaction still open; no-op otherwise */
    fs_txn_rollback(t, &ignored);
    return rc;
}

int fs_run_transaction(fs_db *db, fs_txn_fn fn, void *arg, int max_attempts, ff_error *err)
{
    if (max_attempts <= 0)
        max_attempts = TXN_DEFAULT_ATTEMPTS;
    char *prev = NULL; /* the aborted attempt's ID, so the server can give us priority */
    int rc = FS_ABORTED;
    for (int attempt = 1; attempt <= max_attempts; attempt++) {
        ff_error aerr = {0};
        fs_txn *t = txn_begin(db, 0, prev, &aerr);
        if (t == NULL) {
            rc = aerr.code ? aerr.code : FS_UNKNOWN;
            ff_error_set(err, rc, "%s", aerr.message);
            break;
        }
        t->attempt = attempt;
        int again = 0;
        rc = run_once(t, fn, arg, &again, &aerr);
        free(prev);
        prev = t->id;
        t->id = NULL; /* kept for the retry; t is finished either way */
        t->open = 0;
        fs_txn_free(t);
        if (!again || attempt == max_attempts) {
            if (rc != 0)
                ff_error_set(err, rc, "%s (attempt %d)", aerr.message, attempt);
            break;
        }
        ff_log(NULL, FF_DEBUG, NULL, "firestore: transaction attempt %d failed, running it again: %s",
               attempt, aerr.message);
        backoff(attempt);
    }
    free(prev);
    return rc;
}
