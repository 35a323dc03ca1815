/*
 * json_out.c - the runtime's one JSON serializer: ff_jbuf, a growing text buffer (in the
 * caller's stack buffer until it outgrows it), with writers for strings, integers and
 * whole json_t values (compact, members in insertion order, as json_dumps with
 * JSON_COMPACT | JSON_ENCODE_ANY prints them).
 *
 * Why not json_dumps: jansson 2.14 guards every object and array against reference
 * loops by formatting its address with snprintf("%p") into a hash table, which cost
 * most of a small response and most of a Firestore request body (every Firestore value
 * is an object). Here nesting is bounded instead (FF_JSON_MAX_DEPTH): a loop fails the
 * buffer rather than recursing forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ff.h"

#define FF_JSON_MAX_DEPTH 512

void ff_jbuf_init(ff_jbuf *b, char *stack, size_t cap, unsigned flags)
{
    *b = (ff_jbuf){.p = stack, .cap = stack ? cap : 0, .flags = flags};
    if (b->p != NULL && b->cap > 0)
        b->p[0] = '\0';
}

void ff_jbuf_release(ff_jbuf *b)
{
    if (b->heap)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->heap = 0;
}

/* Room for `more` bytes and the NUL; 0, or -1 with b->failed set. */
static int reserve(ff_jbuf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = (b->len + more + 1) * 2;
    if (cap < 256)
        cap = 256;
    char *p = b->heap ? realloc(b->p, cap) : malloc(cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    if (!b->heap && b->len > 0)
        memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    b->heap = 1;
    return 0;
}

void ff_jbuf_raw(ff_jbuf *b, const char *s, size_t n)
{
    if (n == 0 || reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Length of the UTF-8 sequence at s (n bytes left) with its code point in *cp; 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t left, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xE0) == 0xC0 ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > left)
        return 0;
    *cp = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return *cp < min[n] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF) ? 0 : n;
}

int ff_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    while (n > 0) {
        size_t len = *p < 0x80 ? 1 : utf8_next(p, n, &cp);
        if (len == 0)
            return 0;
        p += len;
        n -= len;
    }
    return 1;
}

static void put_u16(ff_jbuf *b, uint32_t u)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15], hex[u & 15]};
    ff_jbuf_raw(b, esc, 6);
}

