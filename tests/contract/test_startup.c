/*
 * test_startup.c - the start-up order as seen from outside: the functions' init hooks
 * (their warm-up) run with the port bound but not yet accepting connections, so a
 * platform's TCP startup probe passes only once they are done; a failing hook stops the
 * start before anything listens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

TestSuite(startup, .fini = ct_fini, .timeout = 60);

CT_TEST(startup, init_runs_before_the_port_accepts)
{
    const char *args[] = {"--target", "warmup", NULL};
    ct_server s = ct_start(args, NULL);
    th_response res;
    ct_get(&s, "/", &res);
    cr_assert_eq(res.status, 200, "GET / -> %ld: %s", res.status, res.body);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(json_string_value(json_object_get(j, "connectDuringInit")), "refused");
    cr_expect_eq(json_integer_value(json_object_get(j, "port")), s.port,
                 "the hook did not see the bound port");
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(startup, init_runs_in_all_functions_mode)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/warmup", &res);
    cr_assert_eq(res.status, 200, "GET /warmup -> %ld: %s", res.status, res.body);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(json_string_value(json_object_get(j, "connectDuringInit")), "refused");
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(startup, failing_init_exits_2_without_listening)
{
    int port = spawn_free_port();
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    const char *args[] = {"--host", "127.0.0.1", "--port", port_s, "--target", "warmup", NULL};
    const char *env[] = {"FF_TEST_INIT_FAIL=1", NULL};
    spawn_proc *p = ct_spawn_raw(args, env);
    int st = spawn_wait(p, 5000);
    cr_assert_neq(st, SPAWN_RUNNING, "still running after 5 s");
    cr_expect_eq(st, 2, "exit status %d, expected 2", st);
    char *err = spawn_read_stderr(p, NULL);
    cr_expect(strstr(err, "warmup: warm-up failed on purpose") != NULL, "stderr [%s]", err);
    cr_expect_eq(ct_count_lines(err), 1, "stderr is not one line: [%s]", err);
    free(err);
    cr_expect_not(spawn_port_open(port), "something listens on the port after a refused start");
}
