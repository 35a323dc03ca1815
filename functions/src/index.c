/*
 * index.c - the registry of exported functions, like functions/src/index.ts: each
 * function's name, signature type and runtime options (CORS, timeout, concurrency).
 */
#include "index.h"

int functions_register(ff_app *app, ff_error *err)
{
    (void)app;
    (void)err;
    return 0;
}
