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

/* A JSON line being built: in the caller's buffer, moved to the heap when it outgrows it. */
typedef struct {
    char *p;
    size_t len, cap;
    int heap, failed;
} line_buf;

static int lb_reserve(line_buf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = (b->len + more + 1) * 2;
    char *p = b->heap ? realloc(b->p, cap) : malloc(cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    if (!b->heap)
        memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    b->heap = 1;
    return 0;
}

static void lb_put(line_buf *b, const char *s, size_t n)
{
    if (lb_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define LB_LIT(b, lit) lb_put((b), lit, sizeof(lit) - 1)

/* Length of the UTF-8 sequence at s with its code point in *cp, or 0 when it is invalid. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    int n = s[0] < 0x80             ? 1
            : (s[0] & 0xE0) == 0xC0 ? 2
            : (s[0] & 0xF0) == 0xE0 ? 3
            : (s[0] & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n <= 1) {
        *cp = s[0];
        return n;
    }
    *cp = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return *cp < min[n] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF) ? 0 : n;
}

static void lb_put_u16(line_buf *b, uint32_t u)
{
    char esc[8];
    snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)u);
    lb_put(b, esc, 6);
}

/*
 * Appends s as a JSON string with only ASCII in it (as json_dumps with
 * JSON_ENSURE_ASCII). A string that is not valid UTF-8 has every non-ASCII byte
 * written as '?', as ff_json_string_lossy does.
 */
static void lb_put_string(line_buf *b, const char *s)
{
    size_t start = b->len;
    int lossy = 0;
again:
    LB_LIT(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const unsigned char *plain = p;
        while (*plain >= 0x20 && *plain < 0x7F && *plain != '"' && *plain != '\\')
            plain++;
        if (plain != p) {
            lb_put(b, (const char *)p, (size_t)(plain - p));
            p = plain;
            continue;
        }
        uint32_t cp;
        int n = lossy ? 1 : utf8_next(p, &cp);
        if (n == 0) {
            lossy = 1;
            b->len = start;
            goto again;
        }
        if (lossy)
            cp = *p < 0x80 ? *p : '?';
        p += n;
        char esc[2] = {'\\', (char)cp};
        if (cp == '"' || cp == '\\') {
            lb_put(b, esc, 2);
        } else if (cp >= 0x20 && cp < 0x7F) {
            lb_put(b, esc + 1, 1); /* '?' for a byte of a string that is not UTF-8 */
        } else if (cp == '\n') {
            LB_LIT(b, "\\n");
        } else if (cp == '\r') {
            LB_LIT(b, "\\r");
        } else if (cp == '\t') {
            LB_LIT(b, "\\t");
        } else if (cp > 0xFFFF) {
            lb_put_u16(b, 0xD800 + ((cp - 0x10000) >> 10));
            lb_put_u16(b, 0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            lb_put_u16(b, cp);
        }
    }
    LB_LIT(b, "\"");
}

/* Appends the member name: `"key":`, after a comma unless it is the first member. */
static void lb_put_key(line_buf *b, const char *key)
{
    if (b->len > 1)
        LB_LIT(b, ",");
    lb_put_string(b, key);
    LB_LIT(b, ":");
}

/* Appends a member whose value jansson serializes. */
static void lb_put_json(line_buf *b, const char *key, json_t *value)
{
    lb_put_key(b, key);
    size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY;
    size_t room = b->failed ? 0 : b->cap - b->len - 1;
    size_t n = json_dumpb(value, b->p + b->len, room, flags);
    if (n > room && lb_reserve(b, n) == 0)
        n = json_dumpb(value, b->p + b->len, n, flags);
    if (n == 0 || b->failed)
        LB_LIT(b, "null");
    else
        b->len += n;
}

/* Appends a string member, unless the caller's fields set that key themselves. */
static void lb_put_fixed(line_buf *b, json_t *fields, const char *key, const char *value)
{
    if (json_object_size(fields) != 0 && json_object_get(fields, key) != NULL)
        return;
    lb_put_key(b, key);
    lb_put_string(b, value);
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
static void lb_put_http(line_buf *b, const ff_log_http *h)
{
    char status[24], latency[32];
    format_latency(latency, h->latency_ms);
    lb_put_key(b, "httpRequest");
    LB_LIT(b, "{\"requestMethod\":");
    lb_put_string(b, h->method);
    LB_LIT(b, ",\"requestUrl\":");
    lb_put_string(b, h->url);
    LB_LIT(b, ",\"status\":");
    lb_put(b, status, (size_t)(put_uint(status, h->status > 0 ? (uint64_t)h->status : 0, 1) - status));
    LB_LIT(b, ",\"latency\":");
    lb_put_string(b, latency);
    LB_LIT(b, "}");
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
static char *render_json(line_buf *b, const char *time, ff_severity sev, const ff_request *req,
                         const char *msg, const ff_log_http *http, json_t *fields)
{
    LB_LIT(b, "{");
    lb_put_fixed(b, fields, "severity", ff_severity_name(sev));
    lb_put_fixed(b, fields, "message", msg);
    lb_put_fixed(b, fields, "time", time);
    const char *trace = req != NULL ? ff_req_trace_id(req) : NULL;
    if (trace != NULL && *trace && g_log.project[0]) {
        char buf[256];
        snprintf(buf, sizeof(buf), "projects/%s/traces/%s", g_log.project, trace);
        lb_put_fixed(b, fields, "logging.googleapis.com/trace", buf);
    }
    if (req != NULL && *ff_req_function(req))
        lb_put_fixed(b, fields, "function", ff_req_function(req));
    const char *key;
    json_t *value;
    if (http != NULL)
        lb_put_http(b, http);
    json_object_foreach(fields, key, value) lb_put_json(b, key, value);
    LB_LIT(b, "}\n");
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
    line_buf b = {stack, 0, sizeof(stack), 0, 0};

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
    else if (b.heap)
        free(b.p);
    json_decref(fields);
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
