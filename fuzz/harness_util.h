/*
 * harness_util.h - helpers shared by the libFuzzer harnesses (not a harness itself):
 * splitting a fuzz input into an HTTP-like request (request line, "Name: value" header
 * lines, blank line, body), building an ff_request from it exactly as ff_invoke_local
 * does, and silencing the runtime's logger.
 */
#ifndef FUZZ_HARNESS_UTIL_H
#define FUZZ_HARNESS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../runtime/src/ff/request.h"

/* A fuzz input read as "METHOD TARGET\nName: value\n...\n\nbody". Everything is owned. */
typedef struct fz_http {
    char *method; /* raw bytes (may hold NULs) and length */
    size_t method_len;
    char *target;
    size_t target_len;
    char **headers; /* NULL-terminated "Name: value" C strings (cut at a NUL byte) */
    size_t n_headers;
    char *body;
    size_t body_len;
} fz_http;

/*
 * Splits data into h. Lines end at '\n' (a trailing '\r' is dropped); the first line is
 * "METHOD TARGET" (no space: all method, target "/"); header lines follow up to an empty
 * line or the end; the rest is the body. Returns 0, or -1 when out of memory.
 */
int fz_http_split(const uint8_t *data, size_t size, fz_http *h);
void fz_http_free(fz_http *h);

/*
 * Adds "Name: value" strings to req's headers the way ff_invoke_local does (lines
 * without ':' skipped, leading blanks of the value dropped). skip_name, when not NULL,
 * names a header (case-insensitive) to leave out. Returns 0 or -1.
 */
int fz_add_headers(ff_request *req, char *const *headers, const char *skip_name);

/*
 * Builds req the way ff_invoke_local would from h (method and target cut at a NUL, as
 * C strings), headers added with fz_add_headers and the trace parsed. Returns 0, or -1
 * (req must still be disposed).
 */
int fz_request_from_http(ff_request *req, const fz_http *h, const char *skip_header);

/* Points the runtime's logger at /dev/null so harness runs stay fast and quiet. */
void fz_quiet_logs(void);

/* Nesting depth of a JSON value: each object or array counts one. */
int fz_json_depth(const json_t *v);

/*
 * Captures what the logger writes from now on (in memory) until fz_logs_check, which
 * asserts that every captured line is a Cloud Logging JSON object with a string
 * "severity" and a string "message" (the default LOG_FORMAT), then goes back to quiet.
 */
void fz_logs_capture(void);
void fz_logs_check(void);

/* Aborts the process (a libFuzzer crash) with a message when cond is false. */
#define FZ_ASSERT(cond, msg)                                                                                 \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            fz_fail(__FILE__, __LINE__, (msg));                                                              \
    } while (0)
void fz_fail(const char *file, int line, const char *msg) __attribute__((noreturn));

#endif
