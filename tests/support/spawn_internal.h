/*
 * spawn_internal.h - what spawn_http.c and spawn_raw.c share; not for tests.
 */
#ifndef SPAWN_INTERNAL_H
#define SPAWN_INTERNAL_H

#include <stddef.h>

#include "spawn.h"

/* Appends the header of line[0..len) ("Name: value", value trimmed) to res. */
void th_response_add_header(th_response *res, const char *line, size_t len);

#endif
