/*
 * test_functions.h - functions compiled into the test binary only (build/bin/functions-test),
 * for the contract suite and benchmarks: echo, hello, sleep, slow (1 s timeout), limited (1 slot, 1 queued),
 * fail, event (a CloudEvent function), crash (dies of a signal), linger (outlives the
 * shutdown grace), small (64 KiB max_body), typed (a typed function), legacy (an
 * `event` function) and warmup (an init hook that tries its own port; FF_TEST_INIT_FAIL
 * makes it refuse to start).
 */
#ifndef TEST_FUNCTIONS_H
#define TEST_FUNCTIONS_H

#include "ff.h"

int test_functions_register(ff_app *app, ff_error *err);

#endif
