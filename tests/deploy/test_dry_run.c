/*
 * test_dry_run.c - what `scripts/deploy --project demo-proj --dry-run` would do, read from
 * the commands it prints: region europe-west1 everywhere, the three Cloud Run services
 * from one image with FUNCTION_TARGET and env per service (callers' identities and
 * audiences included), ingress, memory/CPU/instances/concurrency, who may invoke what,
 * the task queue settings, the scheduler job, the service accounts' roles, the Firestore
 * rules and indexes; and that a dry run runs nothing and needs no gcloud.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "deploy_helpers.h"

TestSuite(dry_run, .timeout = DH_TIMEOUT_S);

#define RUNTIME_SA   "transform-runtime@demo-proj.iam.gserviceaccount.com"
#define TASKS_SA     "transform-tasks@demo-proj.iam.gserviceaccount.com"
#define SCHEDULER_SA "transform-scheduler@demo-proj.iam.gserviceaccount.com"
#define JOB_URL      "https://transformpipelinejob-<project-number>.europe-west1.run.app"
#define CLEANUP_URL  "https://cleanupstalejobs-<project-number>.europe-west1.run.app"

static const dh_cmd *service_deploy(const dh_run *r, const char *service)
{
    const char *prefix[] = {"gcloud", "run", "deploy", service, NULL};
    return dh_one(r, prefix, service);
}

static const char *env_of(const dh_cmd *c, const char *key)
{
    const char *env = dh_flag(c, "--set-env-vars");
    cr_assert_not_null(env, "no --set-env-vars in: %s", c->line);
    return dh_kv(env, key);
}

Test(dry_run, succeeds_without_gcloud_on_path)
{
    dh_run r;
    dh_dry_run(&r); /* PATH holds bash only */
    const char *prefix[] = {"gcloud", "run", "deploy", NULL};
    size_t idx[8];
    cr_assert_eq(dh_find(&r, prefix, idx, 8), 3, "three services deployed:\n%s", r.out);
    dh_run_free(&r);
}

Test(dry_run, runs_nothing)
{
    /* gcloud, firebase, docker and npx on PATH are traps that log any call. */
    dh_bindir b;
    dh_bindir_make(&b, 1);
    const char *args[] = {"--project", "demo-proj", "--dry-run", NULL};
    dh_run r;
    dh_deploy(&r, args, b.dir);
    char *calls = dh_bindir_calls(&b);
    dh_bindir_remove(&b);
    cr_assert_eq(r.exit_code, 0, "dry run failed: %s", r.err);
    cr_assert_null(calls, "the dry run executed: %s", calls ? calls : "");
    cr_assert(r.n_cmds > 10, "it still printed the commands:\n%s", r.out);
    dh_run_free(&r);
}

Test(dry_run, prints_only_gcloud_and_firebase_commands)
{
    dh_run r;
    dh_dry_run(&r);
    for (size_t i = 0; i < r.n_cmds; i++) {
        const char *prog = strrchr(r.cmds[i].argv[0], '/');
        prog = prog ? prog + 1 : r.cmds[i].argv[0];
        cr_expect(strcmp(prog, "gcloud") == 0 || strcmp(prog, "firebase") == 0,
                  "line %zu is not a command: %s", i, r.cmds[i].line);
    }
    dh_run_free(&r);
}

Test(dry_run, every_regional_command_targets_europe_west1)
{
    dh_run r;
    dh_dry_run(&r);
    size_t regional = 0;
    for (size_t i = 0; i < r.n_cmds; i++) {
        const dh_cmd *c = &r.cmds[i];
        if (c->argc < 2 || strcmp(c->argv[0], "gcloud") != 0)
            continue;
        const char *group = c->argv[1];
        const char *region = dh_flag(c, "--region"), *location = dh_flag(c, "--location");
        if (strcmp(group, "run") == 0) {
            cr_expect(region && strcmp(region, "europe-west1") == 0,
                      "run command without --region=europe-west1: %s", c->line);
            regional++;
        } else if (strcmp(group, "tasks") == 0 || strcmp(group, "scheduler") == 0 ||
                   strcmp(group, "artifacts") == 0) {
            cr_expect(location && strcmp(location, "europe-west1") == 0,
                      "%s command without --location=europe-west1: %s", group, c->line);
            regional++;
        }
        /* No other region anywhere. */
        cr_expect(region == NULL || strcmp(region, "europe-west1") == 0, "%s", c->line);
        cr_expect(location == NULL || strcmp(location, "europe-west1") == 0, "%s", c->line);
        cr_expect(strstr(c->line, "us-central1") == NULL, "%s", c->line);
    }
    cr_assert_geq(regional, 10, "run/tasks/scheduler commands found: %zu", regional);
    dh_run_free(&r);
}

