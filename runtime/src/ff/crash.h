/*
 * crash.h - the crash report written when a fatal signal ends the process (crash.c).
 */
#ifndef FF_CRASH_H
#define FF_CRASH_H

#include "ff.h"

/* Installs the fatal-signal handlers (ff_main, once, before any worker starts). */
void ff_crash_install(void);
/*
 * Loads what backtrace() needs (libgcc, about 0.1 ms), off the start-up path: ff_main's
 * signal thread calls it once the port listens. A crash before it has run is reported
 * without frames.
 */
void ff_crash_prepare(void);
/* Gives the calling thread its alternate signal stack, once (threads that run handlers). */
void ff_crash_thread(void);
/* Marks req as the calling invocation's, in flight until ff_crash_untrack (ff_run_handler). */
void ff_crash_track(const ff_request *req);
void ff_crash_untrack(void);

#endif
