/*
 * warmup.c - the warm-up of a function's outbound paths (see warmup.h).
 */
#include <stdio.h>

#include "gcp/auth.h"
#include "gcp/firestore.h"
#include "gcp/http.h"
#include "gcp/tasks.h"
#include "lib/config.h"
#include "lib/warmup.h"

/* Bounds the whole warm-up: a slow metadata server must not hold the start for long. */
enum { WARMUP_BUDGET_MS = 5000 };

/* One cheap call that opens and keeps a connection: a read of a document that is absent. */
static int warm_firestore(ff_error *err)
{
    fs_db *db = fs_db_default(err);
    if (db == NULL)
        return -1;
    fs_doc *doc = NULL;
    int rc = fs_doc_get(db, "warmup/absent", NULL, &doc, err);
    fs_doc_free(doc);
    return rc == 0 || rc == FS_NOT_FOUND ? 0 : -1;
}

/*
 * A document ID, thrown away. IDs come from getrandom, which blocks until the kernel's
 * generator is seeded (a concern on a freshly booted instance only): any such wait is
 * taken here, before traffic, and not by the first job's ID. (When IDs came from
 * OpenSSL, its generator's set-up cost the first ID about 1.2 ms.)
 */
static int warm_ids(ff_error *err)
{
    char id[FS_ID_SIZE];
    return fs_new_id(id, err);
}

/* The same for Cloud Tasks: the lookup of a task that is absent (none in emulator mode). */
static int warm_tasks(int64_t deadline, ff_error *err)
{
    const pipeline_config *c = pipeline_config_get();
    int64_t left = deadline - ff_now_mono_ms();
    if (left <= 0)
        return ff_error_set(err, -1, "no time left for Cloud Tasks");
    int rc = gcp_tasks_exists(NULL, c->location, c->queue, "warmup-absent", (int)left, err);
    return rc == GCP_TASKS_OK || rc == GCP_TASKS_ERR_NOT_FOUND || rc == GCP_TASKS_ERR_UNSUPPORTED ? 0 : -1;
}

long pipeline_warmup(int tasks)
{
    /* Locally nothing waits on a startup probe: start at once (the cold start stays the runtime's own). */
    if (pipeline_config_get()->emulator_mode)
        return 0;
    int64_t t0 = ff_now_mono_ms(), deadline = t0 + WARMUP_BUDGET_MS;
    ff_error err = {0};
    char auth[4096];
    fs_set_deadline(deadline);
    int rc = warm_ids(&err);
    if (rc == 0)
        rc = gcp_http_init(&err);
    if (rc == 0)
        rc = gcp_auth_header(GCP_SERVICE_FIRESTORE, auth, sizeof(auth), &err);
    if (rc == 0)
        rc = warm_firestore(&err);
    if (rc == 0 && tasks)
        rc = warm_tasks(deadline, &err);
    fs_set_deadline(0);
    long ms = (long)(ff_now_mono_ms() - t0);
    if (rc != 0)
        ff_log(NULL, FF_WARNING, json_pack("{s:I}", "ms", (json_int_t)ms),
               "warm-up incomplete (the first request pays for it): %s", err.message);
    else
        ff_log(NULL, FF_DEBUG, json_pack("{s:I}", "ms", (json_int_t)ms), "warm-up done");
    return ms;
}
