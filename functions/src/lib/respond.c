/*
 * respond.c - success and error bodies (see respond.h).
 */
#include "lib/respond.h"

void respond_error(ff_response *res, int status, const char *code, const char *message)
{
    ff_res_json(res, status,
                json_pack("{s:b, s:{s:s, s:s}}", "success", 0, "error", "code", code, "message", message));
}

void respond_internal(ff_request *req, ff_response *res, const char *detail)
{
    ff_log(req, FF_ERROR, NULL, "internal error: %s", detail);
    respond_error(res, 500, "INTERNAL_ERROR", "An internal error occurred");
}

void respond_ok(ff_response *res, json_t *extra)
{
    json_t *body = json_object(); /* not json_pack: its format parsing is most of a small body's cost */
    if (body != NULL) {
        json_object_set_new_nocheck(body, "success", json_true());
        if (extra != NULL)
            json_object_update(body, extra);
    }
    json_decref(extra);
    ff_res_json(res, 200, body);
}
