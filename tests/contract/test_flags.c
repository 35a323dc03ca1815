/*
 * test_flags.c - configuration from flags and environment as seen from outside:
 * PORT vs --port, FUNCTION_TARGET vs --target, signature types, --list, and the fast
 * one-line failure for an unknown target or a bad flag (nothing listening).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

TestSuite(flags, .fini = ct_fini, .timeout = 60);

#define EXIT_TIMEOUT_MS 5000

static const char *function_of(const ct_server *s)
{
    static char name[64];
    th_response res;
    ct_get(s, "/anything", &res);
    cr_assert_eq(res.status, 200, "GET /anything -> %ld: %s", res.status, res.body);
    json_t *j = ct_body_json(&res);
    snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(j, "function")));
    json_decref(j);
    th_response_free(&res);
    return name;
}

/*
 * Runs the binary with args (a free --port appended) and env, expects it to exit
 * non-zero promptly with exactly one line on stderr containing `reason`, and nothing
 * listening on the port.
 */
static void expect_refused(const char *const args[], const char *const env[], const char *reason)
{
    int port = spawn_free_port();
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    const char *argv[32] = {"--host", "127.0.0.1", "--port", port_s};
    size_t n = 4;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    spawn_proc *p = ct_spawn_raw(argv, env);
    int64_t start = spawn_now_ms();
    int st = spawn_wait(p, EXIT_TIMEOUT_MS);
    cr_assert_neq(st, SPAWN_RUNNING, "still running after %d ms", EXIT_TIMEOUT_MS);
    cr_expect_eq(st, 2, "exit status %d, expected 2", st);
    cr_expect_lt(spawn_now_ms() - start, EXIT_TIMEOUT_MS);
    char *err = spawn_read_stderr(p, NULL);
    cr_expect_eq(ct_count_lines(err), 1, "stderr is not one line: [%s]", err);
    cr_expect(strstr(err, reason) != NULL, "stderr [%s] does not mention '%s'", err, reason);
    free(err);
    cr_expect_not(spawn_port_open(port), "something listens on the port after a refused start");
}

CT_TEST(flags, port_from_env)
{
    int port = spawn_free_port();
    char env_port[32];
    snprintf(env_port, sizeof(env_port), "PORT=%d", port);
    const char *args[] = {"--host", "127.0.0.1", "--target", "echo", NULL};
    const char *env[] = {env_port, NULL};
    spawn_proc *p = ct_spawn_raw(args, env);
    cr_assert_eq(spawn_wait_port(p, port, 15000), 0, "not listening on $PORT %d", port);
}

CT_TEST(flags, port_flag_overrides_env)
{
    int env_port = spawn_free_port(), flag_port = spawn_free_port();
    cr_assert_neq(env_port, flag_port);
    char env_s[32], flag_s[16];
    snprintf(env_s, sizeof(env_s), "PORT=%d", env_port);
    snprintf(flag_s, sizeof(flag_s), "%d", flag_port);
    const char *args[] = {"--host", "127.0.0.1", "--port", flag_s, "--target", "echo", NULL};
    const char *env[] = {env_s, NULL};
    spawn_proc *p = ct_spawn_raw(args, env);
    cr_assert_eq(spawn_wait_port(p, flag_port, 15000), 0, "not listening on --port");
    cr_expect_not(spawn_port_open(env_port), "also listening on $PORT");
}

CT_TEST(flags, flag_equals_form)
{
    int port = spawn_free_port();
    char flag[32];
    snprintf(flag, sizeof(flag), "--port=%d", port);
    const char *args[] = {"--host=127.0.0.1", flag, "--target=echo", NULL};
    spawn_proc *p = ct_spawn_raw(args, NULL);
    cr_assert_eq(spawn_wait_port(p, port, 15000), 0, "--port=N not honoured");
}

CT_TEST(flags, target_from_env)
{
    const char *env[] = {"FUNCTION_TARGET=echo", NULL};
    ct_server s = ct_start(NULL, env);
    cr_expect_str_eq(function_of(&s), "echo");
}

CT_TEST(flags, target_flag_overrides_env)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FUNCTION_TARGET=fail", NULL};
    ct_server s = ct_start(args, env);
    cr_expect_str_eq(function_of(&s), "echo");
}

CT_TEST(flags, signature_flag_overrides_env)
{
    const char *args[] = {"--target", "echo", "--signature-type", "http", NULL};
    const char *env[] = {"FUNCTION_SIGNATURE_TYPE=cloudevent", NULL};
    ct_server s = ct_start(args, env);
    cr_expect_str_eq(function_of(&s), "echo");
}

CT_TEST(flags, matching_signature_type_is_accepted)
{
    const char *args[] = {"--target", "event", "--signature-type", "cloudevent", NULL};
    ct_server s = ct_start(args, NULL);
    cr_expect_gt(s.port, 0);
}

CT_TEST(flags, unknown_target_exits)
{
    const char *args[] = {"--target", "no-such-function", NULL};
    expect_refused(args, NULL, "no-such-function");
}

CT_TEST(flags, unknown_target_from_env_exits)
{
    const char *args[] = {NULL};
    const char *env[] = {"FUNCTION_TARGET=missing", NULL};
    expect_refused(args, env, "missing");
}

CT_TEST(flags, unknown_flag_exits)
{
    const char *args[] = {"--target", "echo", "--bogus=1", NULL};
    expect_refused(args, NULL, "--bogus");
}

CT_TEST(flags, bad_port_exits)
{
    const char *args[] = {"--target", "echo", "--port", "99999", NULL};
    expect_refused(args, NULL, "99999");
}

