/*
 * log.c - structured logging: one Cloud Logging JSON object per line on stdout, or a
 * readable line for terminals (LOG_FORMAT=text). Each entry is built in memory and
 * written with a single fwrite under the stream lock, so lines from worker threads
 * never interleave.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static struct {
    ff_log_format format;
    ff_severity min;
    char project[128];
    FILE *out;
    pthread_mutex_t lock;
} g_log = {FF_LOG_JSON, FF_INFO, "", NULL, PTHREAD_MUTEX_INITIALIZER};

static const struct {
    const char *name;
    ff_severity sev;
} severities[] = {{"DEBUG", FF_DEBUG},     {"INFO", FF_INFO},   {"NOTICE", FF_NOTICE},
                  {"WARNING", FF_WARNING}, {"ERROR", FF_ERROR}, {"CRITICAL", FF_CRITICAL}};

const char *ff_severity_name(ff_severity sev)
{
    for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
        if (severities[i].sev == sev)
            return severities[i].name;
    return "DEFAULT";
}

int ff_log_parse_level(const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
        if (strcasecmp(s, severities[i].name) == 0)
            return (int)severities[i].sev;
    if (strcasecmp(s, "WARN") == 0)
        return FF_WARNING;
    return -1;
}

void ff_log_set_format(ff_log_format fmt)
{
    g_log.format = fmt;
}

void ff_log_set_level(ff_severity min)
{
    g_log.min = min;
}

void ff_log_set_project(const char *project_id)
{
    pthread_mutex_lock(&g_log.lock);
    snprintf(g_log.project, sizeof(g_log.project), "%s", project_id ? project_id : "");
    pthread_mutex_unlock(&g_log.lock);
}

void ff_log_set_stream(FILE *out)
{
    pthread_mutex_lock(&g_log.lock);
    g_log.out = out;
    pthread_mutex_unlock(&g_log.lock);
}

int ff_log_fd(void)
{
    return fileno(g_log.out ? g_log.out : stdout);
}

const char *ff_log_project(void)
{
    return g_log.project;
}

void ff_log_configure_from_env(void)
{
    const char *fmt = getenv("LOG_FORMAT");
    ff_log_set_format(fmt && strcasecmp(fmt, "text") == 0 ? FF_LOG_TEXT : FF_LOG_JSON);
    int level = ff_log_parse_level(getenv("LOG_LEVEL"));
    if (level > 0)
        ff_log_set_level((ff_severity)level);
    const char *project = getenv("GOOGLE_CLOUD_PROJECT");
    if (project == NULL || *project == '\0')
        project = getenv("GCLOUD_PROJECT");
    ff_log_set_project(project);
}

json_t *ff_json_string_lossy(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL || s == NULL)
        return j;
    char *copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static void format_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
}

/*
 * Writes s with control characters escaped (\n, \r, \t, \\, \xHH), so no value can end
 * the line early and forge another entry.
 */
static void put_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\\')
            fputs("\\\\", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

/* Renders the entry as text: "time SEVERITY [function] message key=value ...". */
static char *render_text(const char *time, ff_severity sev, const ff_request *req, const char *msg,
                         json_t *fields)
{
    char *line = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&line, &len);
    if (mem == NULL)
        return NULL;
    fprintf(mem, "%s %-7s ", time, ff_severity_name(sev));
    if (req != NULL) {
        fputc('[', mem);
        put_text(mem, ff_req_function(req));
        fputs("] ", mem);
    }
    put_text(mem, msg);
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value)
    {
        char *v = json_is_string(value) ? strdup(json_string_value(value))
                                        : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        fputc(' ', mem);
        put_text(mem, key);
        fputc('=', mem);
        put_text(mem, v ? v : "?");
        free(v);
    }
    fputc('\n', mem);
    if (fclose(mem) != 0) {
        free(line);
        return NULL;
    }
    return line;
}

static char *render_json(const char *time, ff_severity sev, const ff_request *req, const char *msg,
                         json_t *fields)
{
    json_t *entry = json_object();
    json_object_set_new(entry, "severity", json_string(ff_severity_name(sev)));
    json_object_set_new(entry, "message", ff_json_string_lossy(msg));
    json_object_set_new(entry, "time", json_string(time));
    if (req != NULL) {
        const char *trace = ff_req_trace_id(req);
        if (trace && *trace) {
            char buf[256];
            if (g_log.project[0]) {
                snprintf(buf, sizeof(buf), "projects/%s/traces/%s", g_log.project, trace);
                json_object_set_new(entry, "logging.googleapis.com/trace", json_string(buf));
            }
        }
        if (*ff_req_function(req))
            json_object_set_new(entry, "function", json_string(ff_req_function(req)));
    }
    json_object_update(entry, fields);
    char *line = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(entry);
    return line;
}

void ff_log(const ff_request *req, ff_severity sev, json_t *fields, const char *fmt, ...)
{
    if (sev < g_log.min) {
        json_decref(fields);
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fields == NULL || !json_is_object(fields)) {
        json_decref(fields);
        fields = json_object();
    }
    char time[40];
    format_time(time, sizeof(time));

    pthread_mutex_lock(&g_log.lock);
    char *line = g_log.format == FF_LOG_TEXT ? render_text(time, sev, req, msg, fields)
                                             : render_json(time, sev, req, msg, fields);
    FILE *out = g_log.out ? g_log.out : stdout;
    if (line != NULL) {
        size_t n = strlen(line);
        if (g_log.format == FF_LOG_JSON) {
            fwrite(line, 1, n, out);
            fputc('\n', out);
        } else {
            fwrite(line, 1, n, out);
        }
        fflush(out);
    }
    pthread_mutex_unlock(&g_log.lock);
    free(line);
    json_decref(fields);
}
