/*
 * test_config.c - ff_config_parse (defaults, environment, flags over environment,
 * --flag=value and --flag value, invalid values, unknown flags, missing values) and
 * ff_config_check against a registry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../runtime/src/ff/config.h"

/* The environment ff_config_parse sees: "NAME=VALUE" strings, NULL-terminated. */
static const char *const *g_env;

static const char *fake_env(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; g_env != NULL && g_env[i] != NULL; i++)
        if (strncmp(g_env[i], name, n) == 0 && g_env[i][n] == '=')
            return g_env[i] + n + 1;
    return NULL;
}

/* Parses argv (NULL-terminated, without argv[0]) in env. Returns ff_config_parse's result. */
static int parse(ff_config *cfg, const char *const *env, const char *const *args, ff_error *err)
{
    char *argv[32] = {"functions"};
    int argc = 1;
    for (size_t i = 0; args != NULL && args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    g_env = env;
    memset(err, 0, sizeof(*err));
    return ff_config_parse(cfg, argc, argv, fake_env, err);
}

static void expect_error(const char *const *env, const char *const *args, const char *mention)
{
    ff_config cfg;
    ff_error err;
    cr_expect_neq(parse(&cfg, env, args, &err), 0, "accepted; expected an error mentioning '%s'", mention);
    cr_expect(strstr(err.message, mention) != NULL, "error [%s] does not mention '%s'", err.message, mention);
    cr_expect_null(strchr(err.message, '\n'), "the reason is one line");
}

Test(config, defaults)
{
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, NULL, NULL, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.port, 8080);
    cr_expect_str_eq(cfg.host, "0.0.0.0");
    cr_expect_str_eq(cfg.target, "");
    cr_expect_eq(cfg.signature, 0);
    cr_expect_eq(cfg.body_limit, 10u * 1024 * 1024);
    cr_expect_eq(cfg.grace_s, 10);
    cr_expect_eq(cfg.list, 0);
    cr_expect_eq(cfg.help, 0);
}

Test(config, environment)
{
    const char *env[] = {"PORT=9090",
                         "FUNCTION_TARGET=hello",
                         "FUNCTION_SIGNATURE_TYPE=cloudevent",
                         "FF_HOST=127.0.0.1",
                         "FF_BODY_LIMIT=2048",
                         "FF_SHUTDOWN_GRACE=3",
                         NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, env, NULL, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.port, 9090);
    cr_expect_str_eq(cfg.target, "hello");
    cr_expect_eq(cfg.signature, FF_SIGNATURE_CLOUDEVENT);
    cr_expect_str_eq(cfg.host, "127.0.0.1");
    cr_expect_eq(cfg.body_limit, 2048);
    cr_expect_eq(cfg.grace_s, 3);
}

Test(config, empty_environment_values_are_unset)
{
    const char *env[] = {"PORT=", "FUNCTION_TARGET=", NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, env, NULL, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.port, 8080);
    cr_expect_str_eq(cfg.target, "");
}

Test(config, flags_override_environment)
{
    const char *env[] = {"PORT=9090",          "FUNCTION_TARGET=env-fn", "FUNCTION_SIGNATURE_TYPE=cloudevent",
                         "FF_BODY_LIMIT=2048", "FF_SHUTDOWN_GRACE=3",    NULL};
    const char *args[] = {"--port",           "7070", "--target=flag-fn",
                          "--signature-type", "http", "--body-limit=4096",
                          "--shutdown-grace", "0",    NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, env, args, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.port, 7070);
    cr_expect_str_eq(cfg.target, "flag-fn");
    cr_expect_eq(cfg.signature, FF_SIGNATURE_HTTP);
    cr_expect_eq(cfg.body_limit, 4096);
    cr_expect_eq(cfg.grace_s, 0);
}

