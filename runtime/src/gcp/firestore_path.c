/*
 * firestore_path.c - document and collection paths: validation before anything is sent,
 * percent-encoding for URLs, full resource names, field-path quoting and masks, and
 * generated document IDs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "firestore_internal.h"

#define SEGMENT_MAX 1500

/* Length of the UTF-8 sequence starting at s (at most n bytes), or 0 if invalid: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(p + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

/* NULL when the segment is acceptable, else why not. */
static const char *segment_problem(const char *s, size_t n)
{
    if (n == 0)
        return "empty segment";
    if (n > SEGMENT_MAX)
        return "segment longer than 1500 bytes";
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return "segment is . or ..";
    if (n >= 4 && s[0] == '_' && s[1] == '_' && s[n - 2] == '_' && s[n - 1] == '_')
        return "segment matches the reserved __.*__";
    if (!valid_utf8(s, n))
        return "segment is not valid UTF-8";
    return NULL;
}

static const char *kind_name(int kind)
{
    return kind == FS_PATH_DOC ? "document" : kind == FS_PATH_COLLECTION ? "collection" : "parent document";
}

int fs_path_check(const char *path, int kind, ff_error *err)
{
    if (path == NULL)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid path: NULL");
    if (kind == FS_PATH_PARENT && path[0] == '\0')
        return 0;
    size_t segments = 0;
    for (const char *s = path;; segments++) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        const char *problem = segment_problem(s, n);
        if (problem != NULL)
            return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid path (segment %zu: %s)",
                                segments + 1, problem);
        if (slash == NULL)
            break;
        s = slash + 1;
    }
    segments++;
    int even = segments % 2 == 0;
    if ((kind == FS_PATH_COLLECTION) == even)
        return ff_error_set(err, FS_INVALID_ARGUMENT,
                            "firestore: invalid path (%zu segments do not name a %s)", segments,
                            kind_name(kind));
    return 0;
}

int fs_check_doc_path(const char *path, ff_error *err)
{
    return fs_path_check(path, FS_PATH_DOC, err);
}

int fs_check_collection_path(const char *path, ff_error *err)
{
    return fs_path_check(path, FS_PATH_COLLECTION, err);
}

/* ---- encoding ------------------------------------------------------------------------ */

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Percent-encodes s; '/' is kept when keep_slash. */
static char *escape(const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            *o++ = (char)*p;
            continue;
        }
        *o++ = '%';
        *o++ = hex[*p >> 4];
        *o++ = hex[*p & 15];
    }
    *o = '\0';
    return out;
}

char *fs_path_encode(const char *path)
{
    return escape(path, 1);
}

char *fs_query_escape(const char *s)
{
    return escape(s, 0);
}

char *fs_full_name(const fs_db *db, const char *path)
{
    if (path == NULL || path[0] == '\0')
        return strdup(db->root);
    return ff_concat_alloc(db->root, "/", path, NULL);
}

/* ---- field paths --------------------------------------------------------------------- */

static int simple_field(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

char *fs_field_path_quote(const char *name)
{
    if (simple_field(name))
        return strdup(name);
    size_t n = strlen(name);
    char *out = malloc(2 * n + 3), *o = out;
    if (out == NULL)
        return NULL;
    *o++ = '`';
    for (const char *p = name; *p; p++) {
        if (*p == '`' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '`';
    *o = '\0';
    return out;
}

char *fs_mask_query(const char *const *mask)
{
    size_t cap = 1, len = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; out != NULL && mask != NULL && mask[i] != NULL; i++) {
        char *v = fs_query_escape(mask[i]);
        size_t add = (v ? strlen(v) : 0) + sizeof("&mask.fieldPaths=");
        char *grown = v ? realloc(out, cap + add) : NULL;
        if (grown == NULL) {
            free(v);
            free(out);
            return NULL;
        }
        out = grown;
        cap += add;
        len += (size_t)snprintf(out + len, cap - len, "%cmask.fieldPaths=%s", i == 0 ? '?' : '&', v);
        free(v);
    }
    return out;
}

json_t *fs_mask_json(const char *const *mask)
{
    if (mask == NULL)
        return NULL;
    json_t *paths = json_array();
    for (size_t i = 0; mask[i] != NULL; i++)
        json_array_append_new(paths, json_string(mask[i]));
    return json_pack("{so}", "fieldPaths", paths);
}

/* ---- generated IDs ------------------------------------------------------------------- */

/* n random bytes from the kernel's CSPRNG; 0 or -1. getrandom, not OpenSSL's RAND_bytes:
 * the same quality for 1 system call instead of 12 k instructions per ID (its DRBG's
 * locks and fork check). */
static int random_bytes(unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        buf += got;
        n -= (size_t)got;
    }
    return 0;
}

int fs_new_id(char out[FS_ID_SIZE], ff_error *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /* 248 = 4 * 62: bytes at or above it are dropped so that every character is equally
     * likely (a plain modulo would favour the first 8). */
    const unsigned limit = 4 * 62;
    unsigned char buf[32];
    size_t n = 0;
    while (n < FS_ID_SIZE - 1) {
        if (random_bytes(buf, sizeof(buf)) != 0)
            return ff_error_set(err, FS_INTERNAL, "firestore: random generator failed");
        for (size_t i = 0; i < sizeof(buf) && n < FS_ID_SIZE - 1; i++)
            if (buf[i] < limit)
                out[n++] = alphabet[buf[i] % 62];
    }
    out[n] = '\0';
    return 0;
}
