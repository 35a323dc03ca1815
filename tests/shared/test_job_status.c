/*
 * test_job_status.c - job status names, the transition rule (every pair checked against
 * the spec's list), terminal / active, and the job error codes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "job_schema.h"

static const enum job_status all[] = {JOB_STATUS_NONE,      JOB_STATUS_PENDING, JOB_STATUS_RUNNING,
                                      JOB_STATUS_COMPLETED, JOB_STATUS_FAILED,  JOB_STATUS_CANCELLED};
#define N_ALL (sizeof(all) / sizeof(all[0]))

Test(job_status, names_round_trip)
{
    static const char *const names[] = {"pending", "running", "completed", "failed", "cancelled"};
    for (size_t i = 0; i < 5; i++) {
        enum job_status s = JOB_STATUS_NONE;
        cr_expect_eq(job_status_parse(names[i], &s), 0, "%s", names[i]);
        cr_expect_eq(s, all[i + 1], "%s", names[i]);
        cr_expect_str_eq(job_status_name(all[i + 1]), names[i]);
    }
}

Test(job_status, unknown_names_rejected)
{
    static const char *const bad[] = {"Pending", "none", "", "done", "pending ", "queued"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum job_status s = JOB_STATUS_RUNNING;
        cr_expect_eq(job_status_parse(bad[i], &s), -1, "'%s' accepted", bad[i]);
        cr_expect_eq(s, JOB_STATUS_RUNNING, "output touched for '%s'", bad[i]);
    }
    enum job_status s;
    cr_expect_eq(job_status_parse(NULL, &s), -1);
    cr_expect_null(job_status_name(JOB_STATUS_NONE));
    cr_expect_null(job_status_name((enum job_status)99));
}

Test(job_status, transitions_are_exactly_the_spec_list)
{
    static const struct {
        enum job_status from, to;
    } allowed[] = {
        {JOB_STATUS_NONE, JOB_STATUS_PENDING},      {JOB_STATUS_PENDING, JOB_STATUS_RUNNING},
        {JOB_STATUS_RUNNING, JOB_STATUS_COMPLETED}, {JOB_STATUS_RUNNING, JOB_STATUS_FAILED},
        {JOB_STATUS_PENDING, JOB_STATUS_CANCELLED}, {JOB_STATUS_RUNNING, JOB_STATUS_CANCELLED},
    };
    size_t n_allowed = 0;
    for (size_t f = 0; f < N_ALL; f++) {
        for (size_t t = 0; t < N_ALL; t++) {
            bool want = false;
            for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
                want = want || (allowed[k].from == all[f] && allowed[k].to == all[t]);
            bool got = job_status_can_transition(all[f], all[t]);
            cr_expect_eq(got, want, "%s -> %s: got %d",
                         job_status_name(all[f]) ? job_status_name(all[f]) : "none",
                         job_status_name(all[t]) ? job_status_name(all[t]) : "none", got);
            n_allowed += got;
        }
    }
    cr_expect_eq(n_allowed, 6);
}

Test(job_status, terminal_states_never_change)
{
    enum job_status terminal[] = {JOB_STATUS_COMPLETED, JOB_STATUS_FAILED, JOB_STATUS_CANCELLED};
    for (size_t i = 0; i < 3; i++) {
        cr_expect(job_status_is_terminal(terminal[i]));
        cr_expect_not(job_status_is_active(terminal[i]));
        for (size_t t = 0; t < N_ALL; t++)
            cr_expect_not(job_status_can_transition(terminal[i], all[t]));
    }
}

Test(job_status, active_is_pending_or_running)
{
    cr_expect(job_status_is_active(JOB_STATUS_PENDING));
    cr_expect(job_status_is_active(JOB_STATUS_RUNNING));
    cr_expect_not(job_status_is_active(JOB_STATUS_NONE));
    cr_expect_not(job_status_is_terminal(JOB_STATUS_NONE));
    cr_expect_not(job_status_is_terminal(JOB_STATUS_PENDING));
    cr_expect_not(job_status_is_terminal(JOB_STATUS_RUNNING));
}

Test(job_status, status_schema_accepts_every_name)
{
    for (size_t i = 1; i < N_ALL; i++) {
        json_t *v = json_string(job_status_name(all[i]));
        schema_error err;
        cr_expect_eq(schema_validate(&job_schema_status, v, NULL, &err), 0, "%s: %s", json_string_value(v),
                     err.message);
        json_decref(v);
    }
}

Test(job_error_code, names_and_validity)
{
    static const char *const names[] = {"INVALID_INPUT", "PROCESSING_FAILED", "AI_MODEL_ERROR",
                                        "STORAGE_ERROR", "TIMEOUT",           "CANCELLED",
                                        "UNKNOWN"};
    for (int i = JOB_ERROR_INVALID_INPUT; i <= JOB_ERROR_UNKNOWN; i++) {
        cr_expect_str_eq(job_error_code_name((enum job_error_code)i), names[i]);
        cr_expect(job_error_code_valid(names[i]), "%s", names[i]);
    }
    cr_expect_null(job_error_code_name((enum job_error_code)7));
    cr_expect_not(job_error_code_valid("timeout"));
    cr_expect_not(job_error_code_valid(""));
    cr_expect_not(job_error_code_valid("INTERNAL_ERROR"));
    cr_expect_not(job_error_code_valid(NULL));
}
