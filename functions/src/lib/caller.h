/*
 * caller.h - who is calling startTransformPipeline: the Firebase ID token in
 * "Authorization: Bearer", and whether that user may start a job for a session (its
 * creator, or an admin: custom claim admin == true).
 */
#ifndef PIPELINE_CALLER_H
#define PIPELINE_CALLER_H

#include "ff.h"

typedef struct caller {
    int authenticated; /* 0 when authentication is off (emulator default) */
    char uid[129];
    int admin;
} caller;

/* Verifies the request's token. Returns 0 with *out filled, or -1 (the caller answers 401). */
int caller_identify(ff_request *req, caller *out);
/* Nonzero when the caller may act on a session created by created_by (may be NULL). */
int caller_may_use_session(const caller *c, const char *created_by);

#endif
