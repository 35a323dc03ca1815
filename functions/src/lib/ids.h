/*
 * ids.h - the one shape of every ID the backend puts into a document path, whether it
 * came from a request or from a document (projectId, sessionId, workspaceId,
 * experienceId, jobId, eventId): 1..128 characters of [A-Za-z0-9_-], and not Firestore's
 * reserved __name__ form. Also the limits of the other request strings (stepId, bearer
 * tokens). Client-written fields never become part of a path without passing here.
 */
#ifndef PIPELINE_IDS_H
#define PIPELINE_IDS_H

#include <stddef.h>

#define IDS_MAX_LEN       128
#define IDS_STEP_MAX_LEN  128
#define IDS_TOKEN_MAX_LEN 8192 /* a bearer token; Firebase ID tokens are ~1 KiB */

/* Nonzero when s (may be NULL) is an ID of the shape above. */
int ids_valid(const char *s);
/* Nonzero when s[0..len) is a stepId: 1..128 bytes of printable ASCII (0x20..0x7e). */
int ids_valid_step(const char *s, size_t len);

#endif