Test(dry_run, one_image_for_the_three_services)
{
    dh_run r;
    dh_dry_run(&r);
    const char *build[] = {"gcloud", "builds", "submit", NULL};
    const char *tag = dh_flag(dh_one(&r, build, "gcloud builds submit"), "--tag");
    cr_assert_not_null(tag);
    cr_expect(strncmp(tag, "europe-west1-docker.pkg.dev/demo-proj/", 38) == 0,
              "image in the project's registry: %s", tag);
    const char *services[] = {"transformpipelinejob", "starttransformpipeline", "cleanupstalejobs"};
    for (size_t i = 0; i < 3; i++) {
        const dh_cmd *c = service_deploy(&r, services[i]);
        const char *image = dh_flag(c, "--image");
        cr_assert_not_null(image, "%s", c->line);
        cr_expect_str_eq(image, tag, "%s deploys the built image", services[i]);
        cr_expect_lt(dh_index(&r, dh_one(&r, build, "build")), dh_index(&r, c), "built before deployed");
    }
    dh_run_free(&r);
}

Test(dry_run, function_target_is_set_per_service)
{
    dh_run r;
    dh_dry_run(&r);
    cr_expect_str_eq(env_of(service_deploy(&r, "transformpipelinejob"), "FUNCTION_TARGET"),
                     "transformPipelineJob");
    cr_expect_str_eq(env_of(service_deploy(&r, "starttransformpipeline"), "FUNCTION_TARGET"),
                     "startTransformPipeline");
    cr_expect_str_eq(env_of(service_deploy(&r, "cleanupstalejobs"), "FUNCTION_TARGET"), "cleanupStaleJobs");
    dh_run_free(&r);
}

Test(dry_run, transform_job_is_private_with_a_600s_timeout)
{
    dh_run r;
    dh_dry_run(&r);
    const dh_cmd *c = service_deploy(&r, "transformpipelinejob");
    const char *timeout = dh_flag(c, "--timeout");
    cr_assert_not_null(timeout, "%s", c->line);
    cr_expect(strcmp(timeout, "600") == 0 || strcmp(timeout, "600s") == 0, "timeout %s", timeout);
    cr_expect(dh_has(c, "--no-allow-unauthenticated"), "%s", c->line);
    cr_expect(!dh_has(c, "--allow-unauthenticated"), "%s", c->line);
    dh_run_free(&r);
}

Test(dry_run, start_is_public_and_configured)
{
    dh_run r;
    dh_dry_run(&r);
    const dh_cmd *c = service_deploy(&r, "starttransformpipeline");
    cr_expect(dh_has(c, "--allow-unauthenticated"), "%s", c->line);
    cr_expect(!dh_has(c, "--no-allow-unauthenticated"), "%s", c->line);
    cr_expect_str_eq(env_of(c, "GOOGLE_CLOUD_PROJECT"), "demo-proj");
    cr_expect_str_eq(env_of(c, "TRANSFORM_QUEUE"), "transformPipelineJob");
    cr_expect_str_eq(env_of(c, "TRANSFORM_QUEUE_LOCATION"), "europe-west1");
    cr_expect_str_eq(env_of(c, "TASKS_SERVICE_ACCOUNT"), TASKS_SA);
    const char *url = env_of(c, "TRANSFORM_JOB_URL");
    cr_assert_not_null(url, "TRANSFORM_JOB_URL is set: %s", c->line);
    cr_expect_str_eq(url, JOB_URL, "the job service's deterministic run.app URL");
    /* The project number comes first: every URL is known before any service exists. */
    const char *describe[] = {"gcloud", "projects", "describe", "demo-proj", NULL};
    size_t d = dh_index(&r, dh_one(&r, describe, "project number"));
    cr_expect_lt(d, dh_index(&r, service_deploy(&r, "transformpipelinejob")));
    dh_run_free(&r);
}

