/*
 * test_jobs.c - firestore.rules for projects/{projectId}/jobs/{jobId} on the emulator:
 * only admins read jobs (get and list); nobody, not even an admin, creates, updates or
 * deletes one through the client API; denied writes leave the document untouched.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "rules_helpers.h"

static void setup(void)
{
    rh_setup();
    rh_seed_all();
}

TestSuite(jobs, .init = setup, .timeout = 60);

static const rh_who non_admins[] = {RH_CREATOR, RH_OTHER, RH_GUEST, RH_NONE};
static const rh_who everyone[] = {RH_ADMIN, RH_CREATOR, RH_OTHER, RH_GUEST, RH_NONE};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

Test(jobs, admin_reads_a_job)
{
    rh_resp r = rh_call(RH_ADMIN, "GET", RH_JOB, NULL, NULL);
    rh_assert_ok(&r, "admin GET job");
    json_t *status =
        json_object_get(json_object_get(json_object_get(r.json, "fields"), "status"), "stringValue");
    cr_assert_str_eq(json_string_value(status), "running", "the job's data comes back: %s", r.text);
    rh_resp_free(&r);
}

Test(jobs, admin_lists_jobs)
{
    rh_resp r = rh_call(RH_ADMIN, "GET", "projects/p1/jobs", NULL, NULL);
    rh_assert_ok(&r, "admin list jobs");
    cr_assert_eq(json_array_size(json_object_get(r.json, "documents")), 1, "one job listed: %s", r.text);
    rh_resp_free(&r);
}

Test(jobs, creator_other_and_anonymous_cannot_read_a_job)
{
    for (size_t i = 0; i < COUNT(non_admins); i++)
        rh_expect_denied(non_admins[i], "GET", RH_JOB, NULL, NULL);
}

Test(jobs, non_admins_cannot_list_jobs)
{
    for (size_t i = 0; i < COUNT(non_admins); i++)
        rh_expect_denied(non_admins[i], "GET", "projects/p1/jobs", NULL, NULL);
}

Test(jobs, a_missing_job_is_denied_not_404_for_non_admins)
{
    /* Existence of a job must not leak: a non-admin gets the same 403 either way. */
    rh_expect_denied(RH_OTHER, "GET", "projects/p1/jobs/no-such-job", NULL, NULL);
}

Test(jobs, nobody_creates_a_job)
{
    const char *body = "{\"fields\":{\"status\":{\"stringValue\":\"pending\"}}}";
    for (size_t i = 0; i < COUNT(everyone); i++) {
        /* createDocument and an upsert (PATCH on a new ID) */
        rh_expect_denied(everyone[i], "POST", "projects/p1/jobs", "?documentId=job-new", body);
        rh_expect_denied(everyone[i], "PATCH", "projects/p1/jobs/job-new", NULL, body);
    }
    json_t *doc = rh_owner_get("projects/p1/jobs/job-new");
    cr_assert_null(doc, "no job was created");
}

Test(jobs, nobody_updates_a_job)
{
    const char *body = "{\"fields\":{\"status\":{\"stringValue\":\"completed\"}}}";
    for (size_t i = 0; i < COUNT(everyone); i++) {
        rh_expect_denied(everyone[i], "PATCH", RH_JOB, "?updateMask.fieldPaths=status", body);
        rh_expect_denied(everyone[i], "PATCH", RH_JOB, NULL, body); /* whole-document replace */
    }
    rh_assert_field(RH_JOB, "status", "running");
}

Test(jobs, nobody_deletes_a_job)
{
    for (size_t i = 0; i < COUNT(everyone); i++)
        rh_expect_denied(everyone[i], "DELETE", RH_JOB, NULL, NULL);
    json_t *doc = rh_owner_get(RH_JOB);
    cr_assert_not_null(doc, "the job still exists");
    json_decref(doc);
}

Test(jobs, admin_cannot_write_a_job_in_a_commit)
{
    /* The batched-write path (what the SDKs' transactions and batches use). */
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"writes\":[{\"update\":{\"name\":\"projects/%s/databases/(default)/documents/" RH_JOB "\","
             "\"fields\":{\"status\":{\"stringValue\":\"cancelled\"}}},"
             "\"updateMask\":{\"fieldPaths\":[\"status\"]}}]}",
             rh_project());
    rh_expect_denied(RH_ADMIN, "POST", "", ":commit", body);
    rh_assert_field(RH_JOB, "status", "running");
}
