/*
 * caller.c - in-process checks of who is calling (see caller.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gcp/auth.h"
#include "lib/caller.h"
#include "lib/config.h"
#include "lib/ids.h"
#include "lib/respond.h"

/* The token of "Authorization: Bearer <token>", or NULL when absent, empty or too long. */
static const char *bearer_token(ff_request *req)
{
    const char *h = ff_req_header(req, "authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
        return NULL;
    return strlen(h + 7) <= IDS_TOKEN_MAX_LEN ? h + 7 : NULL;
}

int caller_identify(ff_request *req, caller *out)
{
    memset(out, 0, sizeof(*out));
    if (!pipeline_config_get()->auth_required)
        return 0;
    const char *token = bearer_token(req);
    if (token == NULL) {
        ff_log_warn(req, "missing bearer token");
        return -1;
    }
    gcp_idtoken_result res = {0};
    ff_error err = {0};
    if (gcp_idtoken_verify_firebase(token, NULL, &res, &err) != 0) {
        ff_log(req, FF_WARNING, json_pack("{s:i}", "reason", err.code), "ID token refused: %s", err.message);
        return err.code == GCP_IDTOKEN_ERR_KEYS ? CALLER_KEYS_UNAVAILABLE : -1;
    }
    out->authenticated = 1;
    ff_strlcpy(out->uid, sizeof(out->uid), res.uid);
    out->admin = json_is_true(json_object_get(res.claims, "admin"));
    gcp_idtoken_result_free(&res);
    return 0;
}

void caller_respond_unauthenticated(ff_response *res, int rc)
{
    if (rc == CALLER_KEYS_UNAVAILABLE)
        respond_error(res, 503, "SERVICE_UNAVAILABLE", "Authentication is unavailable; try again later");
    else
        respond_error(res, 401, "UNAUTHENTICATED", "A valid ID token is required");
}

caller_verdict caller_may_use_session(const caller *c, const json_t *session)
{
    if (!c->authenticated || c->admin)
        return CALLER_MAY;
    const char *created_by = json_string_value(json_object_get(session, "createdBy"));
    if (created_by == NULL || strcmp(created_by, c->uid) != 0)
        return CALLER_NOT_OWNER;
    /* Draft configurations are unpublished work: only admins preview them. */
    const char *source = json_string_value(json_object_get(session, "configSource"));
    return source != NULL && strcmp(source, "draft") == 0 ? CALLER_DRAFT_NOT_ADMIN : CALLER_MAY;
}

int caller_require_service(ff_request *req, ff_response *res, const char *account, const char *audience)
{
    if (pipeline_config_get()->emulator_mode)
        return 0;
    const char *token = bearer_token(req);
    if (token == NULL) {
        ff_log_warn(req, "private function called without a bearer token");
        caller_respond_unauthenticated(res, -1);
        return -1;
    }
    gcp_idtoken_result who = {0};
    ff_error err = {0};
    int rc = gcp_idtoken_verify_invoker(token, audience, account, &who, &err);
    gcp_idtoken_result_free(&who);
    if (rc == 0)
        return 0;
    ff_log(req, FF_WARNING, json_pack("{s:i}", "reason", err.code), "caller refused: %s", err.message);
    if (rc == GCP_IDTOKEN_ERR_AUDIENCE || rc == GCP_IDTOKEN_ERR_IDENTITY)
        respond_error(res, 403, "PERMISSION_DENIED", "This caller may not call this function");
    else
        caller_respond_unauthenticated(res, rc == GCP_IDTOKEN_ERR_KEYS ? CALLER_KEYS_UNAVAILABLE : -1);
    return -1;
}
