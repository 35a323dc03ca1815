/*
 * log.h - internal configuration of the logger (ff_log is public, in ff.h).
 */
#ifndef FF_LOG_INTERNAL_H
#define FF_LOG_INTERNAL_H

#include <stdio.h>
#include "ff.h"

typedef enum { FF_LOG_JSON = 0, FF_LOG_TEXT = 1 } ff_log_format;

/* Reads LOG_FORMAT, LOG_LEVEL and the project ID (GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT). */
void ff_log_configure_from_env(void);
void ff_log_set_format(ff_log_format fmt);
void ff_log_set_level(ff_severity min);
/* Project ID used to build logging.googleapis.com/trace; NULL clears it. Copied. */
void ff_log_set_project(const char *project_id);
/* Redirects output (tests); NULL restores stdout. The stream is not closed. */
void ff_log_set_stream(FILE *out);
/* The log's file descriptor and project ID, for the crash report (no locking). */
int ff_log_fd(void);
const char *ff_log_project(void);
/* Parses "DEBUG", "info", "WARNING"...; returns -1 if unknown. */
int ff_log_parse_level(const char *s);
const char *ff_severity_name(ff_severity sev);
/* Cloud Logging's httpRequest fields of an access-log entry. */
typedef struct ff_log_http {
    const char *method, *url;
    int status;
    uint64_t latency_ms;
} ff_log_http;

/* ff_log with an httpRequest member, rendered without building a json_t (once per request). */
void ff_log_request(const ff_request *req, ff_severity sev, const ff_log_http *http, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* json_string(s), but bytes that are not valid UTF-8 become '?' instead of failing. */
json_t *ff_json_string_lossy(const char *s);

#endif
