/*
 * object.h - building a JSON object from keys and values in one call, without json_pack
 * (whose format parsing costs more than the building itself for the small objects of
 * the hot paths: the job document, the task payload, the start answer).
 */
#ifndef PIPELINE_OBJECT_H
#define PIPELINE_OBJECT_H

#include <jansson.h>
#include <stddef.h>

/*
 * A new object of n members: keys[i] (ASCII literals, not checked by jansson) with the
 * new references values[i], in order. NULL when any value is NULL or memory runs out,
 * with every value released: a caller passes json_string(...) and the like directly.
 */
json_t *object_of(size_t n, const char *const keys[], json_t *const values[]);

/* object_of(KEYS, values...), KEYS a static array of literals, as many values as keys. */
#define OBJECT_OF(keys, ...) object_of(sizeof(keys) / sizeof(keys[0]), keys, (json_t *const[]){__VA_ARGS__})

#endif
