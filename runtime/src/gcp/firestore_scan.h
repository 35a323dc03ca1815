/*
 * firestore_scan.h - the JSON scanner the one-pass readers of Firestore answers share
 * (firestore_scan.c). A scan walks text once; a refusal sets the error once (the first
 * cause wins) and marks the scan failed, and every later step fails with it.
 */
#ifndef FIRESTORE_SCAN_H
#define FIRESTORE_SCAN_H

#include "firestore_internal.h"

typedef struct fs_scan {
    const char *p, *end;
    ff_error *err;
    int failed;
    char *tmp; /* scratch for decoded strings, grown as needed */
    size_t tmp_cap;
} fs_scan;

/* Mark the scan failed with "unreadable response: what" / "malformed value in response
 * (what)" (FS_UNKNOWN), unless it already failed. Return NULL, for `return fs_scan_x(...)`. */
json_t *fs_scan_fail(fs_scan *r, const char *what);
json_t *fs_scan_bad(fs_scan *r, const char *what);
void fs_scan_ws(fs_scan *r);
/* Skips whitespace and c: 0, or -1 (failed) when the next character is not c. */
int fs_scan_expect(fs_scan *r, char c);
/* Whether the next non-space character is c (consumed if so). */
int fs_scan_accept(fs_scan *r, char c);
/* A string into r->tmp (NUL-terminated, length in *len, valid UTF-8): 0, or -1 failed. */
int fs_scan_string(fs_scan *r, size_t *len);
/* A string / number as a new json_t, or NULL (failed). */
json_t *fs_scan_string_value(fs_scan *r);
json_t *fs_scan_number(fs_scan *r);
/* Any value, checked and passed over; depth counts the containers around it. */
int fs_scan_skip(fs_scan *r, int depth);
/* The members of an object after its '{' (and its '}'), each handed to member with its
 * key (valid while member runs); 0, or -1 when the text or a member failed. */
int fs_scan_members(fs_scan *r, int (*member)(fs_scan *, const char *key, size_t len, void *ctx), void *ctx);

/* The next non-space character without consuming it, or -1 at the end. */
static inline int fs_scan_peek(fs_scan *r)
{
    fs_scan_ws(r);
    return r->p < r->end ? (unsigned char)*r->p : -1;
}

#endif