Test(dry_run, cleanup_is_private)
{
    dh_run r;
    dh_dry_run(&r);
    const dh_cmd *c = service_deploy(&r, "cleanupstalejobs");
    cr_expect(dh_has(c, "--no-allow-unauthenticated"), "%s", c->line);
    cr_expect(!dh_has(c, "--allow-unauthenticated"), "%s", c->line);
    cr_expect_str_eq(env_of(c, "GOOGLE_CLOUD_PROJECT"), "demo-proj");
    dh_run_free(&r);
}

Test(dry_run, services_run_as_the_runtime_account)
{
    dh_run r;
    dh_dry_run(&r);
    const char *services[] = {"transformpipelinejob", "starttransformpipeline", "cleanupstalejobs"};
    for (size_t i = 0; i < 3; i++) {
        const char *sa = dh_flag(service_deploy(&r, services[i]), "--service-account");
        cr_assert_not_null(sa, "%s has a dedicated identity", services[i]);
        cr_expect_str_eq(sa, RUNTIME_SA, "%s", services[i]);
    }
    dh_run_free(&r);
}

Test(dry_run, queue_settings)
{
    dh_run r;
    dh_dry_run(&r);
    const char *create[] = {"gcloud", "tasks", "queues", "create", "transformPipelineJob", NULL};
    const dh_cmd *c = dh_one(&r, create, "queue create");
    cr_expect_str_eq(dh_flag(c, "--max-attempts"), "1", "no retries: %s", c->line);
    cr_expect_str_eq(dh_flag(c, "--max-concurrent-dispatches"), "10", "%s", c->line);
    cr_expect_str_eq(dh_flag(c, "--location"), "europe-west1", "%s", c->line);
    cr_expect_str_eq(dh_flag(c, "--project"), "demo-proj", "%s", c->line);
    /* The queue exists before the service that enqueues is deployed. */
    cr_expect_lt(dh_index(&r, c), dh_index(&r, service_deploy(&r, "starttransformpipeline")));
    dh_run_free(&r);
}

/* Every IAM binding of the run: (resource kind, resource, member, role). */
typedef struct binding {
    const char *kind, *resource, *member, *role;
} binding;

static size_t bindings(const dh_run *r, binding *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_cmds; i++) {
        const dh_cmd *c = &r->cmds[i];
        for (size_t k = 0; k + 1 < c->argc; k++) {
            if (strcmp(c->argv[k], "add-iam-policy-binding") != 0)
                continue;
            cr_assert_lt(n, max);
            out[n].kind = c->argv[1];
            out[n].resource = c->argv[k + 1];
            out[n].member = dh_flag(c, "--member");
            out[n].role = dh_flag(c, "--role");
            cr_assert(out[n].member && out[n].role, "binding without member or role: %s", c->line);
            n++;
        }
    }
    return n;
}

Test(dry_run, invokers_are_the_dedicated_accounts_only)
{
    dh_run r;
    dh_dry_run(&r);
    binding b[32];
    size_t n = bindings(&r, b, 32), invokers = 0;
    int job_by_tasks = 0, cleanup_by_scheduler = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect(strcmp(b[i].member, "allUsers") != 0 && strcmp(b[i].member, "allAuthenticatedUsers") != 0,
                  "no public binding: %s on %s", b[i].member, b[i].resource);
        if (strcmp(b[i].role, "roles/run.invoker") != 0)
            continue;
        invokers++;
        cr_expect_str_eq(b[i].kind, "run", "run.invoker only on a service, never project-wide: %s",
                         b[i].resource);
        if (strcmp(b[i].resource, "transformpipelinejob") == 0) {
            cr_expect_str_eq(b[i].member, "serviceAccount:" TASKS_SA, "transformpipelinejob invoker");
            job_by_tasks = 1;
        } else if (strcmp(b[i].resource, "cleanupstalejobs") == 0) {
            cr_expect_str_eq(b[i].member, "serviceAccount:" SCHEDULER_SA, "cleanupstalejobs invoker");
            cleanup_by_scheduler = 1;
        } else {
            cr_expect_fail("unexpected run.invoker binding on %s for %s", b[i].resource, b[i].member);
        }
    }
    cr_expect(job_by_tasks, "tasks account invokes transformpipelinejob");
    cr_expect(cleanup_by_scheduler, "scheduler account invokes cleanupstalejobs");
    cr_expect_eq(invokers, 2, "exactly two invoker bindings");
    /* Only start is opened to everyone, and only through --allow-unauthenticated. */
    const char *all[] = {"gcloud", "run", "deploy", NULL};
    size_t idx[8], k = dh_find(&r, all, idx, 8);
    size_t public = 0;
    for (size_t i = 0; i < k && i < 8; i++)
    public += dh_has(&r.cmds[idx[i]], "--allow-unauthenticated");
    cr_expect_eq(public, 1, "one public service");
    cr_expect(strstr(r.out, "allUsers") == NULL, "no allUsers anywhere");
    dh_run_free(&r);
}