Test(config, equals_and_separate_forms_agree)
{
    const char *a[] = {"--port=1234", "--host=10.0.0.1", NULL};
    const char *b[] = {"--port", "1234", "--host", "10.0.0.1", NULL};
    ff_config ca, cb;
    ff_error err;
    cr_assert_eq(parse(&ca, NULL, a, &err), 0, "%s", err.message);
    cr_assert_eq(parse(&cb, NULL, b, &err), 0, "%s", err.message);
    cr_expect_eq(ca.port, 1234);
    cr_expect_eq(cb.port, 1234);
    cr_expect_str_eq(ca.host, "10.0.0.1");
    cr_expect_str_eq(cb.host, "10.0.0.1");
}

Test(config, last_flag_wins)
{
    const char *args[] = {"--port", "1", "--port=2", NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, NULL, args, &err), 0);
    cr_expect_eq(cfg.port, 2);
}

Test(config, list_and_help)
{
    const char *args[] = {"--list", "--help", NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, NULL, args, &err), 0);
    cr_expect_eq(cfg.list, 1);
    cr_expect_eq(cfg.help, 1);
    const char *h[] = {"-h", NULL};
    cr_assert_eq(parse(&cfg, NULL, h, &err), 0);
    cr_expect_eq(cfg.help, 1);
    cr_expect(strstr(ff_config_usage(), "--target") != NULL);
}

Test(config, port_bounds)
{
    const char *zero[] = {"--port", "0", NULL}, *max[] = {"--port", "65535", NULL};
    ff_config cfg;
    ff_error err;
    cr_expect_eq(parse(&cfg, NULL, zero, &err), 0, "port 0 (any free port) is allowed");
    cr_expect_eq(parse(&cfg, NULL, max, &err), 0);
    cr_expect_eq(cfg.port, 65535);
}

Test(config, bad_ports)
{
    const char *values[] = {"65536", "-1", "abc", "80x", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        const char *args[] = {"--port", values[i], NULL};
        expect_error(NULL, args, "--port");
    }
    const char *env[] = {"PORT=http", NULL};
    expect_error(env, NULL, "PORT");
}

Test(config, bad_numbers)
{
    const char *zero_limit[] = {"--body-limit", "0", NULL},
               *huge_limit[] = {"--body-limit", "2147483648", NULL};
    const char *grace[] = {"--shutdown-grace=3601", NULL}, *neg_grace[] = {"--shutdown-grace=-1", NULL};
    expect_error(NULL, zero_limit, "--body-limit");
    expect_error(NULL, huge_limit, "--body-limit");
    expect_error(NULL, grace, "--shutdown-grace");
    expect_error(NULL, neg_grace, "--shutdown-grace");
    const char *env[] = {"FF_SHUTDOWN_GRACE=soon", NULL};
    expect_error(env, NULL, "FF_SHUTDOWN_GRACE");
}

Test(config, unknown_flag)
{
    const char *eq[] = {"--bogus=1", NULL}, *sep[] = {"--bogus", "1", NULL};
    expect_error(NULL, eq, "--bogus");
    expect_error(NULL, sep, "--bogus");
}

Test(config, stray_arguments)
{
    const char *pos[] = {"echo", NULL}, *single[] = {"-port", "1", NULL}, *bare[] = {"--", NULL};
    expect_error(NULL, pos, "echo");
    expect_error(NULL, single, "-port");
    expect_error(NULL, bare, "--");
}

Test(config, missing_value)
{
    const char *args[] = {"--target", NULL};
    expect_error(NULL, args, "--target");
    const char *port[] = {"--target", "x", "--port", NULL};
    expect_error(NULL, port, "--port");
}

