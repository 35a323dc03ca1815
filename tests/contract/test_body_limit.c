/*
 * test_body_limit.c - request bodies over the limit (default 10 MiB, --body-limit,
 * FF_BODY_LIMIT) are refused with 413 without invoking the handler, with a
 * Content-Length or chunked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"

TestSuite(body_limit, .fini = ct_fini, .timeout = 60);

static const char *const limit_1k[] = {"--target", "echo", "--body-limit", "1024", NULL};

static long post_size(const ct_server *s, size_t len, int chunked)
{
    char *body = malloc(len + 1), url[128];
    memset(body, 'x', len);
    th_request req = {
        .url = ct_url(s, "/", url, sizeof(url)), .body = body, .body_len = len, .chunked = chunked};
    th_response res;
    th_http(&req, &res);
    long status = res.status;
    if (status == 200) { /* the handler saw the whole body */
        json_t *j = ct_body_json(&res);
        cr_expect_eq(json_string_length(json_object_get(j, "body")), len);
        json_decref(j);
    }
    th_response_free(&res);
    free(body);
    return status;
}

CT_TEST(body_limit, flag_limit_with_content_length)
{
    ct_server s = ct_start(limit_1k, NULL);
    cr_expect_eq(post_size(&s, 1024, 0), 200, "a body of exactly the limit is accepted");
    cr_expect_eq(post_size(&s, 1025, 0), 413, "one byte over the limit");
    cr_expect_eq(post_size(&s, 100000, 0), 413);
    cr_expect_eq(ct_log_count(&s, "echo"), 1, "the handler ran for a refused body");
}

CT_TEST(body_limit, flag_limit_with_chunked_body)
{
    ct_server s = ct_start(limit_1k, NULL);
    cr_expect_eq(post_size(&s, 900, 1), 200, "chunked body under the limit");
    cr_expect_eq(post_size(&s, 5000, 1), 413, "chunked body over the limit");
    cr_expect_eq(ct_log_count(&s, "echo"), 1, "the handler ran for a refused body");
}

/* Chunks sent by hand, slowly: the 413 must come although no Content-Length announced it. */
CT_TEST(body_limit, raw_chunked_body_over_limit)
{
    ct_server s = ct_start(limit_1k, NULL);
    int fd = th_raw_connect(s.port);
    cr_assert_geq(fd, 0);
    th_raw_send_str(fd, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[600];
    memset(chunk, 'y', sizeof(chunk));
    for (int i = 0; i < 4; i++) {
        char size[16];
        snprintf(size, sizeof(size), "%zx\r\n", sizeof(chunk));
        if (th_raw_send_str(fd, size) != 0 || th_raw_send(fd, chunk, sizeof(chunk)) != 0 ||
            th_raw_send_str(fd, "\r\n") != 0)
            break; /* the server may close once it has answered */
        spawn_sleep_ms(50);
    }
    th_raw_send_str(fd, "0\r\n\r\n");
    th_response res;
    int got = th_raw_read_responses(fd, &res, 1, 5000);
    close(fd);
    cr_assert_eq(got, 1, "no response to an oversized chunked body");
    cr_expect_eq(res.status, 413);
    th_response_free(&res);
    cr_expect_eq(ct_log_count(&s, "echo"), 0);
}

CT_TEST(body_limit, env_limit)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FF_BODY_LIMIT=2048", NULL};
    ct_server s = ct_start(args, env);
    cr_expect_eq(post_size(&s, 2048, 0), 200);
    cr_expect_eq(post_size(&s, 2049, 0), 413);
}

CT_TEST(body_limit, flag_overrides_env_limit)
{
    const char *env[] = {"FF_BODY_LIMIT=100", NULL};
    ct_server s = ct_start(limit_1k, env);
    cr_expect_eq(post_size(&s, 1000, 0), 200);
}

CT_TEST(body_limit, default_limit_is_10_mib)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FF_BODY_LIMIT", NULL}; /* unset: the default applies */
    ct_server s = ct_start(args, env);
    cr_expect_eq(post_size(&s, 11u << 20, 0), 413, "11 MiB accepted with the default limit");
    cr_expect_eq(post_size(&s, 1u << 20, 0), 200, "1 MiB refused with the default limit");
}
