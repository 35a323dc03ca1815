/*
 * ff.h - the Functions Framework for C: the one header a function author includes.
 *
 * A program registers functions on an ff_app and hands control to ff_main(), which
 * implements the Google Functions Framework contract (PORT, FUNCTION_TARGET,
 * FUNCTION_SIGNATURE_TYPE, ...). Handlers run on worker threads, off the event loop,
 * so they may block; each invocation has a deadline and a cancellation flag it can
 * poll. An invocation waiting through ff_poll (as the runtime's Google clients and
 * ff_req_sleep_ms do) lends its thread to other invocations meanwhile.
 *
 * Ownership: every `const char *` the request API returns is owned by the request and
 * lives until the handler returns. Functions that return memory the caller must free
 * say so.
 */
#ifndef FF_H
#define FF_H

#include <jansson.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h> /* ff_json_plain_run */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------ */

/* An error: a return code plus a short message for logs (never sent to clients). */
typedef struct ff_error {
    int code; /* module-specific; 0 = no error */
    char message[256];
} ff_error;

/* Sets err (if not NULL) and returns code, so `return ff_error_set(err, X, "...")` reads well. */
int ff_error_set(ff_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ff_error_clear(ff_error *err);

/* ---- logging ----------------------------------------------------------------- */

typedef enum ff_severity {
    FF_DEBUG = 100,
    FF_INFO = 200,
    FF_NOTICE = 300,
    FF_WARNING = 400,
    FF_ERROR = 500,
    FF_CRITICAL = 600,
} ff_severity;

typedef struct ff_request ff_request;

/*
 * Writes one log entry: a Cloud Logging structured JSON line on stdout (or a
 * human-readable line when LOG_FORMAT=text). `req` binds the entry to a request (trace
 * ID, function name) and may be NULL. `fields` are extra top-level fields; the
 * reference is stolen (may be NULL). Thread-safe; one write per line.
 */
void ff_log(const ff_request *req, ff_severity sev, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether an entry of this severity is written (LOG_LEVEL): a caller skips building the
 * fields of one that would be dropped. */
int ff_log_enabled(ff_severity sev);

#define ff_log_info(req, ...)  ff_log((req), FF_INFO, NULL, __VA_ARGS__)
#define ff_log_warn(req, ...)  ff_log((req), FF_WARNING, NULL, __VA_ARGS__)
#define ff_log_error(req, ...) ff_log((req), FF_ERROR, NULL, __VA_ARGS__)

/* ---- request ----------------------------------------------------------------- */

const char *ff_req_method(const ff_request *req);
/* The path without the query string, percent-decoding not applied. */
const char *ff_req_path(const ff_request *req);
/* First value of a query parameter, percent-decoded ('+' is a space); NULL if absent. */
const char *ff_req_query(const ff_request *req, const char *name);
/* How many times a query parameter occurs (to refuse repeated parameters). */
size_t ff_req_query_count(const ff_request *req, const char *name);
/* First value of a header, name compared case-insensitively; NULL if absent. */
const char *ff_req_header(const ff_request *req, const char *name);
/* The raw body (NUL-terminated for convenience; may contain NULs). */
const char *ff_req_body(const ff_request *req, size_t *len);
/*
 * The body parsed as JSON, parsed once and cached. Returns a borrowed reference owned by
 * the request, or NULL with err set (empty body, invalid JSON, nesting too deep).
 */
json_t *ff_req_json(ff_request *req, ff_error *err);
/* Name of the function this request invokes. */
const char *ff_req_function(const ff_request *req);
/* Trace ID from X-Cloud-Trace-Context or traceparent; "" when none. */
const char *ff_req_trace_id(const ff_request *req);

/* Deadline on the CLOCK_MONOTONIC scale in milliseconds (see ff_now_mono_ms). */
int64_t ff_req_deadline_ms(const ff_request *req);
/* Milliseconds left before the deadline (negative when past). */
int64_t ff_req_remaining_ms(const ff_request *req);
/* Nonzero once the invocation is cancelled: deadline passed, client gone, or shutdown. */
int ff_req_cancelled(const ff_request *req);
/*
 * Sleeps up to `ms` milliseconds, waking early on cancellation. Returns 0 after the
 * full sleep, -1 if cancelled.
 */
int ff_req_sleep_ms(const ff_request *req, int64_t ms);
/*
 * poll(2) for code running in a handler: while the invocation waits, its worker thread
 * runs other invocations, so waiting calls need no thread each. Same arguments, result
 * and errors as poll; outside an invocation, or with timeout 0, it is poll.
 */
int ff_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
/*
 * Keeps the calling invocation on its thread until the matching ff_unpin (nestable):
 * meanwhile ff_poll blocks the thread instead of running another invocation on it. For
 * code that holds a mutex across a wait, which another invocation on the same thread
 * would otherwise block on (or a recursive mutex let in). Outside an invocation, no-ops.
 * Without a pin, remember that a handler may continue on another thread after a wait:
 * values the compiler may keep from before it (pthread_self(), the address of errno or
 * of a thread-local) are the old thread's.
 */
void ff_pin(void);
void ff_unpin(void);

/*
 * Storage that follows an invocation. An invocation may continue on another worker thread
 * after it waits (ff_poll), and a worker runs other invocations meanwhile, so state kept
 * for the call chain of one invocation (a deadline, a counter) cannot be thread-local.
 * A slot is named by a static ff_slot_id (FF_SLOT_ID_INIT), given its index on first
 * use. ff_slot(id) is that slot of the invocation running on this thread, or of the
 * thread outside an invocation; every invocation's slots start at 0, and the pointer
 * stays valid until the invocation returns. A process has FF_SLOT_MAX slots (the runtime
 * uses three); past them, ff_slot returns a scratch word of the thread's.
 */
typedef struct ff_slot_id {
    int key; /* the slot's index + 1; 0 until the first ff_slot */
} ff_slot_id;
#define FF_SLOT_ID_INIT                                                                                      \
    {                                                                                                        \
        0                                                                                                    \
    }
#define FF_SLOT_MAX 8
intptr_t *ff_slot(ff_slot_id *id);

/* Opaque per-function data given at registration. */
void *ff_req_userdata(const ff_request *req);

/* ---- response ---------------------------------------------------------------- */

typedef struct ff_response ff_response;

void ff_res_status(ff_response *res, int status);
/* Adds a header (copied). Content-Length and Transfer-Encoding are managed by the runtime. */
void ff_res_header(ff_response *res, const char *name, const char *value);
/* Sets status and a JSON body; steals the reference to `body`. */
void ff_res_json(ff_response *res, int status, json_t *body);
/* Sets status and a body of bytes (copied) with the given Content-Type. */
void ff_res_bytes(ff_response *res, int status, const char *content_type, const void *data, size_t len);
void ff_res_text(ff_response *res, int status, const char *text);

/* ---- JSON text ----------------------------------------------------------------- */

/*
 * The one JSON serializer of the runtime and its users: compact text, object members in
 * insertion order, the same text json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) gives,
 * at a fraction of its cost (jansson checks every container for reference loops).
 * A string that is not valid UTF-8 has every non-ASCII byte written as '?'.
 *
 * An ff_jbuf starts in a buffer of the caller's (usually on the stack) and moves to the
 * heap when it outgrows it. Writers append; on out of memory or nesting deeper than 512
 * levels the buffer is marked failed and the rest is ignored, so a sequence of writes
 * needs one check at the end. The text is NUL-terminated after every write.
 */
typedef struct ff_jbuf {
    char *p; /* the text so far */
    size_t len, cap;
    unsigned flags; /* FF_JSON_ASCII */
    int heap;       /* p is the buffer's own malloc'd memory */
    int failed;     /* the text is incomplete */
} ff_jbuf;

#define FF_JSON_ASCII 1u /* every non-ASCII character as a \u escape (log lines) */

/* stack may be NULL (cap then ignored): the buffer starts empty on the heap. */
void ff_jbuf_init(ff_jbuf *b, char *stack, size_t cap, unsigned flags);
void ff_jbuf_raw(ff_jbuf *b, const char *s, size_t n); /* appends bytes as they are */
/* Appends a string literal's bytes as they are (JSON text written by hand). Inline while
 * the buffer has room, so the copy of a literal compiles to a few moves: the typed
 * Firestore text is mostly such pieces. */
static inline void ff_jbuf_lit_n(ff_jbuf *b, const char *s, size_t n)
{
    if (!b->failed && b->len + n + 1 <= b->cap) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
    } else {
        ff_jbuf_raw(b, s, n);
    }
}
#define ff_jbuf_lit(b, lit) ff_jbuf_lit_n((b), "" lit, sizeof(lit) - 1)
void ff_jbuf_string(ff_jbuf *b, const char *s, size_t n); /* appends a JSON string literal */
void ff_jbuf_int(ff_jbuf *b, long long v);
void ff_jbuf_value(ff_jbuf *b, const json_t *v); /* appends v as compact JSON */
/* The text as malloc'd memory the caller frees (len may be NULL), or NULL when the buffer
 * failed or memory ran out. Either way the buffer is released. */
char *ff_jbuf_steal(ff_jbuf *b, size_t *len);
/* Frees what the buffer allocated; it may then be initialised again. */
void ff_jbuf_release(ff_jbuf *b);
/* v as compact JSON text, malloc'd (the caller frees), length in *len (may be NULL); NULL
 * on out of memory or a value nested deeper than 512 levels. */
char *ff_json_text(const json_t *v, size_t *len);
/* 1 when the n bytes at s are valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF), else 0. */
int ff_utf8_valid(const char *s, size_t n);
/*
 * How many of the n bytes at p go into a JSON string as they are: all up to the first '"',
 * '\\' or control character. *high is set (never cleared) when one of them is past ASCII:
 * their UTF-8 is still to be checked. Sixteen bytes at a time with SSE2, and inline:
 * strings are most of the JSON text the runtime reads (Firestore answers) and writes.
 */
static inline size_t ff_json_plain_run(const char *p, size_t n, int *high)
{
    const char *s = p, *end = p + n;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (end - s >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)s);
        unsigned hi = (unsigned)_mm_movemask_epi8(x); /* bytes >= 0x80 (negative as signed) */
        unsigned ctl = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, space)) & ~hi;
        unsigned stop = ctl | (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote)) |
                        (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, backslash));
        if (stop != 0) {
            unsigned k = (unsigned)__builtin_ctz(stop);
            *high |= (hi & ((1u << k) - 1)) != 0;
            return (size_t)(s - p) + k;
        }
        *high |= hi != 0;
        s += 16;
    }
