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
    ff_strlcpy(g_log.project, sizeof(g_log.project), project_id);
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

/*
 * Writes v in decimal, at least `digits` wide (zero-padded), at p; returns the end.
 * Used on every request's path instead of snprintf, which costs ten times as much.
 */
static char *put_uint(char *p, uint64_t v, int digits)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || n < digits);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/*
 * RFC 3339 UTC with microseconds into buf (28 bytes: 19 for the second, '.', 6 digits, 'Z',
 * NUL); the part up to the second is formatted once a second.
 */
static void format_time(char *buf)
{
    static __thread time_t cached_sec = -1;
    static __thread char cached[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    memcpy(buf, cached, 19);
    buf[19] = '.';
    char *end = put_uint(buf + 20, (uint64_t)ts.tv_nsec / 1000, 6);
    end[0] = 'Z';
    end[1] = '\0';
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
        char *v = json_is_string(value) ? strdup(json_string_value(value)) : ff_json_text(value, NULL);
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

#define JB_LIT(b, lit) ff_jbuf_raw((b), lit, sizeof(lit) - 1)

static void jb_put_cstr(ff_jbuf *b, const char *s)
{
    ff_jbuf_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* Appends the member name: `"key":`, after a comma unless it is the first member. */
static void jb_put_key(ff_jbuf *b, const char *key)
{
    if (b->len > 1)
        JB_LIT(b, ",");
    jb_put_cstr(b, key);
    JB_LIT(b, ":");
}

/* Appends a member of the caller's fields. */
static void jb_put_json(ff_jbuf *b, const char *key, json_t *value)
{
    jb_put_key(b, key);
    size_t mark = b->len;
    ff_jbuf_value(b, value);
    if (b->failed) { /* too deep to write (or out of memory, which the next write finds) */
        b->failed = 0;
        b->len = mark;
        JB_LIT(b, "null");
    }
}

/* Appends a string member, unless the caller's fields set that key themselves. */
static void jb_put_fixed(ff_jbuf *b, json_t *fields, const char *key, const char *value)
{
    if (json_object_size(fields) != 0 && json_object_get(fields, key) != NULL)
        return;
    jb_put_key(b, key);
    jb_put_cstr(b, value);
}

/* The latency as Cloud Logging's Duration string: "1.234s" (buf: 32 bytes). */
static void format_latency(char *buf, uint64_t ms)
{
    char *p = put_uint(buf, ms / 1000, 1);
    *p++ = '.';
    p = put_uint(p, ms % 1000, 3);
    p[0] = 's';
    p[1] = '\0';
}

/* Appends the httpRequest member, written directly (no json_t: one per request). */
static void jb_put_http(ff_jbuf *b, const ff_log_http *h)
{
    char status[24], latency[32];
    format_latency(latency, h->latency_ms);
    jb_put_key(b, "httpRequest");
    JB_LIT(b, "{\"requestMethod\":");
    jb_put_cstr(b, h->method);
    JB_LIT(b, ",\"requestUrl\":");
    jb_put_cstr(b, h->url);
    JB_LIT(b, ",\"status\":");
    ff_jbuf_raw(b, status, (size_t)(put_uint(status, h->status > 0 ? (uint64_t)h->status : 0, 1) - status));
    JB_LIT(b, ",\"latency\":");
    jb_put_cstr(b, latency);
    JB_LIT(b, "}");
}

/* The httpRequest member as a json_t, for the text format. New reference. */
static json_t *http_json(const ff_log_http *h)
{
    char latency[32];
    format_latency(latency, h->latency_ms);
    json_t *http = json_object();
    json_object_set_new(http, "requestMethod", ff_json_string_lossy(h->method));
    json_object_set_new(http, "requestUrl", ff_json_string_lossy(h->url));
    json_object_set_new(http, "status", json_integer(h->status));
    json_object_set_new(http, "latency", json_string(latency));
    return http;
}

/*
 * Renders the entry as one JSON object, written member by member into b (building a
 * json_t entry and json_dumps of it cost most of a trivial request's CPU). Returns the
 * line, newline included, or NULL when out of memory.
 */
static char *render_json(ff_jbuf *b, const char *time, ff_severity sev, const ff_request *req,
                         const char *msg, const ff_log_http *http, json_t *fields)
{
    JB_LIT(b, "{");
    jb_put_fixed(b, fields, "severity", ff_severity_name(sev));
    jb_put_fixed(b, fields, "message", msg);
    jb_put_fixed(b, fields, "time", time);
    const char *trace = req != NULL ? ff_req_trace_id(req) : NULL;
    if (trace != NULL && *trace && g_log.project[0]) {
        char buf[256];
        snprintf(buf, sizeof(buf), "projects/%s/traces/%s", g_log.project, trace);
        jb_put_fixed(b, fields, "logging.googleapis.com/trace", buf);
    }
    if (req != NULL && *ff_req_function(req))
        jb_put_fixed(b, fields, "function", ff_req_function(req));
    const char *key;
    json_t *value;
    if (http != NULL)
        jb_put_http(b, http);
    json_object_foreach(fields, key, value) jb_put_json(b, key, value);
    JB_LIT(b, "}\n");
    if (b->failed)
        return NULL;
    b->p[b->len] = '\0';
    return b->p;
}

/* Formats and writes one entry; steals fields (NULL or an object). */
static void log_entry(const ff_request *req, ff_severity sev, const ff_log_http *http, json_t *fields,
                      const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char time[40];
    format_time(time);
    char stack[1024];
    ff_jbuf b;
    ff_jbuf_init(&b, stack, sizeof(stack), FF_JSON_ASCII);

    pthread_mutex_lock(&g_log.lock);
    int text = g_log.format == FF_LOG_TEXT;
    if (text && http != NULL) {
        fields = fields != NULL ? fields : json_object();
        json_object_set_new(fields, "httpRequest", http_json(http));
    }
    char *line =
        text ? render_text(time, sev, req, msg, fields) : render_json(&b, time, sev, req, msg, http, fields);
    FILE *out = g_log.out ? g_log.out : stdout;
    if (line != NULL) {
        fwrite(line, 1, strlen(line), out);
        fflush(out);
    }
    pthread_mutex_unlock(&g_log.lock);
    if (text)
        free(line);
    else
        ff_jbuf_release(&b);
    json_decref(fields);
}

int ff_log_enabled(ff_severity sev)
{
    return sev >= g_log.min;
}

void ff_log(const ff_request *req, ff_severity sev, json_t *fields, const char *fmt, ...)
{
    if (sev < g_log.min) {
        json_decref(fields);
        return;
    }
    if (fields != NULL && !json_is_object(fields)) {
        json_decref(fields);
        fields = NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    log_entry(req, sev, NULL, fields, fmt, ap);
    va_end(ap);
}

void ff_log_request(const ff_request *req, ff_severity sev, const ff_log_http *http, const char *fmt, ...)
{
    if (sev < g_log.min)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_entry(req, sev, http, NULL, fmt, ap);
    va_end(ap);
}
