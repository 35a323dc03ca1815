/*
 * hostile.h - the hostile-input table of the hardening suite: one row per request, the
 * rows in hostile_cases.c, the driver (one Criterion ParameterizedTest) in test_hostile.c.
 *
 * What a row expects (`status`, `code`):
 *   code set        the function answered: status and {"success": false, "error": {"code"}}
 *   code NULL, 2xx  the function answered {"success": true} (a task it skipped)
 *   code NULL, 4xx  the HTTP layer refused the request before any function ran (413 for a
 *                   body over FF_BODY_LIMIT, 400 for broken framing): status only, as with
 *                   Express's own 413/400 pages, there is no JSON contract for these
 *   HX_CLOSED       no answer: the request never completes, the server closes the connection
 *   HX_4XX_OR_CLOSE any 4xx from the HTTP layer, or the connection closed without an answer
 * Whatever the row, the driver also expects: nothing written, the process alive, and
 * normal requests to both functions working afterwards.
 */
#ifndef HARDENING_HOSTILE_H
#define HARDENING_HOSTILE_H

#include <stddef.h>

enum { HX_CLOSED = 0, HX_4XX_OR_CLOSE = -1 };

typedef enum hx_fn { HX_START, HX_TASK } hx_fn;

/* The request a row sends, after its builder ran (members malloc'd, or NULL for the row's own). */
typedef struct hx_req {
    char *query;
    char *body;
    size_t body_len;
    char *raw; /* a whole request, sent as is on a raw socket */
    size_t raw_len;
} hx_req;

typedef struct hx_case hx_case;
struct hx_case {
    const char *name;
    hx_fn fn;
    const char *method; /* NULL: POST */
    const char *query;  /* HX_START only; NULL: "projectId=p1" */
    const char *ctype;  /* NULL: application/json; "": no Content-Type at all */
    const char *body;   /* NULL: the valid body of fn (unless a builder makes one) */
    void (*build)(const hx_case *c, hx_req *r);
    size_t arg; /* the builder's parameter (a length, a depth, a count) */
    long status;
    const char *code;
};

/* The table. */
extern const hx_case hx_cases[];
extern const size_t hx_n_cases;

/* "/startTransformPipeline?<query>" or "/transformPipelineJob" for the row. malloc'd. */
char *hx_path(const hx_case *c, const char *query);

#endif