Test(dry_run, runtime_account_roles_and_nothing_broader)
{
    dh_run r;
    dh_dry_run(&r);
    binding b[32];
    size_t n = bindings(&r, b, 32);
    int datastore = 0, enqueuer = 0, viewer = 0, act_as = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect(strstr(b[i].role, "owner") == NULL && strstr(b[i].role, "editor") == NULL &&
                      strstr(b[i].role, "admin") == NULL,
                  "no broad role: %s", b[i].role);
        int runtime = strcmp(b[i].member, "serviceAccount:" RUNTIME_SA) == 0;
        if (strcmp(b[i].role, "roles/datastore.user") == 0) {
            cr_expect(runtime, "datastore.user for the runtime account: %s", b[i].member);
            datastore = 1;
        } else if (strcmp(b[i].role, "roles/cloudtasks.enqueuer") == 0 ||
                   strcmp(b[i].role, "roles/cloudtasks.viewer") == 0) {
            cr_expect(runtime, "%s for the runtime account: %s", b[i].role, b[i].member);
            cr_expect_str_eq(b[i].kind, "tasks", "%s on the queue only, not project-wide", b[i].role);
            cr_expect_str_eq(b[i].resource, "transformPipelineJob", "%s on the queue only", b[i].role);
            enqueuer |= strcmp(b[i].role, "roles/cloudtasks.enqueuer") == 0;
            viewer |= strcmp(b[i].role, "roles/cloudtasks.viewer") == 0;
        } else if (strcmp(b[i].role, "roles/iam.serviceAccountUser") == 0) {
            cr_expect(runtime, "actAs for the runtime account: %s", b[i].member);
            cr_expect_str_eq(b[i].kind, "iam", "on one service account, not project-wide");
            cr_expect_str_eq(b[i].resource, TASKS_SA, "on the tasks account only");
            act_as = 1;
        } else {
            cr_expect_str_eq(b[i].role, "roles/run.invoker", "unexpected role %s for %s", b[i].role,
                             b[i].member);
        }
    }
    cr_expect(datastore && enqueuer && viewer && act_as,
              "datastore.user %d, cloudtasks.enqueuer %d, cloudtasks.viewer %d, serviceAccountUser %d",
              datastore, enqueuer, viewer, act_as);
    const char *create[] = {"gcloud", "iam", "service-accounts", "create", NULL};
    size_t idx[8];
    cr_expect_eq(dh_find(&r, create, idx, 8), 3, "three dedicated service accounts");
    dh_run_free(&r);
}

Test(dry_run, scheduler_calls_cleanup_with_an_oidc_token)
{
    dh_run r;
    dh_dry_run(&r);
    const char *create[] = {"gcloud", "scheduler", "jobs", "create", "http", NULL};
    const dh_cmd *c = dh_one(&r, create, "scheduler job");
    const char *uri = dh_flag(c, "--uri");
    cr_assert_not_null(uri, "%s", c->line);
    cr_expect(strncmp(uri, "https://cleanupstalejobs-", 25) == 0, "calls cleanupstalejobs: %s", uri);
    cr_expect_str_eq(dh_flag(c, "--oidc-service-account-email"), SCHEDULER_SA);
    cr_expect_str_eq(dh_flag(c, "--oidc-token-audience"), uri);
    cr_expect_str_eq(dh_flag(c, "--schedule"), "*/10 * * * *");
    cr_expect_str_eq(dh_flag(c, "--location"), "europe-west1");
    dh_run_free(&r);
}

Test(dry_run, firestore_rules_and_indexes_are_deployed)
{
    dh_run r;
    dh_dry_run(&r);
    const char *deploy[] = {"firebase", "deploy", NULL};
    const dh_cmd *c = dh_one(&r, deploy, "firebase deploy");
    cr_expect_str_eq(dh_flag(c, "--only"), "firestore:rules,firestore:indexes", "%s", c->line);
    cr_expect_str_eq(dh_flag(c, "--project"), "demo-proj", "%s", c->line);
    dh_run_free(&r);
}

