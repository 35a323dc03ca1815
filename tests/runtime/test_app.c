/*
 * test_app.c - the function registry: registration rules (names, duplicates,
 * handlers for the signature type), defaults filled in, lookups.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ff.h"

static void http_fn(ff_request *req, ff_response *res) {}

static int ce_fn(ff_request *req, const ff_cloudevent *ev)
{
    return 0;
}

static ff_app *g_app;

static void setup(void)
{
    g_app = ff_app_new();
    cr_assert_not_null(g_app);
}

static void teardown(void)
{
    ff_app_free(g_app);
}

TestSuite(app, .init = setup, .fini = teardown);

static int reg_http(const char *name, ff_error *err)
{
    ff_function_def d = {.name = name, .signature = FF_SIGNATURE_HTTP, .http = http_fn};
    memset(err, 0, sizeof(*err));
    return ff_register(g_app, &d, err);
}

Test(app, register_and_find)
{
    ff_error err;
    cr_assert_eq(reg_http("alpha", &err), 0, "%s", err.message);
    cr_assert_eq(reg_http("beta", &err), 0, "%s", err.message);
    cr_expect_eq(ff_app_count(g_app), 2);
    cr_expect_str_eq(ff_app_at(g_app, 0)->name, "alpha");
    cr_expect_str_eq(ff_app_at(g_app, 1)->name, "beta");
    cr_expect_null(ff_app_at(g_app, 2));
    cr_expect_eq(ff_app_find(g_app, "beta")->http, http_fn);
    cr_expect_null(ff_app_find(g_app, "gamma"));
    cr_expect_null(ff_app_find(g_app, "Alpha"), "names are case-sensitive");
}

Test(app, name_is_copied)
{
    char name[] = "original";
    ff_error err;
    cr_assert_eq(reg_http(name, &err), 0);
    strcpy(name, "changed!");
    cr_expect_not_null(ff_app_find(g_app, "original"));
    cr_expect_null(ff_app_find(g_app, "changed!"));
}

Test(app, duplicate_refused)
{
    ff_error err;
    cr_assert_eq(reg_http("dup", &err), 0);
    cr_expect_neq(reg_http("dup", &err), 0);
    cr_expect(strstr(err.message, "dup") != NULL, "%s", err.message);
    cr_expect_eq(ff_app_count(g_app), 1);
}

Test(app, valid_names)
{
    char max[64];
    memset(max, 'm', 63);
    max[63] = '\0';
    const char *names[] = {"a", "Z", "snake_case", "kebab-case", "mix_9-X", max};
    ff_error err;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_expect_eq(reg_http(names[i], &err), 0, "'%s' refused: %s", names[i], err.message);
}

Test(app, invalid_names)
{
    char too_long[65];
    memset(too_long, 'l', 64);
    too_long[64] = '\0';
    const char *names[] = {"", "a/b", "a b", "dot.name", "q?", "%41", "caf\xc3\xa9", too_long};
    ff_error err;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cr_expect_neq(reg_http(names[i], &err), 0, "'%s' accepted", names[i]);
        cr_expect_neq(err.code, 0);
    }
    cr_expect_neq(reg_http(NULL, &err), 0, "NULL name accepted");
    cr_expect_eq(ff_app_count(g_app), 0);
}

Test(app, missing_handler_refused)
{
    ff_function_def no_http = {.name = "a", .signature = FF_SIGNATURE_HTTP, .cloudevent = ce_fn};
    ff_function_def no_ce = {.name = "b", .signature = FF_SIGNATURE_CLOUDEVENT, .http = http_fn};
    ff_function_def no_sig = {.name = "c", .http = http_fn, .cloudevent = ce_fn};
    ff_function_def bad_sig = {.name = "d", .signature = (ff_signature)7, .http = http_fn};
    ff_error err;
    cr_expect_neq(ff_register(g_app, &no_http, &err), 0);
    cr_expect_neq(ff_register(g_app, &no_ce, &err), 0);
    cr_expect_neq(ff_register(g_app, &no_sig, &err), 0);
    cr_expect_neq(ff_register(g_app, &bad_sig, &err), 0);
    cr_expect_eq(ff_app_count(g_app), 0);
}

Test(app, error_may_be_null)
{
    ff_function_def bad = {.name = "", .signature = FF_SIGNATURE_HTTP, .http = http_fn};
    cr_expect_neq(ff_register(g_app, &bad, NULL), 0);
}

Test(app, defaults_filled)
{
    ff_function_def d = {.name = "d", .signature = FF_SIGNATURE_CLOUDEVENT, .cloudevent = ce_fn};
    cr_assert_eq(ff_register(g_app, &d, NULL), 0);
    const ff_function_def *got = ff_app_find(g_app, "d");
    cr_expect_eq(got->timeout_s, 60);
    cr_expect_eq(got->max_concurrency, 80);
    cr_expect_eq(got->max_queue, 320, "queue defaults to 4 x concurrency");
    cr_expect_eq(got->cors, 0);
    cr_expect_eq(d.timeout_s, 0, "the caller's definition is not modified");
}

Test(app, explicit_options_kept)
{
    int data;
    ff_function_def d = {.name = "o",
                         .signature = FF_SIGNATURE_HTTP,
                         .http = http_fn,
                         .cors = 1,
                         .timeout_s = 5,
                         .max_concurrency = 3,
                         .max_queue = 2,
                         .userdata = &data};
    cr_assert_eq(ff_register(g_app, &d, NULL), 0);
    const ff_function_def *got = ff_app_find(g_app, "o");
    cr_expect_eq(got->cors, 1);
    cr_expect_eq(got->timeout_s, 5);
    cr_expect_eq(got->max_concurrency, 3);
    cr_expect_eq(got->max_queue, 2);
    cr_expect_eq(got->userdata, &data);
    ff_function_def q = {.name = "q", .signature = FF_SIGNATURE_HTTP, .http = http_fn, .max_concurrency = 5};
    cr_assert_eq(ff_register(g_app, &q, NULL), 0);
    cr_expect_eq(ff_app_find(g_app, "q")->max_queue, 20, "queue default follows the given concurrency");
}

Test(app, many_functions)
{
    char name[16];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "fn%d", i);
        cr_assert_eq(reg_http(name, &(ff_error){0}), 0);
    }
    cr_expect_eq(ff_app_count(g_app), 200);
    cr_expect_str_eq(ff_app_find(g_app, "fn137")->name, "fn137");
}

Test(app_free, null_is_fine)
{
    ff_app_free(NULL);
}
