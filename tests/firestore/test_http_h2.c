/*
 * test_http_h2.c - the transfer loop over TLS and HTTP/2, as calls go to Google: a Node
 * HTTP/2 server (the same node the emulators run on) with a certificate for 127.0.0.1
 * that the pooled handle is told to trust. Consecutive calls share one TLS connection
 * and one HTTP/2 session; answers come at once, late, or larger than one read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/src/gcp/gcp_http_internal.h"
#include "../support/spawn.h"
#include "gcp/http.h"

static char g_dir[] = "/tmp/test_http_h2.XXXXXX", g_key[64], g_cert[64];

/* Stops the server, removes its key and certificate. */
static void fini(void)
{
    spawn_free_all();
    if (g_key[0] != '\0') {
        unlink(g_key);
        unlink(g_cert);
        rmdir(g_dir);
    }
}

TestSuite(http_h2, .timeout = 60, .fini = fini);

/* A P-256 key and a certificate for IP 127.0.0.1 valid until 2126 (openssl req -x509),
 * made for this test only. */
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXS1Yq8oRInqvskBR\n"
                              "pwYSxupaBH9VzA8hV8NY0J0R7MahRANCAASteTHptplAFlTZdSFPJmPWPUYkA6qi\n"
                              "vJNsS4sDqmm/yJqWWCHDXlGAWI3HHzjsMUXrj+Lq64UuI9rXQMfRaIBm\n"
                              "-----END PRIVATE KEY-----\n";
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBkTCCATagAwIBAgIUEyZwPR1GboF1Ch6zhSFoKazjbXYwCgYIKoZIzj0EAwIw\n"
                               "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMTE3MjIxNVoYDzIxMjYxMTA3\n"
                               "MTcyMjE1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
                               "PQMBBwNCAASteTHptplAFlTZdSFPJmPWPUYkA6qivJNsS4sDqmm/yJqWWCHDXlGA\n"
                               "WI3HHzjsMUXrj+Lq64UuI9rXQMfRaIBmo2QwYjAdBgNVHQ4EFgQU2YWvonG4Bn3M\n"
                               "UE0VrU9J798cefgwHwYDVR0jBBgwFoAU2YWvonG4Bn3MUE0VrU9J798cefgwDwYD\n"
                               "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC\n"
                               "IQCFv4+sZv2k0VkVXGl9E2B9zs3GEkkrJNC0H0694YY2VAIhAJpyAtAcfa9tGrij\n"
                               "BIGDIqX2ZXbz/w4fem+CXjczphbG\n"
                               "-----END CERTIFICATE-----\n";

/* Answers {"n":<request number>,"v":<HTTP version>,"s":<session number>,"len":<body length>},
 * 50 ms late for a path with "slow", followed by 1 MiB of spaces for a path with "large". */
static const char server_js[] = "const http2 = require('http2'), fs = require('fs');\n"
                                "let n = 0, sessions = 0;\n"
                                "const s = http2.createSecureServer({key: fs.readFileSync(process.argv[1]), "
                                "cert: fs.readFileSync(process.argv[2])},\n"
                                "  (req, res) => {\n"
                                "    const k = ++n, id = req.stream.session.id;\n"
                                "    let len = 0;\n"
                                "    req.on('data', d => len += d.length);\n"
                                "    req.on('end', () => setTimeout(() => {\n"
                                "      res.writeHead(200, {'content-type': 'application/json'});\n"
                                "      res.end(JSON.stringify({n: k, v: req.httpVersion, s: id, len}) +\n"
                                "              (req.url.includes('large') ? ' '.repeat(1 << 20) : ''));\n"
                                "    }, req.url.includes('slow') ? 50 : 0));\n"
                                "  });\n"
                                "s.on('session', x => { x.id = ++sessions; });\n"
                                "s.listen(+process.argv[3], '127.0.0.1');\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fputs(text, f) >= 0 && fclose(f) == 0, 1, "%s", path);
}

/* Starts the server; its base URL in url. The calling thread's next calls trust its
 * certificate: the handle they take from the pool (the last given back) has it as CA. */
static void start(char *url, size_t len)
{
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    write_file(g_key, key_pem);
    write_file(g_cert, cert_pem);
    char port[16];
    int p = spawn_free_port();
    snprintf(port, sizeof(port), "%d", p);
    const char *const args[] = {"-c", "exec node -e \"$0\" \"$@\"", server_js, g_key, g_cert, port, NULL};
    spawn_proc *sp = spawn_start("/bin/sh", args, NULL);
    cr_assert_not_null(sp);
    cr_assert_eq(spawn_wait_port(sp, p, 20000), 0, "the HTTP/2 server did not start (node on PATH?)");
    snprintf(url, len, "https://127.0.0.1:%d", p);

    ff_error err = {0};
    cr_assert_not_null(gcp_http_curl(&err), "%s", err.message);
    gcp_http_handle *hh = gcp_http_handle_take();
    cr_assert_not_null(hh);
    gcp_http_lib->easy_setopt(hh->curl, CURLOPT_CAINFO, g_cert); /* copied by libcurl */
    gcp_http_handle_give(hh);
}

/* A call that must answer 200 over HTTP/2 on session 1, as the n-th request. */
static void expect_nth(const char *base, const char *method, const char *path, int n, size_t extra)
{
    char url[128], want[96];
    snprintf(url, sizeof(url), "%s%s", base, path);
    int post = strcmp(method, "POST") == 0;
    gcp_http_request req = {.method = method,
                            .url = url,
                            .body = post ? "{\"a\":1}" : NULL,
                            .body_len = post ? 7 : 0,
                            .retry = GCP_HTTP_NO_RETRY,
                            .max_attempts = 1,
                            .timeout_ms = 20000};
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK, "call %d: %s", n, err.message);
    snprintf(want, sizeof(want), "{\"n\":%d,\"v\":\"2.0\",\"s\":1,\"len\":%d}", n, post ? 7 : 0);
    cr_expect_eq(res.status, 200, "call %d", n);
    cr_expect_eq(res.body_len, strlen(want) + extra, "call %d: %zu bytes", n, res.body_len);
    cr_expect(strncmp(res.body, want, strlen(want)) == 0, "call %d: %.80s, not %s", n, res.body, want);
    cr_expect_eq(res.attempts, 1, "call %d", n);
    gcp_http_response_free(&res);
}

Test(http_h2, calls_share_one_tls_connection_and_session)
{
    char base[64];
    start(base, sizeof(base));
    static const struct {
        const char *method, *path;
        size_t extra;
    } calls[] = {
        {"GET", "/v1/a", 0},     {"GET", "/v1/slow", 0},        {"POST", "/v1/b", 0},
        {"POST", "/v1/slow", 0}, {"GET", "/v1/large", 1 << 20}, {"PATCH", "/v1/slow-large", 1 << 20},
        {"GET", "/v1/c", 0},
    };
    for (int i = 0; i < (int)(sizeof(calls) / sizeof(calls[0])); i++)
        expect_nth(base, calls[i].method, calls[i].path, i + 1, calls[i].extra);
}
