/*
 * harness.h - shared bits of the hardening suite (and, through faults.c, of the faults
 * suite): one test's world against the real emulators.
 *
 * Each Criterion test runs in its own process and calls hw_init, which picks a GCP
 * project of its own ("demo-h-<16 hex>") and opens a Firestore handle on the emulator
 * (FIRESTORE_EMULATOR_HOST of the test process). Servers are $FF_TEST_FUNCTIONS_BIN in
 * all-functions mode on 127.0.0.1 and a free port, with that project: their documents,
 * task queue and task URL are the test's alone. Platform IDs inside the project are
 * fixed: project p1, session s1, job j1 (pending, of s1), workspace w1, experience e1.
 *
 * A test ends with hw_done: every server it started and did not kill must exit 0 on
 * SIGTERM with no sanitizer report. Suites use `.fini = hw_fini`, which kills whatever
 * is left, pass or fail. Helpers assert (Criterion) on anything unexpected in the
 * harness itself (a server that does not start, a seed that fails).
 */
#ifndef HARDENING_HARNESS_H
#define HARDENING_HARNESS_H

#include <criterion/criterion.h>
#include <jansson.h>

#include "../support/spawn.h"
#include "gcp/firestore.h"

#define HW_PROJECT    "p1"
#define HW_SESSION    "s1"
#define HW_JOB        "j1"
#define HW_WORKSPACE  "w1"
#define HW_EXPERIENCE "e1"

#define HW_SESSION_PATH "projects/" HW_PROJECT "/sessions/" HW_SESSION
#define HW_JOB_PATH     "projects/" HW_PROJECT "/jobs/" HW_JOB
#define HW_START_PATH   "/startTransformPipeline?projectId=" HW_PROJECT
#define HW_START_BODY   "{\"sessionId\":\"" HW_SESSION "\",\"stepId\":\"step-1\"}"
#define HW_TASK_BODY                                                                                         \
    "{\"data\":{\"jobId\":\"" HW_JOB "\",\"sessionId\":\"" HW_SESSION "\",\"projectId\":\"" HW_PROJECT "\"}" \
    "}"

typedef struct hw_server {
    spawn_proc *proc;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
} hw_server;

typedef struct hw {
    char gcp[64]; /* GOOGLE_CLOUD_PROJECT of this test */
    fs_db *db;    /* the test's own handle, straight to the emulator */
} hw;

/* A fresh GCP project and a Firestore handle for it. */
void hw_init(hw *w);
/*
 * Starts a server for w->gcp with env on top of the defaults (stub 0 ms, grace 3 s, no
 * auth; "NAME=VALUE" sets, "NAME" unsets) and waits until it logged "serving on port"
 * (start-up checks done). The server is remembered for hw_done.
 */
hw_server hw_start(hw *w, const char *const env[]);
/* SIGKILLs the server and forgets it (hw_done will not expect a clean exit). */
void hw_kill(hw_server *s);
/* Expects the server process still running. */
void hw_expect_alive(const hw_server *s);
/* Stops every remembered server (each must exit 0 with a clean stderr) and closes the
 * test's Firestore handle: a test's last call. */
void hw_done(void);
/* Suite teardown. */
void hw_fini(void);

/* ---- documents ------------------------------------------------------------------------ */

/* Seeds session s1 (idle) and experience e1 (its published config has a transform). */
void hw_seed(hw *w);
/* Seeds job j1: pending, of session s1 (which does not point at it). */
void hw_seed_job(hw *w);
/* Writes (replaces) a document; steals doc. */
void hw_put(hw *w, const char *path, json_t *doc);
/* A document, or NULL when it does not exist. Free with fs_doc_free. */
fs_doc *hw_get(hw *w, const char *path);
/* "projects/p1/jobs/<id>" in a static buffer (use at once). */
const char *hw_job_path(const char *job_id);
/* A string field ("" when absent or not a string). */
const char *hw_str(const fs_doc *doc, const char *field);
/* error.code of a job document ("" when none). */
const char *hw_error_code(const fs_doc *job);
/* Polls until the job's status is `status`: the document, or NULL (with a failed expectation). */
fs_doc *hw_wait_job(hw *w, const char *job_id, const char *status, int timeout_ms);
/* Polls until the session's jobStatus is `status`; 0 or -1 (with a failed expectation). */
int hw_wait_session(hw *w, const char *status, int timeout_ms);
/* Every job of the database (a collection-group query: any project). */
size_t hw_count_jobs(hw *w);

/* What "nothing was written" compares. */
typedef struct hw_state {
    size_t n_jobs, n_sessions;
    char session_time[FS_TIME_SIZE];
    char job_time[FS_TIME_SIZE];
} hw_state;
hw_state hw_capture(hw *w);
/* Expects no document added and the session and job j1 exactly as captured. */
void hw_expect_unchanged(hw *w, const hw_state *before, const char *what);

/* ---- HTTP ----------------------------------------------------------------------------- */

/* POST base+path with a JSON body (Content-Type: application/json). */
void hw_post(const hw_server *s, const char *path, const char *body, th_response *res);
/* The standard start request; expects 200 and copies the job ID into job_id (64 bytes). 0 or -1. */
int hw_start_job(const hw_server *s, char *job_id);
/* The body as JSON (NULL if it is not JSON). New reference. */
json_t *hw_body(const th_response *res);
/* Expects status and {"success": false, "error": {"code": code, "message": <string>}}. */
void hw_expect_error(const th_response *res, long status, const char *code, const char *what);
/* Expects status and {"success": true, ...}. */
void hw_expect_success(const th_response *res, long status, const char *what);

#endif
