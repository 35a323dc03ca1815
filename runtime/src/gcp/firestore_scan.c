/*
 * firestore_scan.c - a small JSON scanner over a text buffer, for the one-pass readers of
 * Firestore answers (firestore_read.c): whitespace, literals, strings (escapes decoded,
 * UTF-8 checked), numbers as jansson reads them, objects member by member, and skipping
 * any value. It accepts exactly the JSON json_loadb accepts without JSON_ALLOW_NUL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "firestore_scan.h"

json_t *fs_scan_fail(fs_scan *r, const char *what)
{
    if (!r->failed)
        ff_error_set(r->err, FS_UNKNOWN, "firestore: unreadable response: %s", what);
    r->failed = 1;
    return NULL;
}

json_t *fs_scan_bad(fs_scan *r, const char *what)
{
    if (!r->failed)
        ff_error_set(r->err, FS_UNKNOWN, "firestore: malformed value in response (%s)", what);
    r->failed = 1;
    return NULL;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whitespace is half of the emulator's indented answers: runs after a newline are
 * skipped sixteen bytes at a time with SSE2. */
void fs_scan_ws(fs_scan *r)
{
    if (r->p >= r->end || !is_ws(*r->p))
        return;
#ifdef __SSE2__
    while (r->end - r->p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)r->p);
        __m128i ws = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'))));
        unsigned other = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFFu;
        if (other != 0) {
            r->p += __builtin_ctz(other);
            return;
        }
        r->p += 16;
    }
#endif
    while (r->p < r->end && is_ws(*r->p))
        r->p++;
}

/* Skips whitespace and c; 0, or -1 (failed) when the next character is not c. */
int fs_scan_expect(fs_scan *r, char c)
{
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != c) {
        fs_scan_fail(r, "unexpected character");
        return -1;
    }
    r->p++;
    return 0;
}

/* Whether the next non-space character is c (consumed if so). */
int fs_scan_accept(fs_scan *r, char c)
{
    fs_scan_ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return 1;
    }
    return 0;
}

static int tmp_put(fs_scan *r, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > r->tmp_cap) {
        size_t cap = (*len + n + 1) * 2;
        char *p = realloc(r->tmp, cap);
        if (p == NULL) {
            ff_error_set(r->err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
            r->failed = 1;
            return -1;
        }
        r->tmp = p;
        r->tmp_cap = cap;
    }
    memcpy(r->tmp + *len, s, n);
    *len += n;
    r->tmp[*len] = '\0';
    return 0;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* \uXXXX (and its low surrogate) as UTF-8 into tmp; r->p is past the 'u'. */
static int unicode_escape(fs_scan *r, size_t *len)
{
    uint32_t cp, lo;
    if (r->end - r->p < 4 || hex4(r->p, &cp) != 0)
        return -1;
    r->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) != 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return -1; /* json_loadb refuses it without JSON_ALLOW_NUL */
    char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        u[i] = (char)(0x80 | (cp & 0x3F));
    u[0] = (char)(n == 1 ? cp : (lead[n] | cp));
    return tmp_put(r, len, u, n);
}

static int escape(fs_scan *r, size_t *len)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return -1;
    char c = *r->p++;
    if (c == 'u')
        return unicode_escape(r, len);
    const char *at = strchr(from, c);
    return at != NULL && c != '\0' ? tmp_put(r, len, to + (at - from), 1) : -1;
}

/* A JSON string, decoded into r->tmp (NUL-terminated, length in *len), its UTF-8 checked. */
int fs_scan_string(fs_scan *r, size_t *len)
{
    if (fs_scan_expect(r, '"') != 0)
        return -1;
    *len = 0;
    if (tmp_put(r, len, "", 0) != 0)
        return -1;
    int high = 0; /* bytes past ASCII seen: UTF-8 to check (escapes always give valid UTF-8) */
    for (;;) {
        const char *run = r->p;
        r->p += ff_json_plain_run(r->p, (size_t)(r->end - r->p), &high);
        if (r->p > run && tmp_put(r, len, run, (size_t)(r->p - run)) != 0)
            return -1;
        if (r->p >= r->end || (unsigned char)*r->p < 0x20) {
            fs_scan_fail(r, "bad string");
            return -1;
        }
        if (*r->p++ == '"')
            break;
        if (escape(r, len) != 0) {
            if (!r->failed)
                fs_scan_fail(r, "bad escape");
            return -1;
        }
    }
    if (high && !ff_utf8_valid(r->tmp, *len)) {
        fs_scan_fail(r, "string is not UTF-8");
        return -1;
    }
    return 0;
}