#endif
    while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
        *high |= (unsigned char)*s++ >= 0x80;
    return (size_t)(s - p);
}

/* ---- CloudEvents ------------------------------------------------------------- */

/*
 * A CloudEvent (spec 1.0), from binary or structured content mode, or converted from a
 * legacy (pre-CloudEvents) Google Cloud Functions event. Owned by the runtime.
 */
typedef struct ff_cloudevent {
    const char *id, *source, *type, *specversion; /* required */
    const char *subject, *time, *datacontenttype; /* NULL when absent */
    json_t *data;                                 /* data as JSON when it is JSON, else NULL */
    const char *data_raw;                         /* data as bytes: the binary-mode body, or the
                                                     decoded data_base64 of structured mode */
    size_t data_len;
    json_t *attributes; /* every attribute, extensions (traceparent...) included, as a JSON object */
    void *priv_;        /* runtime-private */
} ff_cloudevent;

/* ---- registration ------------------------------------------------------------ */

typedef enum ff_signature {
    FF_SIGNATURE_HTTP = 1,
    FF_SIGNATURE_CLOUDEVENT = 2,
    FF_SIGNATURE_TYPED = 3, /* JSON value in, JSON value out */
    FF_SIGNATURE_EVENT = 4, /* legacy background event: data + context */
} ff_signature;

