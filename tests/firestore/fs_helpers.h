/*
 * fs_helpers.h - shared pieces of the firestore suite: a client on the emulator the test
 * runner started, unique names so parallel tests never share documents, raw REST reads
 * that bypass the client, and a scripted HTTP peer on 127.0.0.1 for the HTTP client.
 */
#ifndef FS_HELPERS_H
#define FS_HELPERS_H

#include <jansson.h>

#include "gcp/firestore.h"
#include "gcp/http.h"

/* A client on $FIRESTORE_EMULATOR_HOST (asserts). Close with fs_db_close. */
fs_db *fst_db(void);
/* A client whose emulator host is host ("127.0.0.1:PORT"); project "demo-test". */
fs_db *fst_db_at(const char *host);
/* Writes "<prefix>-<random ID>" into out (size >= strlen(prefix) + 22). */
void fst_unique(char *out, size_t len, const char *prefix);
/*
 * Reads a document straight from the emulator's REST API with the HTTP client, without
 * the Firestore client: the raw wire form. Returns a new reference, NULL if not found.
 */
json_t *fst_raw_get(const char *path);
/* Parses a JSON file relative to the repository root (asserts). New reference. */
json_t *fst_load_json(const char *file);
/* "127.0.0.1:PORT" of a port that refuses connections (static buffer). */
const char *fst_closed_host(void);

/* ---- scripted HTTP peer --------------------------------------------------------------- */

typedef struct fst_reply {
    int status;       /* HTTP status to send */
    const char *body; /* response body (JSON); NULL = empty */
    int drop;         /* read the request, then close without answering */
} fst_reply;

typedef struct fst_server fst_server;

/* Listens on 127.0.0.1 (free port). Request i gets replies[min(i, n-1)]. The replies
 * array must outlive the server. Every answer closes the connection. */
fst_server *fst_server_start(const fst_reply *replies, size_t n);
int fst_server_port(const fst_server *s);
/* "127.0.0.1:PORT" (owned by the server). */
const char *fst_server_host(const fst_server *s);
/* How many requests arrived so far. */
int fst_server_count(fst_server *s);
/* A copy of the last request (head and body), caller frees; NULL if none. */
char *fst_server_last(fst_server *s);
void fst_server_stop(fst_server *s);

#endif
