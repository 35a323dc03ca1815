/*
 * caller.c - Firebase ID token check for startTransformPipeline (see caller.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gcp/auth.h"
#include "lib/caller.h"
#include "lib/config.h"

int caller_identify(ff_request *req, caller *out)
{
    memset(out, 0, sizeof(*out));
    if (!pipeline_config_get()->auth_required)
        return 0;
    const char *h = ff_req_header(req, "authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        ff_log_warn(req, "missing bearer token");
        return -1;
    }
    gcp_idtoken_result res = {0};
    ff_error err = {0};
    if (gcp_idtoken_verify_firebase(h + 7, NULL, &res, &err) != 0) {
        ff_log(req, FF_WARNING, json_pack("{s:i}", "reason", err.code), "ID token refused: %s", err.message);
        return -1;
    }
    out->authenticated = 1;
    snprintf(out->uid, sizeof(out->uid), "%s", res.uid);
    out->admin = json_is_true(json_object_get(res.claims, "admin"));
    gcp_idtoken_result_free(&res);
    return 0;
}

int caller_may_use_session(const caller *c, const char *created_by)
{
    if (!c->authenticated || c->admin)
        return 1;
    return created_by != NULL && strcmp(created_by, c->uid) == 0;
}