/* A string as a new json_t, or NULL (failed). */
json_t *fs_scan_string_value(fs_scan *r)
{
    size_t len;
    if (fs_scan_string(r, &len) != 0)
        return NULL;
    json_t *s = json_stringn_nocheck(r->tmp, len); /* checked above */
    return s ? s : fs_scan_bad(r, "out of memory");
}

/* A JSON number as jansson reads one: integer when it has no fraction or exponent. */
json_t *fs_scan_number(fs_scan *r)
{
    fs_scan_ws(r);
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    const char *digits = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    if (r->p == digits || (*digits == '0' && r->p - digits > 1))
        return fs_scan_fail(r, "bad number");
    int real = 0;
    if (r->p < r->end && *r->p == '.') {
        real = 1;
        const char *frac = ++r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == frac)
            return fs_scan_fail(r, "bad number");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        real = 1;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        const char *exp = r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == exp)
            return fs_scan_fail(r, "bad number");
    }
    char buf[64];
    size_t n = (size_t)(r->p - s);
    if (n >= sizeof(buf))
        return fs_scan_fail(r, "number too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!real) {
        long long v = strtoll(buf, NULL, 10);
        return errno == 0 ? json_integer(v) : fs_scan_fail(r, "integer too big");
    }
    double d = strtod(buf, NULL);
    return errno == ERANGE && (d > 1 || d < -1) ? fs_scan_fail(r, "real overflow") : json_real(d);
}

/* The members of an object after its '{', each handed to `member`; 0 or -1. */
int fs_scan_members(fs_scan *r, int (*member)(fs_scan *, const char *key, size_t len, void *ctx), void *ctx)
{
    if (fs_scan_accept(r, '}'))
        return 0;
    do {
        size_t len;
        if (fs_scan_string(r, &len) != 0 || fs_scan_expect(r, ':') != 0)
            return -1;
        char stack[128], *key = len < sizeof(stack) ? stack : malloc(len + 1);
        if (key == NULL) {
            fs_scan_bad(r, "out of memory");
            return -1;
        }
        memcpy(key, r->tmp, len + 1);
        int rc = member(r, key, len, ctx);
        if (key != stack)
            free(key);
        if (rc != 0)
            return -1;
    } while (fs_scan_accept(r, ','));
    return fs_scan_expect(r, '}');
}

static int skip_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    return fs_scan_skip(r, *(int *)ctx);
}

/* Any JSON value, checked and passed over (members the document does not use). */
int fs_scan_skip(fs_scan *r, int depth)
{
    fs_scan_ws(r);
    if (depth > 2048 || r->p >= r->end) /* jansson's own nesting bound */
        return fs_scan_fail(r, "nesting too deep or truncated"), -1;
    char c = *r->p;
    size_t len;
    if (c == '"')
        return fs_scan_string(r, &len);
    if (c == '{') {
        r->p++;
        int d = depth + 1;
        return fs_scan_members(r, skip_member, &d);
    }
    if (c == '[') {
        r->p++;
        if (fs_scan_accept(r, ']'))
            return 0;
        do {
            if (fs_scan_skip(r, depth + 1) != 0)
                return -1;
        } while (fs_scan_accept(r, ','));
        return fs_scan_expect(r, ']');
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i], n) == 0) {
            r->p += n;
            return 0;
        }
    }
    json_t *num = fs_scan_number(r);
    json_decref(num);
    return num ? 0 : -1;
}
