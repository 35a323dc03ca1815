/*
 * test_local_stack.c - the developer's daily tools, run as a developer would:
 *   - the `make run` flow (scripts/run-local.sh, RUN_ONCE=1) on free ports: the demo job
 *     completes, then every process it started is gone;
 *   - the invocation harness over HTTP (inside that flow) and in-process (--local).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* PIDs the flow printed as "(pid N)". */
static int pids_alive(const char *out)
{
    int alive = 0;
    for (const char *p = strstr(out, "(pid "); p; p = strstr(p + 5, "(pid ")) {
        int pid = atoi(p + 5);
        if (pid > 1 && kill(pid, 0) == 0)
            alive++;
    }
    return alive;
}

Test(local_stack, make_run_flow_completes_the_demo_job_and_cleans_up, .timeout = 200)
{
    int fs = stack_free_port(), tasks = stack_free_port(), fn = stack_free_port();
    int auth = stack_free_port(), web = stack_free_port();
    char dir[] = "/tmp/ff-stack-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[1024];
    snprintf(
        cmd, sizeof(cmd),
        "env -u FIRESTORE_EMULATOR_HOST -u CLOUD_TASKS_EMULATOR_HOST -u GOOGLE_CLOUD_PROJECT FF_RUN_DIR=%s "
        "FIRESTORE_PORT=%d TASKS_PORT=%d FUNCTIONS_PORT=%d AUTH_PORT=%d WEB_PORT=%d RUN_ONCE=1 FF_BIN=%s "
        "scripts/run-local.sh",
        dir, fs, tasks, fn, auth, web, stack_functions_bin());
    char *out = NULL;
    int rc = stack_run(cmd, &out);
    cr_expect_eq(rc, 0, "run-local exited %d:\n%s", rc, out);
    cr_expect(strstr(out, "\"status\": \"completed\"") != NULL, "the demo job did not complete:\n%s", out);
    cr_expect(strstr(out, "\"jobStatus\": \"completed\"") != NULL, "the session does not show completed");
    cr_expect(strstr(out, "curl -s -X POST") != NULL, "no copy-paste curl printed");
    cr_expect(strstr(out, "[##############################] 100%") != NULL, "no full progress bar");
    cr_expect_not(stack_port_open(fs), "Firestore emulator still listening");
    cr_expect_not(stack_port_open(tasks), "tasks emulator still listening");
    cr_expect_not(stack_port_open(fn), "functions still listening");
    cr_expect_not(stack_port_open(auth), "Auth emulator still listening");
    cr_expect_not(stack_port_open(web), "demo page still served");
    cr_expect_eq(pids_alive(out), 0, "processes left running:\n%s", out);
    free(out);
}

Test(local_stack, invoke_local_runs_a_task_in_process)
{
    char id[64], cmd[2048];
    snprintf(id, sizeof(id), "local-%d", getpid());
    /* A pending job seeded beside its session, then run without any server. */
    snprintf(
        cmd, sizeof(cmd),
        "%1$s seed scripts/fixtures/demo.json scripts/fixtures/session.json tests/stack/fixtures/job.json "
        "--var PROJECT=stack-p --var SESSION=%2$s --var JOB=%2$s >/dev/null && "
        "TRANSFORM_STUB_DURATION_MS=0 %1$s invoke transformPipelineJob --local --task %2$s %2$s stack-p && "
        "%1$s get projects/stack-p/jobs/%2$s",
        stack_functions_bin(), id);
    char *out = NULL;
    int rc = stack_run(cmd, &out);
    cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
    cr_expect(strstr(out, "HTTP 200") != NULL, "%s", out);
    cr_expect(strstr(out, "\"status\": \"completed\"") != NULL, "job not completed in-process:\n%s", out);
    free(out);
}

Test(local_stack, invoke_exit_status_follows_the_http_status)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s invoke startTransformPipeline --local --query projectId=p --body '[1]'",
             stack_functions_bin());
    char *out = NULL;
    int rc = stack_run(cmd, &out);
    cr_expect_eq(rc, 1, "a 400 must exit 1, got %d:\n%s", rc, out);
    cr_expect(strstr(out, "HTTP 400") != NULL && strstr(out, "INVALID_REQUEST") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof(cmd), "%s invoke noSuchFunction --local", stack_functions_bin());
    rc = stack_run(cmd, &out);
    cr_expect_eq(rc, 2, "an unknown function must exit 2, got %d:\n%s", rc, out);
    free(out);
}
