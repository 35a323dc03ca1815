/*
 * test_framing.c - HTTP/1 message framing over raw sockets: conflicting Content-Length
 * headers are refused (400, connection closed, handler not run), identical repeats are
 * accepted; HTTP/2 cleartext (prior knowledge and Upgrade: h2c) is off unless enabled
 * with --http2-cleartext / FF_HTTP2_CLEARTEXT.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "contract.h"

TestSuite(framing, .fini = ct_fini, .timeout = 60);

static const char *const echo_target[] = {"--target", "echo", NULL};

/* Sends raw bytes, reads one response into res; returns how many responses were read. */
static int exchange(const ct_server *s, const char *raw, th_response *res)
{
    int fd = th_raw_connect(s->port);
    cr_assert_geq(fd, 0);
    th_raw_send_str(fd, raw);
    int n = th_raw_read_responses(fd, res, 1, 5000);
    close(fd);
    return n;
}

CT_TEST(framing, conflicting_content_lengths_are_400)
{
    ct_server s = ct_start(echo_target, NULL);
    th_response res;
    cr_assert_eq(exchange(&s,
                          "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 12\r\n\r\n"
                          "hello\r\n\r\nGET /x",
                          &res),
                 1);
    cr_expect_eq(res.status, 400);
    cr_expect(th_header_has_token(&res, "connection", "close"), "connection kept open after a framing error");
    th_response_free(&res);
    cr_expect_eq(ct_log_count(&s, "echo"), 0, "the handler ran");
}

CT_TEST(framing, identical_repeated_content_length_is_accepted)
{
    ct_server s = ct_start(echo_target, NULL);
    th_response res;
    cr_assert_eq(
        exchange(&s, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\ncontent-length:  5\r\n\r\nhello",
                 &res),
        1);
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
}

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* What the server sends back to the HTTP/2 connection preface (up to 9 bytes). */
static ssize_t preface_reply(const ct_server *s, char *buf, size_t len)
{
    int fd = th_raw_connect(s->port);
    cr_assert_geq(fd, 0);
    th_raw_send(fd, h2_preface, sizeof(h2_preface) - 1);
    th_raw_send(fd, "\0\0\0\4\0\0\0\0\0", 9); /* an empty SETTINGS frame */
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, buf, len, MSG_WAITALL);
    close(fd);
    return n;
}

CT_TEST(framing, http2_prior_knowledge_is_off_by_default)
{
    ct_server s = ct_start(echo_target, NULL);
    char buf[9] = {0};
    ssize_t n = preface_reply(&s, buf, sizeof(buf));
    cr_expect(n <= 0 || strncmp(buf, "HTTP/1.1 ", 9) == 0,
              "the server spoke HTTP/2 (%zd bytes, frame type %d)", n, buf[3]);
}

CT_TEST(framing, http2_prior_knowledge_when_enabled)
{
    const char *args[] = {"--target", "echo", "--http2-cleartext", "on", NULL};
    ct_server s = ct_start(args, NULL);
    char buf[9] = {0};
    cr_assert_eq(preface_reply(&s, buf, sizeof(buf)), 9, "no HTTP/2 frame");
    cr_expect_eq(buf[3], 4, "the first frame is not SETTINGS (type %d)", buf[3]);
}

CT_TEST(framing, h2c_upgrade_is_ignored_by_default)
{
    ct_server s = ct_start(echo_target, NULL);
    th_response res;
    cr_assert_eq(
        exchange(&s,
                 "GET / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
                 &res),
        1);
    cr_expect_eq(res.status, 200, "h2c upgrade not ignored: %ld", res.status);
    th_response_free(&res);
}

CT_TEST(framing, h2c_upgrade_switches_protocols_from_env)
{
    const char *env[] = {"FF_HTTP2_CLEARTEXT=on", NULL};
    ct_server s = ct_start(echo_target, env);
    int fd = th_raw_connect(s.port);
    cr_assert_geq(fd, 0);
    th_raw_send_str(fd, "GET / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    char buf[13] = {0};
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
    close(fd);
    cr_expect_str_eq(buf, "HTTP/1.1 101");
}
