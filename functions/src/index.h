/*
 * index.h - the registry of exported functions (the C counterpart of the TypeScript
 * version's index.ts).
 */
#ifndef FUNCTIONS_INDEX_H
#define FUNCTIONS_INDEX_H

#include "ff.h"

/* Registers every exported function on app. Returns 0, or -1 with err set. */
int functions_register(ff_app *app, ff_error *err);

#endif
