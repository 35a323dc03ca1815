/*
 * pool_drive.h - what the pool suites share: a millisecond sleep, and drive(), which plays
 * the server's timer by flushing the pool every millisecond while jobs wait.
 */
#ifndef TESTS_POOL_DRIVE_H
#define TESTS_POOL_DRIVE_H

#include <stdatomic.h>
#include <time.h>

#include "../../runtime/src/ff/pool.h"
#include "ff.h"

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Flushes every millisecond until *until (may be NULL) reaches target or ms have passed. */
static inline void drive(ff_pool *pool, atomic_int *until, int target, int ms)
{
    int64_t end = ff_now_mono_ms() + ms;
    while (ff_now_mono_ms() < end && (until == NULL || atomic_load(until) < target)) {
        ff_pool_flush(pool);
        sleep_ms(1);
    }
}

#endif
