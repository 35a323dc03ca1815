/*
 * e2e.h - shared helpers of the end-to-end suite (e2e.c, e2e_docs.c): the real
 * functions server ($FF_TEST_FUNCTIONS_BIN) against the real Firestore and Cloud Tasks
 * emulators (started by scripts/run-tests.sh).
 *
 * Each test runs in its own process (Criterion) and calls e2e_init, which starts one
 * server in all-functions mode on a free port with a GCP project of its own
 * ("demo-e2e-<random>"): its documents, its task queue and the task target URL are
 * then the test's alone, so tests run in parallel without seeing each other.
 * The platform IDs are fixed inside that project: project p1, session s1, workspace w1,
 * experience e1 (see fixtures/README.md).
 *
 * Tests are declared with E2E_TEST: after the body every server the test started is
 * stopped with SIGTERM and must exit 0 with no sanitizer report on stderr, and the
 * test's database handles are closed. Suites use `.fini = e2e_fini`, which kills
 * whatever is left, pass or fail.
 * Helpers assert (Criterion) on anything unexpected: a server that does not start, an
 * emulator call that fails, a fixture that cannot be read.
 */
#ifndef E2E_H
#define E2E_H

#include <criterion/criterion.h>
#include <jansson.h>

#include "../support/spawn.h"
#include "gcp/firestore.h"

/*
 * Every suite's .timeout. Keep it the same for all: with suites of different timeouts
 * Criterion 2.4.1's runner leaks 48 bytes, which fails the ASan run (LeakSanitizer).
 */
#define E2E_TIMEOUT_S 60