Test(config, signature_type_values)
{
    const char *http[] = {"--signature-type", "http", NULL}, *ce[] = {"--signature-type=cloudevent", NULL};
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, NULL, http, &err), 0);
    cr_expect_eq(cfg.signature, FF_SIGNATURE_HTTP);
    cr_assert_eq(parse(&cfg, NULL, ce, &err), 0);
    cr_expect_eq(cfg.signature, FF_SIGNATURE_CLOUDEVENT);
    const char *ev[] = {"--signature-type", "event", NULL}, *typed[] = {"--signature-type=typed", NULL};
    cr_assert_eq(parse(&cfg, NULL, ev, &err), 0);
    cr_expect_eq(cfg.signature, FF_SIGNATURE_EVENT);
    cr_assert_eq(parse(&cfg, NULL, typed, &err), 0);
    cr_expect_eq(cfg.signature, FF_SIGNATURE_TYPED);
    const char *bad[] = {"legacyevent", "HTTP", "", "cloudevents"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[] = {"--signature-type", bad[i], NULL};
        expect_error(NULL, args, "--signature-type");
    }
    const char *env[] = {"FUNCTION_SIGNATURE_TYPE=pubsub", NULL};
    expect_error(env, NULL, "FUNCTION_SIGNATURE_TYPE");
    cr_expect_str_eq(ff_signature_name(FF_SIGNATURE_HTTP), "http");
    cr_expect_str_eq(ff_signature_name(FF_SIGNATURE_CLOUDEVENT), "cloudevent");
    cr_expect_str_eq(ff_signature_name(FF_SIGNATURE_EVENT), "event");
    cr_expect_str_eq(ff_signature_name(FF_SIGNATURE_TYPED), "typed");
}

Test(config, unknown_flag_is_named_before_its_value)
{
    const char *alone[] = {"--frobnicate", NULL}, *valued[] = {"--frobnicate", "x", NULL};
    const char *eq[] = {"--frobnicate=1", NULL};
    expect_error(NULL, alone, "unknown flag: --frobnicate");
    expect_error(NULL, valued, "unknown flag: --frobnicate");
    expect_error(NULL, eq, "unknown flag: --frobnicate");
}

