/*
 * tasks_internal.h - the wire format of the Cloud Tasks client (tasks_wire.c), used by
 * the HTTP side (tasks.c). Not part of the public API.
 */
#ifndef GCP_TASKS_INTERNAL_H
#define GCP_TASKS_INTERNAL_H

#include <jansson.h>

#include "gcp/tasks.h"

/* Checks IDs, URL, headers and deadline. Returns 0 or GCP_TASKS_ERR_ARG with err set. */
int gcp_tasks_check_task(const gcp_tasks_task *t, ff_error *err);
int gcp_tasks_check_queue(const gcp_tasks_queue *q, ff_error *err);
/* Nonzero when s is 1..max characters of [A-Za-z0-9] plus the characters in extra. */
int gcp_tasks_valid_id(const char *s, size_t max, const char *extra);

/*
 * The createTask request body, {"task": {...}}, for project (already resolved), as JSON
 * text. Same shape for Cloud Tasks and the emulator. Returns malloc'd text the caller
 * frees (its length in *len, which may be NULL), or NULL with err set.
 */
char *gcp_tasks_create_text(const gcp_tasks_task *t, const char *project, size_t *len, ff_error *err);

/*
 * The queue body: for Cloud Tasks a Queue resource and, in mask (size mask_len), the
 * comma-separated updateMask ("" when no setting is given); for the emulator its
 * queue-creation body. Returns a new reference or NULL (out of memory).
 */
json_t *gcp_tasks_queue_body(const gcp_tasks_queue *q, const char *project, int emulator, char *mask,
                             size_t mask_len);

#endif