Test(dry_run, private_services_take_the_most_restrictive_ingress)
{
    dh_run r;
    dh_dry_run(&r);
    cr_expect_str_eq(dh_flag(service_deploy(&r, "transformpipelinejob"), "--ingress") ?: "(none)",
                     "internal");
    cr_expect_str_eq(dh_flag(service_deploy(&r, "cleanupstalejobs"), "--ingress") ?: "(none)", "internal");
    cr_expect_str_eq(dh_flag(service_deploy(&r, "starttransformpipeline"), "--ingress") ?: "(none)", "all",
                     "the browser's endpoint");
    /* Internal ingress admits Cloud Tasks and Cloud Scheduler only at the run.app URL. */
    const char *sched[] = {"gcloud", "scheduler", "jobs", "create", "http", NULL};
    cr_expect_str_eq(dh_flag(dh_one(&r, sched, "scheduler job"), "--uri"), CLEANUP_URL);
    dh_run_free(&r);
}

/* The service's resource flag, asserted present. */
static const char *setting(const dh_run *r, const char *service, const char *flag)
{
    const char *v = dh_flag(service_deploy(r, service), flag);
    cr_assert_not_null(v, "%s has no %s", service, flag);
    return v;
}

Test(dry_run, every_service_sets_memory_cpu_instances_and_concurrency)
{
    dh_run r;
    dh_dry_run(&r);
    const char *services[] = {"transformpipelinejob", "starttransformpipeline", "cleanupstalejobs"};
    const char *flags[] = {"--memory", "--cpu", "--max-instances", "--concurrency"};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 4; k++)
            cr_expect_str_neq(setting(&r, services[i], flags[k]), "", "%s %s", services[i], flags[k]);
    /* The job service takes what the queue dispatches at once; one sweep at a time. */
    const char *create[] = {"gcloud", "tasks", "queues", "create", "transformPipelineJob", NULL};
    cr_expect_str_eq(setting(&r, "transformpipelinejob", "--concurrency"),
                     dh_flag(dh_one(&r, create, "queue"), "--max-concurrent-dispatches"));
    cr_expect_str_eq(setting(&r, "cleanupstalejobs", "--concurrency"), "1");
    cr_expect_str_eq(setting(&r, "cleanupstalejobs", "--max-instances"), "1");
    dh_run_free(&r);
}

Test(dry_run, each_service_knows_its_callers_identity_and_audience)
{
    dh_run r;
    dh_dry_run(&r);
    const dh_cmd *job = service_deploy(&r, "transformpipelinejob");
    cr_expect_str_eq(env_of(job, "TASKS_SERVICE_ACCOUNT") ?: "", TASKS_SA);
    cr_expect_str_eq(env_of(job, "TASKS_AUDIENCE") ?: "", JOB_URL);
    /* The audience the job expects is the URL the task posts to (its OIDC audience). */
    cr_expect_str_eq(env_of(service_deploy(&r, "starttransformpipeline"), "TRANSFORM_JOB_URL") ?: "",
                     JOB_URL);
    const dh_cmd *cleanup = service_deploy(&r, "cleanupstalejobs");
    cr_expect_str_eq(env_of(cleanup, "SCHEDULER_SERVICE_ACCOUNT") ?: "", SCHEDULER_SA);
    cr_expect_str_eq(env_of(cleanup, "SCHEDULER_AUDIENCE") ?: "", CLEANUP_URL);
    const char *sched[] = {"gcloud", "scheduler", "jobs", "create", "http", NULL};
    cr_expect_str_eq(dh_flag(dh_one(&r, sched, "scheduler job"), "--oidc-token-audience"), CLEANUP_URL);
    /* The sweeper looks tasks up in the queue the start function enqueues to. */
    cr_expect_str_eq(env_of(cleanup, "TRANSFORM_QUEUE") ?: "", "transformPipelineJob");
    cr_expect_str_eq(env_of(cleanup, "TRANSFORM_QUEUE_LOCATION") ?: "", "europe-west1");
    /* No service gets another's callers. */
    cr_expect_null(env_of(job, "SCHEDULER_AUDIENCE"));
    cr_expect_null(env_of(cleanup, "TASKS_AUDIENCE"));
    dh_run_free(&r);
}
