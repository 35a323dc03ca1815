/*
 * unit.h - helpers shared by the runtime's unit suites: requests built without a
 * server, and a log captured in memory.
 */
#ifndef RUNTIME_UNIT_H
#define RUNTIME_UNIT_H

#include <stdio.h>

#include "../../runtime/src/ff/request.h"

/*
 * A heap request for method + target with body[0..body_len) and headers given as
 * "Name", "value" pairs ending with NULL; deadline one minute away. Asserts success.
 * Free with ut_request_free.
 */
ff_request *ut_request(const char *method, const char *target, const char *body, size_t body_len, ...);
void ut_request_free(ff_request *req);

/* A log sink: ff_log output goes to memory until ut_log_end. */
typedef struct ut_log {
    FILE *stream;
    char *text;
    size_t len;
} ut_log;

void ut_log_begin(ut_log *log);
/* Flushes; log->text holds everything written so far (valid until the next call). */
const char *ut_log_text(ut_log *log);
/* Each line of the log parsed as JSON (new reference); asserts every line parses. */
json_t *ut_log_json_lines(ut_log *log);
/* Restores stdout as the sink and frees the buffer. */
void ut_log_end(ut_log *log);

#endif