/* An HTTP function: reads req, fills res. A response left untouched is 200 with an empty body. */
typedef void (*ff_http_fn)(ff_request *req, ff_response *res);
/* A CloudEvent function: returns 0 on success (200), nonzero on failure (500). */
typedef int (*ff_cloudevent_fn)(ff_request *req, const ff_cloudevent *event);
/*
 * A typed function: the runtime parses the request body as JSON (400 when it is not),
 * calls the function with it (borrowed), and answers 200 with the returned value
 * serialized (a new reference the runtime releases). Returning NULL fails the call:
 * the status is err->code when it is 400..599, else 500; err->message goes to the log,
 * never to the client.
 */
typedef json_t *(*ff_typed_fn)(ff_request *req, json_t *input, ff_error *err);
/*
 * A legacy event function (signature type `event`): data is the event payload, context
 * holds eventId, timestamp, eventType and resource (both borrowed). Legacy requests
 * arrive as sent; CloudEvents of the known Google types are converted back. Returns 0
 * on success (200), nonzero on failure (500).
 */
typedef int (*ff_event_fn)(ff_request *req, json_t *data, json_t *context);

typedef struct ff_function_def {
    const char *name; /* URL-safe: [A-Za-z0-9_-]+ */
    ff_signature signature;
    ff_http_fn http;             /* for FF_SIGNATURE_HTTP */
    ff_cloudevent_fn cloudevent; /* for FF_SIGNATURE_CLOUDEVENT */
    ff_typed_fn typed;           /* for FF_SIGNATURE_TYPED */
    ff_event_fn event;           /* for FF_SIGNATURE_EVENT */
    int cors;                    /* answer preflight, add Access-Control-Allow-Origin */
    unsigned timeout_s;          /* 0 = 60 */
    unsigned max_concurrency;    /* concurrent invocations; 0 = 80 (Cloud Run's default) */
    unsigned max_queue;          /* requests waiting for a slot before 429; 0 = 4 * max_concurrency */
    size_t max_body;             /* body limit in bytes (413 beyond it, refused before it is
                                    buffered); 0 = the server's --body-limit */
    void *userdata;              /* returned by ff_req_userdata */
    /*
     * Optional start-up check and warm-up, called once for each function being served,
     * on the main thread, after the port is bound (ff_listen_port() answers) and before
     * it accepts connections: a platform probing the port (Cloud Run's default TCP
     * startup probe) sends no traffic until every hook has returned, so this is where
     * to fetch access tokens and open connections for the first request. Returns 0, or
     * nonzero with err set to refuse to start (exit status 2, the reason on stderr); a
     * warm-up step whose failure the first request can recover from should log a
     * WARNING and return 0.
     */
    int (*init)(void *userdata, ff_error *err);
} ff_function_def;

