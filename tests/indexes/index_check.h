/*
 * index_check.h - does a Firestore index definition (firestore.indexes.json) serve a
 * structured query in production? Follows the documented rules of Firestore (Standard
 * edition), where the emulator enforces none:
 *   - automatic single-field indexes (ascending, descending, array-contains) exist for
 *     every field in COLLECTION scope only; a fieldOverride replaces them for its field
 *     (and is the only way to get COLLECTION_GROUP single-field indexes);
 *   - equality filters alone are served by merging single-field indexes;
 *   - one ordered field (inequality or orderBy) with no equality: its single-field index;
 *   - anything else needs composite indexes of the query's scope: the equality fields
 *     first (any order; index merging may split them over several composites sharing
 *     the same ordered suffix), then exactly the query's order fields and directions.
 * A query orders implicitly by its inequality fields (after explicit orders) and last by
 * __name__ in the direction of its last order; orders on equality fields are no-ops.
 */
#ifndef INDEX_CHECK_H
#define INDEX_CHECK_H

#include <jansson.h>
#include <stddef.h>

/*
 * 1 when `indexes` (the parsed firestore.indexes.json) serves `structured_query` (the
 * REST StructuredQuery), 0 when it does not, with why (size len) naming the index that
 * is missing, -1 when the query is outside what the checker models (why says what).
 */
int ix_served(const json_t *indexes, const json_t *structured_query, char *why, size_t len);

#endif
