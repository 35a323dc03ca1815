/*
 * test_options.c - scripts/deploy's command line: a missing --project or an unknown
 * option fails clearly before anything runs; without --dry-run and without gcloud it
 * fails clearly and runs nothing; --image skips the build; --region moves everything.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "deploy_helpers.h"

TestSuite(options, .timeout = DH_TIMEOUT_S);

/* Runs scripts/deploy with args; PATH holds bash and traps named gcloud, firebase, docker
 * and npx that log any call: asserts none was called. */
static void run_isolated(dh_run *r, const char *const args[])
{
    dh_bindir b;
    dh_bindir_make(&b, 1);
    dh_deploy(r, args, b.dir);
    char *calls = dh_bindir_calls(&b);
    dh_bindir_remove(&b);
    cr_assert_null(calls, "executed: %s", calls ? calls : "");
}

Test(options, missing_project_fails_with_a_clear_message)
{
    const char *args[] = {"--dry-run", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_expect_neq(r.exit_code, 0, "exit status");
    cr_expect(strstr(r.err, "--project") != NULL && strstr(r.err, "required") != NULL, "message: %s", r.err);
    cr_expect_str_empty(r.out, "no command printed: %s", r.out);
    dh_run_free(&r);
}

Test(options, project_without_a_value_fails)
{
    const char *args[] = {"--dry-run", "--project", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_expect_neq(r.exit_code, 0);
    cr_expect(strstr(r.err, "--project") != NULL, "message: %s", r.err);
    cr_expect_str_empty(r.out);
    dh_run_free(&r);
}

Test(options, unknown_option_fails)
{
    const char *args[] = {"--project", "demo-proj", "--dry-run", "--allow-everything", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_expect_neq(r.exit_code, 0);
    cr_expect(strstr(r.err, "--allow-everything") != NULL, "names the bad option: %s", r.err);
    cr_expect_str_empty(r.out);
    dh_run_free(&r);
}

Test(options, real_run_without_gcloud_fails_clearly)
{
    /* No --dry-run; PATH has bash only, so there is no gcloud to find (or to call). */
    dh_bindir b;
    dh_bindir_make(&b, 0);
    const char *args[] = {"--project", "demo-proj", NULL};
    dh_run r;
    dh_deploy(&r, args, b.dir);
    dh_bindir_remove(&b);
    cr_expect_neq(r.exit_code, 0, "exit status");
    cr_expect(strstr(r.err, "gcloud") != NULL && strstr(r.err, "not") != NULL, "message: %s", r.err);
    cr_expect_str_empty(r.out, "nothing done: %s", r.out);
    dh_run_free(&r);
}

Test(options, help_exits_zero)
{
    const char *args[] = {"--help", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_expect_eq(r.exit_code, 0);
    cr_expect(strstr(r.out, "--project") != NULL, "usage: %s", r.out);
    dh_run_free(&r);
}

Test(options, given_image_is_deployed_without_a_build)
{
    const char *image = "europe-west1-docker.pkg.dev/demo-proj/repo/functions:v1";
    const char *args[] = {"--project", "demo-proj", "--image", image, "--dry-run", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    const char *build[] = {"gcloud", "builds", "submit", NULL};
    size_t idx[8];
    cr_expect_eq(dh_find(&r, build, idx, 8), 0, "no build with --image");
    const char *deploy[] = {"gcloud", "run", "deploy", NULL};
    size_t n = dh_find(&r, deploy, idx, 8);
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(dh_flag(&r.cmds[idx[i]], "--image"), image, "%s", r.cmds[idx[i]].line);
    dh_run_free(&r);
}

Test(options, region_option_moves_every_regional_command)
{
    const char *args[] = {"--project=demo-proj", "--region=europe-west4", "--dry-run", NULL};
    dh_run r;
    run_isolated(&r, args);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_expect(strstr(r.out, "europe-west1") == NULL, "no default region left:\n%s", r.out);
    const char *deploy[] = {"gcloud", "run", "deploy", "starttransformpipeline", NULL};
    const dh_cmd *c = dh_one(&r, deploy, "start");
    cr_expect_str_eq(dh_flag(c, "--region"), "europe-west4");
    cr_expect_str_eq(dh_kv(dh_flag(c, "--set-env-vars"), "TRANSFORM_QUEUE_LOCATION"), "europe-west4");
    dh_run_free(&r);
}

Test(options, bad_values_are_rejected)
{
    const char *args1[] = {"--project", "Bad Project;rm", "--dry-run", NULL};
    dh_run r;
    run_isolated(&r, args1);
    cr_expect_neq(r.exit_code, 0);
    cr_expect_str_empty(r.out);
    dh_run_free(&r);
    const char *args2[] = {"--project", "demo-proj", "--region", "eu west", "--dry-run", NULL};
    run_isolated(&r, args2);
    cr_expect_neq(r.exit_code, 0);
    cr_expect_str_empty(r.out);
    dh_run_free(&r);
}
