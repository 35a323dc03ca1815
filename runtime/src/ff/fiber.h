/*
 * fiber.h - stackful coroutines: a function run on a stack of its own that can stop
 * half-way (ff_fiber_yield) and be resumed later, on any thread. The pool runs every
 * invocation as one, so a handler waiting on the network (ff_poll) gives its thread to
 * another invocation instead of sleeping in it (see pool.c).
 *
 * Switching saves only what the C calling convention says a call preserves, so it costs
 * a few instructions and no system call. Stacks are mapped with a guard page below and
 * kept for reuse. AddressSanitizer and Valgrind are told about every switch and stack.
 */
#ifndef FF_FIBER_H
#define FF_FIBER_H

#include <stddef.h>

typedef struct ff_fiber ff_fiber;
typedef void (*ff_fiber_fn)(void *arg);

/* A fiber that will run fn(arg) when first resumed; NULL when out of memory. Free it with
 * ff_fiber_free once ff_fiber_resume has returned 1. */
ff_fiber *ff_fiber_new(ff_fiber_fn fn, void *arg);
/*
 * Runs f on the calling thread until it yields or its function returns; 1 when it has
 * returned, 0 when it yielded. A fiber is resumed by one thread at a time, and not by
 * itself.
 */
int ff_fiber_resume(ff_fiber *f);
/* Called on a fiber: back to the ff_fiber_resume that runs it, until resumed again. */
void ff_fiber_yield(ff_fiber *f);
/* The fiber running on this thread; NULL on a thread's own stack. */
ff_fiber *ff_fiber_current(void);
void ff_fiber_free(ff_fiber *f);

#endif