CT_TEST(flags, bad_env_value_exits)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FF_BODY_LIMIT=lots", NULL};
    expect_refused(args, env, "FF_BODY_LIMIT");
}

CT_TEST(flags, bad_port_env_exits)
{
    const char *args[] = {"--host", "127.0.0.1", "--target", "echo", NULL};
    const char *env[] = {"PORT=http", NULL};
    spawn_proc *p = ct_spawn_raw(args, env);
    int st = spawn_wait(p, EXIT_TIMEOUT_MS);
    cr_expect(st > 0 && st < 256, "exit status %d with PORT=http", st);
    char *err = spawn_read_stderr(p, NULL);
    cr_expect_eq(ct_count_lines(err), 1, "stderr: [%s]", err);
    cr_expect(strstr(err, "PORT") != NULL, "stderr [%s] does not name PORT", err);
    free(err);
}

CT_TEST(flags, missing_flag_value_exits)
{
    const char *args[] = {"--target", "echo", "--shutdown-grace", NULL};
    expect_refused(args, NULL, "--shutdown-grace");
}

CT_TEST(flags, stray_argument_exits)
{
    const char *args[] = {"--target", "echo", "stray", NULL};
    expect_refused(args, NULL, "stray");
}

CT_TEST(flags, invalid_signature_type_exits)
{
    const char *args[] = {"--target", "echo", "--signature-type", "pubsub", NULL};
    expect_refused(args, NULL, "pubsub");
}

/* The contract: the registration wins over flags and environment, with a warning. */
static void expect_registration_wins(const char *const args[], const char *const env[],
                                     const char *configured)
{
    ct_server s = ct_start(args, env);
    json_t *w = ct_log_wait(&s, "ignored", 3000);
    cr_assert_not_null(w, "no warning about the ignored signature type");
    cr_expect_str_eq(json_string_value(json_object_get(w, "configured")), configured);
    cr_expect_str_eq(json_string_value(json_object_get(w, "severity")), "WARNING");
    json_decref(w);
}

CT_TEST(flags, signature_mismatch_registration_wins)
{
    const char *args[] = {"--target", "echo", "--signature-type", "cloudevent", NULL};
    expect_registration_wins(args, NULL, "cloudevent");
    ct_server s = ct_start(args, NULL);
    cr_expect_str_eq(function_of(&s), "echo", "the HTTP function is served as HTTP");
}

CT_TEST(flags, signature_mismatch_from_env_registration_wins)
{
    const char *args[] = {"--target", "event", NULL};
    const char *env[] = {"FUNCTION_SIGNATURE_TYPE=http", NULL};
    expect_registration_wins(args, env, "http");
}

CT_TEST(flags, unknown_flag_is_named)
{
    const char *args[] = {"--target", "echo", "--frobnicate", NULL};
    expect_refused(args, NULL, "unknown flag: --frobnicate");
}

CT_TEST(flags, help_lists_flags_and_exits_0)
{
    const char *args[] = {"--help", NULL};
    spawn_proc *p = ct_spawn_raw(args, NULL);
    cr_assert_eq(spawn_wait(p, EXIT_TIMEOUT_MS), 0, "--help did not exit 0");
    char *out = spawn_read_stdout(p, NULL);
    const char *flags[] = {"--target",         "--signature-type",  "--port", "--host", "--body-limit",
                           "--shutdown-grace", "--http2-cleartext", "--list", "--help"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        cr_expect(strstr(out, flags[i]) != NULL, "--help does not list %s:\n%s", flags[i], out);
    free(out);
}

CT_TEST(flags, cloud_run_without_target_exits_2)
{
    const char *args[] = {NULL};
    const char *env[] = {"K_SERVICE=startTransformPipeline", "FUNCTION_TARGET", NULL};
    expect_refused(args, env, "K_SERVICE");
}

CT_TEST(flags, cloud_run_with_target_serves)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"K_SERVICE=echo", NULL};
    ct_server s = ct_start(args, env);
    cr_expect_str_eq(function_of(&s), "echo");
}

/* The --list line of function `name`, or NULL. */
static const char *list_line(char *out, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (char *line = out; line && *line;) {
        size_t n = strcspn(line, "\n");
        if (n > nlen && strncmp(line, name, nlen) == 0 && (line[nlen] == '\t' || line[nlen] == ' ')) {
            snprintf(buf, len, "%.*s", (int)n, line);
            return buf;
        }
        line += n + (line[n] == '\n');
    }
    return NULL;
}

CT_TEST(flags, list_prints_functions_with_signature_and_options)
{
    int port = spawn_free_port();
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    const char *args[] = {"--host", "127.0.0.1", "--port", port_s, "--list", NULL};
    spawn_proc *p = ct_spawn_raw(args, NULL);
    cr_assert_eq(spawn_wait(p, EXIT_TIMEOUT_MS), 0, "--list did not exit 0");
    cr_expect_not(spawn_port_open(port), "--list listens");
    char *out = spawn_read_stdout(p, NULL), line[256];
    const char *want[][3] = {{"echo", "http", "cors=on"},    {"sleep", "http", "concurrency=64"},
                             {"slow", "http", "timeout=1s"}, {"limited", "http", "queue=1"},
                             {"fail", "http", "cors=off"},   {"event", "cloudevent", "timeout=60s"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *l = list_line(out, want[i][0], line, sizeof(line));
        cr_expect_not_null(l, "%s missing from --list output:\n%s", want[i][0], out);
        if (l == NULL)
            continue;
        cr_expect(strstr(l, want[i][1]) != NULL, "no signature type '%s' in [%s]", want[i][1], l);
        cr_expect(strstr(l, want[i][2]) != NULL, "no option '%s' in [%s]", want[i][2], l);
    }
    free(out);
}