typedef struct ff_app ff_app;

/* Creates an empty registry. Free with ff_app_free. */
ff_app *ff_app_new(void);
/* Frees app, unless ff_main left handlers running with it (then it stays until exit). */
void ff_app_free(ff_app *app);
/* Registers a copy of def. Fails on a duplicate or invalid name, or a missing handler. */
int ff_register(ff_app *app, const ff_function_def *def, ff_error *err);
/* Looks a registered function up; NULL if unknown. The pointer lives as long as app. */
const ff_function_def *ff_app_find(const ff_app *app, const char *name);
size_t ff_app_count(const ff_app *app);
const ff_function_def *ff_app_at(const ff_app *app, size_t i);

/*
 * Parses flags and environment, then serves until SIGTERM/SIGINT. Returns the process
 * exit status: 0 after a clean shutdown, 2 for a bad flag, an unknown target or no
 * target on Cloud Run (the reason printed as one line on stderr before anything
 * listens). When the shutdown grace period ends with handlers still running, the
 * process exits with status 0 from here (_exit, after flushing stdio: no atexit
 * handler or library destructor runs under a handler). A fatal signal writes a crash
 * report to the log and ends the process by that signal.
 */
int ff_main(ff_app *app, int argc, char **argv);

/* ---- in-process invocation (local harness, tools) ------------------------------- */

/* What an in-process invocation answered. Free with ff_local_result_free. */
typedef struct ff_local_result {
    int status;
    char **header_names, **header_values; /* owned arrays of n_headers strings */
    size_t n_headers;
    char *body; /* NUL-terminated; owned */
    size_t body_len;
} ff_local_result;

/*
 * Invokes a registered function on the calling thread, without a server: builds the
 * request from method, target ("/path?query"), headers (NULL-terminated "Name: value"
 * strings, may be NULL) and body, runs the handler (CloudEvent, typed and event
 * functions get their input built from headers and body as under the server) with the
 * function's timeout as deadline, and fills out.
 * Returns 0, or -1 with err set when the function is unknown or memory runs out.
 */
int ff_invoke_local(const ff_app *app, const char *name, const char *method, const char *target,
                    const char *const *headers, const char *body, size_t body_len, ff_local_result *out,
                    ff_error *err);
void ff_local_result_free(ff_local_result *res);

/* ---- utilities --------------------------------------------------------------- */

/* The port the server listens on (after start-up; 0 before). */
int ff_listen_port(void);
/* Nonzero when serving every function (no target): the local all-functions mode. */
int ff_all_functions_mode(void);

/* Milliseconds since the Unix epoch (wall clock), for stored timestamps. */
int64_t ff_now_ms(void);
/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t ff_now_mono_ms(void);

/*
 * String joining for request paths, URLs and header lines, where snprintf's format engine
 * costs a few hundred instructions per call for what is a few copies.
 * ff_concat: the strings up to the NULL that ends the list, into out (size bytes, NUL
 * included); returns the length, or -1 when they do not fit (out then holds "").
 * ff_concat_alloc: the same in malloc'd memory the caller frees; NULL on out of memory.
 * ff_strlcpy: src (NULL counts as "") into dst of size bytes, cut to fit.
 */
long ff_concat(char *out, size_t size, ...) __attribute__((sentinel));
char *ff_concat_alloc(const char *first, ...) __attribute__((sentinel));
void ff_strlcpy(char *dst, size_t size, const char *src);

#ifdef __cplusplus
}
#endif
#endif