#define E2E_TEST(suite, name, ...)                                                                           \
    static void e2e_body_##suite##_##name(void);                                                             \
    Test(suite, name, ##__VA_ARGS__)                                                                         \
    {                                                                                                        \
        e2e_body_##suite##_##name();                                                                         \
        e2e_end();                                                                                           \
    }                                                                                                        \
    static void e2e_body_##suite##_##name(void)

/* Stops every server this test started (SIGTERM): each must exit 0 with a clean stderr. */
void e2e_check_servers(void);
/* What E2E_TEST runs after the body: e2e_check_servers, then closes the test's handles. */
void e2e_end(void);
/* Suite teardown: kills and frees every process still around. */
void e2e_fini(void);

/* ---- servers ------------------------------------------------------------------------ */

typedef struct e2e_server {
    spawn_proc *proc;
    int port;
    char base[64];        /* "http://127.0.0.1:PORT" */
    char gcp_project[64]; /* its GOOGLE_CLOUD_PROJECT */
    int64_t start_ms;     /* spawn_now_ms() when it was started */
} e2e_server;

/* A fresh "demo-e2e-<16 hex>" project ID into out (64 bytes). */
void e2e_new_project(char out[64]);
/*
 * Starts the server for gcp_project with env on top of the defaults (stub 0 ms, grace
 * 3 s, AUTH_REQUIRED=0, no FIREBASE_AUTH_EMULATOR_HOST; "NAME=VALUE" sets, "NAME"
 * unsets). Does not wait: see e2e_server_wait_ready.
 */
e2e_server e2e_server_spawn(const char *gcp_project, const char *const env[]);
/* Waits until the server logged "serving on port" (start-up checks done); asserts. */
void e2e_server_wait_ready(e2e_server *s);

/* ---- one test's world ----------------------------------------------------------------- */

typedef struct e2e {
    e2e_server srv;
    fs_db *db; /* the test's own handle on the emulator, for srv.gcp_project */
    const char *project, *session, *workspace, *experience; /* platform IDs */
    const char *auth;                                       /* "Authorization: ..." line or NULL */
    char job_id[64];                                        /* of the last e2e_start_job */
} e2e;

/* Starts a ready server (env as for e2e_server_spawn) and opens the database handle. */
void e2e_init(e2e *t, const char *const env[]);
/* The same for a given GCP project (from e2e_new_project), e.g. to script a fake first. */
void e2e_init_project(e2e *t, const char *project, const char *const env[]);

/* ---- documents ------------------------------------------------------------------------ */

/* A fixture of tests/functions/fixtures (name like "session.json"). New reference. */
json_t *e2e_fixture(const char *name);
/* A wire/ fixture (a REST document) as plain JSON: its fields converted. New reference. */
json_t *e2e_wire_fixture_plain(const char *name);
/* The default session / experience (fixtures) for t's IDs. New references to modify. */
json_t *e2e_session_fixture(const e2e *t);
json_t *e2e_experience_fixture(const e2e *t);
/* A job of t's session (job.json) with this ID and status. New reference to modify. */
json_t *e2e_job_fixture(const e2e *t, const char *job_id, const char *status);
/* Writes (replaces) a document. Steals doc. */
void e2e_put(e2e *t, const char *path, json_t *doc);
/* Seed t's session / experience; doc NULL = the fixture. Steal doc. */
void e2e_seed_session(e2e *t, json_t *doc);
void e2e_seed_experience(e2e *t, json_t *doc);
/* Seeds projects/{t->project}/jobs/{job id}. Steals doc. */
void e2e_seed_job(e2e *t, json_t *doc);
/* Both fixtures: an idle session whose published config has a transform. */
void e2e_seed(e2e *t);

/* "projects/p1/sessions/s1", "projects/p1/jobs/<id>" (static buffers: use at once). */
const char *e2e_session_path(const e2e *t);
const char *e2e_job_path(const e2e *t, const char *job_id);
/* A document, or NULL when it does not exist. Free with fs_doc_free. */
fs_doc *e2e_get(e2e *t, const char *path);
fs_doc *e2e_get_session(e2e *t);
fs_doc *e2e_get_job(e2e *t, const char *job_id);
/* Every document of projects/{t->project}/jobs. Free with fs_doc_list_free. */
fs_doc_list e2e_list_jobs(e2e *t);
size_t e2e_count_jobs(e2e *t);
/* The document as the emulator's REST API returns it (raw wire JSON). New reference. */
json_t *e2e_rest_get(e2e *t, const char *path);
/* A string field of a document ("" when absent or not a string). */
const char *e2e_str(const fs_doc *doc, const char *field);

/* Expects job_validate / session_validate to accept the document's fields. */
void e2e_expect_valid_job(const json_t *fields);
void e2e_expect_valid_session(const json_t *fields);

/* What "nothing was written" compares: the session's updateTime and the jobs. */
typedef struct e2e_state {
    int session_exists;
    char session_update_time[FS_TIME_SIZE];
    size_t n_jobs;
} e2e_state;
e2e_state e2e_capture(e2e *t);
/* Expects as many jobs as before and the session exactly as captured (same updateTime). */
void e2e_expect_unchanged(e2e *t, const e2e_state *before);

/* ---- HTTP ----------------------------------------------------------------------------- */

/* Any request to the server; path includes the query. headers: NULL-terminated or NULL. */
void e2e_http(const e2e_server *s, const char *method, const char *path, const char *const headers[],
              const char *body, th_response *res);
/* POST /startTransformPipeline?{query} with a JSON body and t->auth. query NULL = "projectId=p1". */
void e2e_post_start(e2e *t, const char *query, const char *body, th_response *res);
/* The standard start request for t's session, step "step-1". */
void e2e_request_job(e2e *t, th_response *res);
/* e2e_request_job, expecting 200 {"success": true, "jobId", "message"}: the job ID (in t). */
const char *e2e_start_job(e2e *t);
/* POST /transformPipelineJob with body. */
void e2e_post_task(e2e *t, const char *body, th_response *res);
/* The task body {"data": {"jobId", "sessionId", "projectId"}} (new string; free()). */
char *e2e_task_body(const char *job_id, const char *session_id, const char *project_id);

/*
 * Sends the standard start request with t->auth and expects status and code with nothing
 * written (no new job, the session's updateTime unchanged).
 */
void e2e_expect_start_refused(e2e *t, long status, const char *code);

/*
 * n identical POSTs to path in flight at once (body of len bytes), each expected to
 * answer status with error code (code NULL: the status alone, for the runtime's plain answers).
 */
void e2e_post_concurrently(const e2e_server *s, const char *path, const char *const headers[],
                           const char *body, size_t len, int n, long status, const char *code);

/* The response body as JSON; asserts it is JSON. New reference. */
json_t *e2e_body(const th_response *res);
/*
 * Expects status and {"success": false, "error": {"code": code, "message": "..."}} with
 * exactly those keys and a short client-safe message (no path, no Firestore detail).
 */
void e2e_expect_error(const th_response *res, long status, const char *code);

/* ---- waiting -------------------------------------------------------------------------- */

/*
 * Polls the job until its status is `status`: the document (free it). Asserts after
 * timeout_ms, or at once when the job reached another terminal status.
 */
fs_doc *e2e_wait_job(e2e *t, const char *job_id, const char *status, int timeout_ms);
/* The same for the session's jobStatus. */
fs_doc *e2e_wait_session(e2e *t, const char *status, int timeout_ms);

/* ---- auth ----------------------------------------------------------------------------- */

/*
 * An unsigned Firebase ID token (alg "none", accepted only in Auth emulator mode) for
 * uid in gcp_project, with the members of claims (may be NULL; e.g. {"admin": true})
 * added to its payload. exp_offset_s: exp relative to now (3600 for a valid token,
 * negative for an expired one). New string; free().
 */
char *e2e_token(const char *gcp_project, const char *uid, const json_t *claims, long exp_offset_s);
/* "Authorization: Bearer <e2e_token(...)>". New string; free(). */
char *e2e_bearer(const char *gcp_project, const char *uid, const json_t *claims, long exp_offset_s);

/* ---- logs ----------------------------------------------------------------------------- */

/* The server's structured log lines (stdout) as a JSON array. New reference. */
json_t *e2e_log_entries(const e2e_server *s);
/* How many entries have a message starting with `message` and jobId `job_id`. */
size_t e2e_log_count(const e2e_server *s, const char *message, const char *job_id);

/* Prints a timing figure on stderr when FF_E2E_TIMINGS=1 (for the report). */
void e2e_timing(const char *what, int64_t ms);

#endif