Test(config, http2_cleartext_switch)
{
    ff_config cfg;
    ff_error err;
    cr_assert_eq(parse(&cfg, NULL, NULL, &err), 0);
    cr_expect_eq(cfg.http2_cleartext, 0, "h2c must be off by default");
    const char *on[] = {"--http2-cleartext", "on", NULL}, *env[] = {"FF_HTTP2_CLEARTEXT=1", NULL};
    const char *off[] = {"--http2-cleartext=off", NULL};
    cr_assert_eq(parse(&cfg, NULL, on, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.http2_cleartext, 1);
    cr_assert_eq(parse(&cfg, env, NULL, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.http2_cleartext, 1);
    cr_assert_eq(parse(&cfg, env, off, &err), 0, "%s", err.message);
    cr_expect_eq(cfg.http2_cleartext, 0, "the flag wins over the environment");
    const char *bad[] = {"--http2-cleartext", "maybe", NULL};
    expect_error(NULL, bad, "--http2-cleartext");
}

Test(config, overlong_values)
{
    char target[200], host[100];
    memset(target, 't', sizeof(target) - 1);
    target[sizeof(target) - 1] = '\0';
    memset(host, '1', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    const char *t[] = {"--target", target, NULL}, *h[] = {"--host", host, NULL}, *e[] = {"--host=", NULL};
    expect_error(NULL, t, "--target");
    expect_error(NULL, h, "--host");
    expect_error(NULL, e, "--host");
}

/* ---- ff_config_check ------------------------------------------------------------------- */

static void http_fn(ff_request *req, ff_response *res) {}

static int ce_fn(ff_request *req, const ff_cloudevent *ev)
{
    return 0;
}

static ff_app *two_functions(void)
{
    ff_app *app = ff_app_new();
    ff_function_def h = {.name = "web", .signature = FF_SIGNATURE_HTTP, .http = http_fn};
    ff_function_def c = {.name = "events", .signature = FF_SIGNATURE_CLOUDEVENT, .cloudevent = ce_fn};
    cr_assert_eq(ff_register(app, &h, NULL), 0);
    cr_assert_eq(ff_register(app, &c, NULL), 0);
    return app;
}

static int check(const ff_app *app, const char *const *args, ff_error *err)
{
    ff_config cfg;
    cr_assert_eq(parse(&cfg, NULL, args, err), 0, "%s", err->message);
    return ff_config_check(&cfg, app, err);
}

Test(config_check, known_targets_and_all_functions)
{
    ff_app *app = two_functions();
    ff_error err;
    const char *all[] = {NULL}, *web[] = {"--target", "web", NULL};
    const char *events[] = {"--target", "events", "--signature-type", "cloudevent", NULL};
    cr_expect_eq(check(app, all, &err), 0, "%s", err.message);
    cr_expect_eq(check(app, web, &err), 0, "%s", err.message);
    cr_expect_eq(check(app, events, &err), 0, "%s", err.message);
    ff_app_free(app);
}

Test(config_check, unknown_target)
{
    ff_app *app = two_functions();
    ff_error err;
    const char *args[] = {"--target", "nope", NULL};
    cr_expect_neq(check(app, args, &err), 0);
    cr_expect(strstr(err.message, "nope") != NULL, "%s", err.message);
    ff_app_free(app);
}

/* The contract: source code (the registration) wins over flags and environment. */
Test(config_check, signature_mismatch_is_not_an_error)
{
    ff_app *app = two_functions();
    ff_error err;
    const char *a[] = {"--target", "web", "--signature-type", "cloudevent", NULL};
    const char *b[] = {"--target", "events", "--signature-type", "http", NULL};
    const char *same[] = {"--target", "web", "--signature-type", "http", NULL};
    cr_expect_eq(check(app, a, &err), 0, "%s", err.message);
    cr_expect_eq(check(app, b, &err), 0, "%s", err.message);
    ff_config cfg;
    cr_assert_eq(parse(&cfg, NULL, a, &err), 0);
    cr_expect_str_eq(ff_config_signature_conflict(&cfg, app), "http");
    cr_assert_eq(parse(&cfg, NULL, b, &err), 0);
    cr_expect_str_eq(ff_config_signature_conflict(&cfg, app), "cloudevent");
    cr_assert_eq(parse(&cfg, NULL, same, &err), 0);
    cr_expect_null(ff_config_signature_conflict(&cfg, app));
    ff_app_free(app);
}

Test(config_check, cloud_run_requires_a_target)
{
    ff_app *app = two_functions();
    ff_config cfg;
    ff_error err;
    const char *cloud_run[] = {"K_SERVICE=svc", NULL}, *web[] = {"--target", "web", NULL};
    cr_assert_eq(parse(&cfg, cloud_run, NULL, &err), 0, "%s", err.message);
    cr_expect_neq(ff_config_check(&cfg, app, &err), 0, "all-functions mode accepted on Cloud Run");
    cr_expect(strstr(err.message, "K_SERVICE") != NULL, "%s", err.message);
    cr_expect(strstr(err.message, "FUNCTION_TARGET") != NULL, "%s", err.message);
    cr_assert_eq(parse(&cfg, cloud_run, web, &err), 0, "%s", err.message);
    cr_expect_eq(ff_config_check(&cfg, app, &err), 0, "%s", err.message);
    const char *empty[] = {"K_SERVICE=", NULL};
    cr_assert_eq(parse(&cfg, empty, NULL, &err), 0, "%s", err.message);
    cr_expect_eq(ff_config_check(&cfg, app, &err), 0, "an empty K_SERVICE is not Cloud Run");
    ff_app_free(app);
}

Test(config_check, empty_registry)
{
    ff_app *app = ff_app_new();
    ff_error err;
    const char *all[] = {NULL};
    cr_expect_neq(check(app, all, &err), 0, "serving nothing is an error");
    ff_app_free(app);
}
