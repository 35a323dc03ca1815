/*
 * test_terminal.c - terminal states (completed, failed, cancelled) never change again,
 * and a job is processed by one delivery only:
 *   - a job cancelled while it runs (status set to cancelled under the worker) stays
 *     cancelled: the worker stops, writes no output, no progress, nothing to the session;
 *   - deliveries for jobs already completed, failed, cancelled or running are skipped
 *     (2xx) without touching the job or the session.
 */
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

TestSuite(terminal, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

E2E_TEST(terminal, job_cancelled_while_running_stays_cancelled)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=2000", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    fs_doc_free(e2e_wait_job(&t, id, "running", 10000));

    /* Cancel it as an operator would: status and completedAt, nothing else. */
    int64_t now = ff_now_ms();
    json_t *cancel = json_pack("{s:s, s:I, s:I}", "status", "cancelled", "completedAt", (json_int_t)now,
                               "updatedAt", (json_int_t)now);
    char path[256];
    snprintf(path, sizeof(path), "%s", e2e_job_path(&t, id));
    ff_error err = {0};
    const fs_precondition exists = {FS_PRE_EXISTS, NULL};
    cr_assert_eq(fs_doc_update(t.db, path, cancel, NULL, &exists, NULL, &err), 0, "cancel: %s", err.message);
    json_decref(cancel);
    fs_doc *cancelled = e2e_get_job(&t, id);
    fs_doc *session = e2e_get_session(&t);

    /* The worker notices at its next write and stops. */
    json_t *seen = NULL;
    for (int64_t end = spawn_now_ms() + 6000; seen == NULL && spawn_now_ms() < end; spawn_sleep_ms(50)) {
        json_t *entries = e2e_log_entries(&t.srv), *e;
        size_t i;
        json_array_foreach(entries, i, e)
        {
            const char *m = json_string_value(json_object_get(e, "message")) ?: "";
            const char *job = json_string_value(json_object_get(e, "jobId"));
            if (seen == NULL && job && strcmp(job, id) == 0 &&
                (strstr(m, "changed under us") || strstr(m, "job completed") || strstr(m, "job failed")))
                seen = json_incref(e);
        }
        json_decref(entries);
    }
    cr_assert_not_null(seen, "the worker never finished after the cancellation");
    cr_expect(strstr(json_string_value(json_object_get(seen, "message")), "changed under us") != NULL,
              "the worker went on: %s", json_string_value(json_object_get(seen, "message")));
    json_decref(seen);
    spawn_sleep_ms(200); /* let any stray write land before looking */

    fs_doc *after = e2e_get_job(&t, id);
    cr_expect_str_eq(e2e_str(after, "status"), "cancelled");
    cr_expect_str_eq(after->update_time, cancelled->update_time, "the worker wrote to the cancelled job");
    cr_expect(json_is_null(json_object_get(after->fields, "output")), "the cancelled job got an output");
    fs_doc *s_after = e2e_get_session(&t);
    cr_expect_str_eq(s_after->update_time, session->update_time, "the worker wrote to the session");
    cr_expect_eq(e2e_log_count(&t.srv, "job completed", id), 0);
    fs_doc_free(after);
    fs_doc_free(s_after);
    fs_doc_free(cancelled);
    fs_doc_free(session);
}

E2E_TEST(terminal, deliveries_for_jobs_not_pending_are_skipped)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    static const char *const states[] = {"completed", "failed", "cancelled", "running"};
    char ids[4][32];
    fs_doc *before[4];
    for (size_t i = 0; i < 4; i++) {
        snprintf(ids[i], sizeof(ids[i]), "job-%s", states[i]);
        json_t *job = e2e_job_fixture(&t, ids[i], states[i]);
        json_object_set_new(job, "startedAt", json_integer(ff_now_ms() - 1000));
        if (strcmp(states[i], "running") != 0)
            json_object_set_new(job, "completedAt", json_integer(ff_now_ms()));
        e2e_seed_job(&t, job);
        before[i] = e2e_get_job(&t, ids[i]);
    }
    e2e_state session_before = e2e_capture(&t);
    for (size_t i = 0; i < 4; i++) {
        char *body = e2e_task_body(ids[i], "s1", "p1");
        th_response res;
        e2e_post_task(&t, body, &res);
        cr_expect(res.status >= 200 && res.status < 300, "%s: %ld %s", states[i], res.status, res.body);
        th_response_free(&res);
        free(body);
    }
    for (size_t i = 0; i < 4; i++) {
        fs_doc *after = e2e_get_job(&t, ids[i]);
        cr_expect_str_eq(after->update_time, before[i]->update_time, "the %s job was written", states[i]);
        cr_expect_eq(e2e_log_count(&t.srv, "job started", ids[i]), 0, "the %s job was started", states[i]);
        fs_doc_free(after);
        fs_doc_free(before[i]);
    }
    e2e_expect_unchanged(&t, &session_before);
}
