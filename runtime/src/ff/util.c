/*
 * util.c - small shared helpers: error structs, clocks and string joining.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ff.h"

int ff_error_set(ff_error *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

void ff_error_clear(ff_error *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->message[0] = '\0';
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ff_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t ff_now_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* The total length of the strings of ap up to NULL. */
static size_t concat_len(va_list ap)
{
    size_t n = 0;
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *))
        n += strlen(s);
    return n;
}

/* Copies the strings of ap up to NULL to out, which has room for them and the NUL. */
static void concat_copy(char *out, va_list ap)
{
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        memcpy(out, s, n);
        out += n;
    }
    *out = '\0';
}

long ff_concat(char *out, size_t size, ...)
{
    va_list ap;
    va_start(ap, size);
    size_t n = concat_len(ap);
    va_end(ap);
    if (n >= size) {
        if (size > 0)
            out[0] = '\0';
        return -1;
    }
    va_start(ap, size);
    concat_copy(out, ap);
    va_end(ap);
    return (long)n;
}

char *ff_concat_alloc(const char *first, ...)
{
    size_t first_len = strlen(first);
    va_list ap;
    va_start(ap, first);
    size_t n = first_len + concat_len(ap);
    va_end(ap);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, first, first_len);
    va_start(ap, first);
    concat_copy(out + first_len, ap);
    va_end(ap);
    return out;
}

void ff_strlcpy(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return;
    size_t n = src != NULL ? strnlen(src, size - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}
