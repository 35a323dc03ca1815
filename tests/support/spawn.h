/*
 * spawn.h - black-box test helpers: server processes, a tiny HTTP client, raw sockets.
 *
 * Processes (spawn_*): a binary started in its own process group, stdin from /dev/null,
 * stdout and stderr each to a temp file, killed (SIGKILL) if the thread that started it
 * dies (so start processes from the test's main thread, not from a th_async thread).
 * Every started process is remembered until spawn_free; spawn_free_all (call it from
 * the suite's .fini) kills and reaps whatever is left, pass or fail. Logs are removed
 * by spawn_free unless SPAWN_KEEP_LOGS=1 is set.
 *
 * HTTP (th_*): libcurl, one transfer per call, or on a th_client that keeps its
 * connection alive between calls, or on a thread (th_async) for overlapping requests.
 * Raw sockets (th_raw_*): for pipelining and hand-made requests (chunked bodies, bytes
 * curl will not send).
 *
 * Ownership: functions returning `char *` or a th_* object hand it to the caller (free
 * with free() or the matching *_free). th_response fields are owned by the response
 * and released by th_response_free. Strings passed in are copied unless said otherwise.
 * No Criterion calls here: every test binary links this file.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- processes --------------------------------------------------------------- */

typedef struct spawn_proc spawn_proc;

/* spawn_wait/spawn_stop results besides an exit code 0..255. */
#define SPAWN_RUNNING     (-1)        /* still running when the wait ended */
#define SPAWN_SIGNALED(s) (256 + (s)) /* ended by signal s */

/* A TCP port that is free on 127.0.0.1 right now (bind to port 0). -1 on error. */
int spawn_free_port(void);
/* 1 if something accepts connections on 127.0.0.1:port, else 0. */
int spawn_port_open(int port);

/*
 * Starts `path` with arguments args (after argv[0]; NULL-terminated; NULL for none) and
 * the inherited environment changed by env: "NAME=VALUE" sets, "NAME" unsets
 * (NULL-terminated; NULL for none). Returns NULL if the process could not be started.
 */
spawn_proc *spawn_start(const char *path, const char *const args[], const char *const env[]);
pid_t spawn_pid(const spawn_proc *p);
/*
 * Merges environment changes for spawn_start: every entry of defaults ("NAME=VALUE" or
 * "NAME") not named in env, then all of env, into out (cap slots, NULL-terminated; the
 * strings are borrowed). Returns the number of entries.
 */
size_t spawn_env_merge(const char *const defaults[], const char *const env[], const char **out, size_t cap);
/* Paths of the stdout and stderr files (owned by p). */
const char *spawn_stdout_path(const spawn_proc *p);
const char *spawn_stderr_path(const spawn_proc *p);

/* Waits until 127.0.0.1:port accepts a connection: 0, or -1 on timeout or if p exited. */
int spawn_wait_port(spawn_proc *p, int port, int timeout_ms);
/* Sends sig to p's process group (nothing if p was reaped). 0 or -1. */
int spawn_kill(spawn_proc *p, int sig);
/* Waits up to timeout_ms for p to end: its exit code, SPAWN_SIGNALED(sig) or SPAWN_RUNNING. */
int spawn_wait(spawn_proc *p, int timeout_ms);
/* spawn_kill(sig) then spawn_wait(timeout_ms); SIGKILLs the group if it outlives that. */
int spawn_stop(spawn_proc *p, int sig, int timeout_ms);
/* Kills (SIGKILL) and reaps p if still running, removes its logs, frees it. NULL is fine. */
void spawn_free(spawn_proc *p);
/* spawn_free for every process not freed yet (suite teardown). */
void spawn_free_all(void);

/* Whole stdout / stderr so far, NUL-terminated; *len (may be NULL) gets the length. */
char *spawn_read_stdout(const spawn_proc *p, size_t *len);
char *spawn_read_stderr(const spawn_proc *p, size_t *len);
/* Polls stdout until it contains needle: 0, or -1 after timeout_ms. */
int spawn_wait_stdout(const spawn_proc *p, const char *needle, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC, for measuring. */
int64_t spawn_now_ms(void);
void spawn_sleep_ms(int ms);

/* ---- HTTP client ------------------------------------------------------------- */

typedef struct th_header {
    char *name;
    char *value;
} th_header;

typedef struct th_response {
    long status;        /* 0 when no response arrived */
    int error;          /* CURLcode (0 = ok); for th_raw_*, -1 on a parse or I/O error */
    th_header *headers; /* of the final response, in order, values trimmed */
    size_t n_headers;
    char *body; /* NUL-terminated (may contain NULs); never NULL after a call */
    size_t body_len;
    int64_t elapsed_ms;
    long num_connects; /* connections curl opened for this transfer (0 = reused) */
} th_response;

typedef struct th_request {
    const char *method;         /* NULL: GET, or POST when body is set */
    const char *url;            /* required */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
    const void *body;           /* may be NULL */
    size_t body_len;
    int chunked;     /* send the body with Transfer-Encoding: chunked */
    long timeout_ms; /* whole transfer; 0 = 15000 */
} th_request;

/* One request on a fresh connection. Returns res->error. Free res with th_response_free. */
int th_http(const th_request *req, th_response *res);
/* GET url. */
int th_get(const char *url, th_response *res);
void th_response_free(th_response *res);
/* First value of header `name` (case-insensitive); NULL if absent. Owned by res. */
const char *th_header_get(const th_response *res, const char *name);
/* How many times header `name` occurs. */
size_t th_header_count(const th_response *res, const char *name);
/* 1 if any `name` header holds `token` in its comma-separated list (case-insensitive). */
int th_header_has_token(const th_response *res, const char *name, const char *token);

/* A connection-reusing client (keep-alive). */
typedef struct th_client th_client;
th_client *th_client_new(void);
int th_client_do(th_client *c, const th_request *req, th_response *res);
void th_client_free(th_client *c);

/*
 * th_http on a thread, for overlapping requests. req and everything it points to must
 * stay valid until th_async_join, which waits, fills res and frees the handle.
 */
typedef struct th_async th_async;
th_async *th_async_start(const th_request *req);
int th_async_join(th_async *a, th_response *res);

/* ---- raw sockets ------------------------------------------------------------- */

/* Connects to 127.0.0.1:port. Returns the fd, or -1. Close it with close(). */
int th_raw_connect(int port);
/* Sends all of data (no SIGPIPE). 0, or -1 if the peer is gone. */
int th_raw_send(int fd, const void *data, size_t len);
int th_raw_send_str(int fd, const char *s);
/*
 * Reads and parses up to n HTTP/1.x responses (Content-Length bodies, or a body up to
 * EOF for the last one) into out[0..n). Returns how many were complete before
 * timeout_ms or EOF. Free each with th_response_free.
 */
int th_raw_read_responses(int fd, th_response *out, int n, int timeout_ms);

#endif
