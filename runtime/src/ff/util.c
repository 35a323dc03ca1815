/*
 * util.c - small shared helpers: error structs and clocks.
 */
#include <stdarg.h>
#include <stdio.h>
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
