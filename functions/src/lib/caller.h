/*
 * caller.h - who is calling, checked in process whatever the platform in front did:
 *   - startTransformPipeline: the Firebase ID token in "Authorization: Bearer", and
 *     whether that user may start a job for a session (its creator, or an admin: custom
 *     claim admin == true; a session on the draft config is an admin's only);
 *   - the private functions: the Google-signed OIDC token Cloud Tasks / Cloud Scheduler
 *     attach, which must be issued for the one configured service account and audience.
 */
#ifndef PIPELINE_CALLER_H
#define PIPELINE_CALLER_H

#include <jansson.h>

#include "ff.h"

typedef struct caller {
    int authenticated; /* 0 when authentication is off (emulator default) */
    char uid[129];
    int admin;
} caller;

/*
 * Verifies the request's token. Returns 0 with *out filled, -1 when the token is missing
 * or refused (the caller answers 401), or CALLER_KEYS_UNAVAILABLE when the signing keys
 * cannot be fetched (503: the caller's fault it is not).
 */
int caller_identify(ff_request *req, caller *out);
enum { CALLER_KEYS_UNAVAILABLE = -2 };
/* Answers 401 UNAUTHENTICATED, or 503 SERVICE_UNAVAILABLE for CALLER_KEYS_UNAVAILABLE. */
void caller_respond_unauthenticated(ff_response *res, int rc);

/* Why a caller may not use a session. */
typedef enum { CALLER_MAY = 0, CALLER_NOT_OWNER, CALLER_DRAFT_NOT_ADMIN } caller_verdict;
/* Whether the caller may start a job on session (its fields: createdBy, configSource). */
caller_verdict caller_may_use_session(const caller *c, const json_t *session);

/*
 * The private functions' check: in emulator mode nothing; otherwise the OIDC token of
 * the Authorization header must verify for `account` and `audience`. Returns 0 to go
 * on, or -1 after answering 401 UNAUTHENTICATED (no token, or one that does not verify),
 * 403 PERMISSION_DENIED (a valid token of another identity or audience) or 503
 * SERVICE_UNAVAILABLE (the signing keys cannot be fetched). Runs before the body is parsed.
 */
int caller_require_service(ff_request *req, ff_response *res, const char *account, const char *audience);

#endif
