/*
 * test_functions.h - functions compiled into the test binary only (build/bin/functions-test),
 * for the contract suite and benchmarks: echo, hello, sleep, slow (1 s timeout), limited (1 slot, 1 queued),
 * fail, and event (a CloudEvent function).
 */
#ifndef TEST_FUNCTIONS_H
#define TEST_FUNCTIONS_H

#include "ff.h"

int test_functions_register(ff_app *app, ff_error *err);

#endif