/* One character that needs more than copying: an escape, or (FF_JSON_ASCII) \u form. */
static void put_special(ff_jbuf *b, uint32_t cp)
{
    static const char named[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (cp == '"' || cp == '\\') {
        char esc[2] = {'\\', (char)cp};
        ff_jbuf_raw(b, esc, 2);
    } else if (cp < sizeof(named) && named[cp] != 0) {
        char esc[2] = {'\\', named[cp]};
        ff_jbuf_raw(b, esc, 2);
    } else if (cp > 0xFFFF) {
        put_u16(b, 0xD800 + ((cp - 0x10000) >> 10));
        put_u16(b, 0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
        put_u16(b, cp);
    }
}

/*
 * A run of plain bytes with some past ASCII that cannot be copied whole: its ASCII as it
 * is, the rest as '?' (lossy) or \u escapes (FF_JSON_ASCII), or kept as they are when they
 * are UTF-8. 0, or -1 at the first byte that is not UTF-8 (lossy: never).
 */
static int put_mixed(ff_jbuf *b, const unsigned char *p, size_t n, int lossy)
{
    while (n > 0) {
        size_t ascii = 0;
        while (ascii < n && p[ascii] < 0x80)
            ascii++;
        ff_jbuf_raw(b, (const char *)p, ascii);
        p += ascii;
        n -= ascii;
        if (n == 0)
            break;
        uint32_t cp = *p;
        size_t len = lossy ? 1 : utf8_next(p, n, &cp);
        if (len == 0)
            return -1;
        if (lossy)
            ff_jbuf_raw(b, "?", 1);
        else if (b->flags & FF_JSON_ASCII)
            put_special(b, cp);
        else
            ff_jbuf_raw(b, (const char *)p, len);
        p += len;
        n -= len;
    }
    return 0;
}

/*
 * The characters of s, n bytes; 0, or -1 at the first byte that is not UTF-8 (lossy:
 * never). Runs of plain bytes are copied whole when they can be (ASCII, or UTF-8 kept as
 * it is); each '"', '\\' or control character that ends a run is escaped.
 */
static int put_chars(ff_jbuf *b, const unsigned char *p, size_t n, int lossy)
{
    int keep_utf8 = (b->flags & FF_JSON_ASCII) == 0 && !lossy;
    while (n > 0) {
        int high = 0;
        size_t run = ff_json_plain_run((const char *)p, n, &high);
        if (!high || (keep_utf8 && ff_utf8_valid((const char *)p, run)))
            ff_jbuf_raw(b, (const char *)p, run);
        else if (put_mixed(b, p, run, lossy) != 0)
            return -1;
        p += run;
        n -= run;
        if (n > 0) {
            put_special(b, *p);
            p++;
            n--;
        }
    }
    return 0;
}

void ff_jbuf_string(ff_jbuf *b, const char *s, size_t n)
{
    size_t start = b->len;
    ff_jbuf_raw(b, "\"", 1);
    if (put_chars(b, (const unsigned char *)s, n, 0) != 0 && !b->failed) {
        /* not UTF-8: written again with every non-ASCII byte as '?' */
        b->len = start + 1;
        put_chars(b, (const unsigned char *)s, n, 1);
    }
    ff_jbuf_raw(b, "\"", 1);
}

void ff_jbuf_int(ff_jbuf *b, long long v)
{
    char tmp[24];
    int n = sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[--n] = '-';
    ff_jbuf_raw(b, tmp + n, sizeof(tmp) - (size_t)n);
}

/* Reals are rare here and jansson's form is subtle (exponent without '+' or leading zeros,
 * ".0" for an integral value): jansson writes them; a scalar costs it no loop check. */
static void put_real(ff_jbuf *b, const json_t *real)
{
    char tmp[64];
    size_t n = json_dumpb(real, tmp, sizeof(tmp), JSON_ENCODE_ANY);
    if (n == 0 || n > sizeof(tmp)) {
        b->failed = 1;
        return;
    }
    ff_jbuf_raw(b, tmp, n);
}

static void put_value(ff_jbuf *b, const json_t *v, int depth);

static void put_object(ff_jbuf *b, const json_t *obj, int depth)
{
    const char *key;
    json_t *member;
    int first = 1;
    ff_jbuf_raw(b, "{", 1);
    json_object_foreach((json_t *)obj, key, member)
    {
        if (!first)
            ff_jbuf_raw(b, ",", 1);
        first = 0;
        ff_jbuf_string(b, key, strlen(key));
        ff_jbuf_raw(b, ":", 1);
        put_value(b, member, depth + 1);
    }
    ff_jbuf_raw(b, "}", 1);
}

static void put_array(ff_jbuf *b, const json_t *arr, int depth)
{
    size_t i;
    json_t *item;
    ff_jbuf_raw(b, "[", 1);
    json_array_foreach(arr, i, item)
    {
        if (i > 0)
            ff_jbuf_raw(b, ",", 1);
        put_value(b, item, depth + 1);
    }
    ff_jbuf_raw(b, "]", 1);
}

static void put_value(ff_jbuf *b, const json_t *v, int depth)
{
    if (b->failed)
        return;
    if (depth > FF_JSON_MAX_DEPTH || v == NULL) {
        b->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_object(b, v, depth);
        return;
    case JSON_ARRAY:
        put_array(b, v, depth);
        return;
    case JSON_STRING:
        ff_jbuf_string(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        ff_jbuf_int(b, (long long)json_integer_value(v));
        return;
    case JSON_REAL:
        put_real(b, v);
        return;
    case JSON_TRUE:
        ff_jbuf_raw(b, "true", 4);
        return;
    case JSON_FALSE:
        ff_jbuf_raw(b, "false", 5);
        return;
    case JSON_NULL:
        ff_jbuf_raw(b, "null", 4);
        return;
    }
    b->failed = 1;
}

void ff_jbuf_value(ff_jbuf *b, const json_t *v)
{
    put_value(b, v, 0);
}

char *ff_jbuf_steal(ff_jbuf *b, size_t *len)
{
    char *out = NULL;
    if (!b->failed && b->heap) {
        out = b->p;
        b->heap = 0;
    } else if (!b->failed) {
        out = malloc(b->len + 1);
        if (out != NULL) {
            if (b->len > 0)
                memcpy(out, b->p, b->len);
            out[b->len] = '\0';
        }
    }
    if (out != NULL && len != NULL)
        *len = b->len;
    ff_jbuf_release(b);
    return out;
}

char *ff_json_text(const json_t *v, size_t *len)
{
    char stack[512];
    ff_jbuf b;
    ff_jbuf_init(&b, stack, sizeof(stack), 0);
    ff_jbuf_value(&b, v);
    return ff_jbuf_steal(&b, len);
}
