/*
 * contract.h - shared helpers of the black-box contract suite: start the test binary
 * ($FF_TEST_FUNCTIONS_BIN, else build/bin/functions-test) on 127.0.0.1 and a free port,
 * talk to it over HTTP, and read its structured log.
 *
 * Tests are declared with CT_TEST, which runs ct_check_servers after the body: every
 * server the test started is stopped (SIGTERM, so LeakSanitizer gets to report) and
 * its stderr must hold no sanitizer report. Suites use `.fini = ct_fini`, which kills
 * whatever is still running, pass or fail. Servers belong to these helpers: tests do
 * not free them. Helpers assert (Criterion) when a server cannot be started.
 */
#ifndef CONTRACT_H
#define CONTRACT_H

#include <criterion/criterion.h>
#include <jansson.h>

#include "../support/spawn.h"

typedef struct ct_server {
    spawn_proc *proc;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
} ct_server;

/*
 * A Criterion test (same arguments as Test) whose body is followed by ct_check_servers.
 * A body that fails an assertion skips the check: the test has failed already.
 */
#define CT_TEST(suite, name, ...)                                                                            \
    static void ct_body_##suite##_##name(void);                                                              \
    Test(suite, name, ##__VA_ARGS__)                                                                         \
    {                                                                                                        \
        ct_body_##suite##_##name();                                                                          \
        ct_check_servers();                                                                                  \
    }                                                                                                        \
    static void ct_body_##suite##_##name(void)

/* Stops every server this test started and expects no sanitizer report on their stderr. */
void ct_check_servers(void);
/* Suite teardown: kills and frees every server still around, pass or fail. */
void ct_fini(void);
/* Path of the functions-test binary. */
const char *ct_bin(void);

/*
 * Starts the binary with `--host 127.0.0.1 --port <free>` followed by args (NULL-terminated,
 * may be NULL) and env changes as in spawn_start (over a base environment that lets the
 * product functions start without emulators, see contract.c); asserts it accepts
 * connections.
 */
ct_server ct_start(const char *const args[], const char *const env[]);
/* Starts the binary with exactly args (no --host/--port added) and env; does not wait.
 * Stopped and freed by ct_fini. */
spawn_proc *ct_spawn_raw(const char *const args[], const char *const env[]);
/* SIGTERM, waits, returns the exit status (see spawn_wait). */
int ct_stop(ct_server *s);

/* "base + path" in buf. Returns buf. */
char *ct_url(const ct_server *s, const char *path, char *buf, size_t len);
/* GET base+path. */
int ct_get(const ct_server *s, const char *path, th_response *res);
/* method base+path with headers (NULL-terminated, may be NULL) and a body (may be NULL). */
int ct_send(const ct_server *s, const char *method, const char *path, const char *const headers[],
            const char *body, size_t body_len, th_response *res);
/* The response body parsed as JSON (new reference); asserts it parses. */
json_t *ct_body_json(const th_response *res);

/* Every stdout line that parses as a JSON object, in order (new reference). */
json_t *ct_log_entries(const ct_server *s);
/* How many stdout JSON entries have a message equal to `message`. */
size_t ct_log_count(const ct_server *s, const char *message);
/* How many have a message starting with prefix. */
size_t ct_log_count_prefix(const ct_server *s, const char *prefix);
/*
 * Polls stdout up to timeout_ms for an entry whose message contains `needle`; returns it
 * (new reference) or NULL.
 */
json_t *ct_log_wait(const ct_server *s, const char *needle, int timeout_ms);
/* Number of '\n'-terminated lines in text. */
size_t ct_count_lines(const char *text);

#endif
