/*
 * handler.c - ff_run_handler: runs a function for a request according to its signature
 * type, shared by the server's workers and ff_invoke_local. HTTP functions fill the
 * response themselves; for the others the runtime turns the request into the
 * function's input (CloudEvent, JSON value, legacy event) and its result into the
 * response. Clients get fixed texts; the reasons go to the log.
 */
#include <string.h>

#include "cloudevent.h"
#include "crash.h"
#include "legacy_event.h"
#include "request.h"

static void answer_result(ff_response *res, int rc)
{
    if (rc != 0)
        ff_res_text(res, 500, "Internal Server Error\n");
    else
        ff_res_status(res, 200);
}

static void run_cloudevent(const ff_function_def *def, ff_request *req, ff_response *res)
{
    ff_cloudevent ev;
    ff_error err = {0};
    if (ff_cloudevent_parse(req, &ev, &err) != 0) {
        ff_log(req, FF_WARNING, NULL, "malformed CloudEvent: %s", err.message);
        ff_res_text(res, 400, "Bad Request: malformed CloudEvent\n");
        return;
    }
    int rc = def->cloudevent(req, &ev);
    ff_cloudevent_dispose(&ev);
    answer_result(res, rc);
}

/* The legacy {data, context} of the request: as sent, or converted from a CloudEvent. */
static json_t *legacy_event_of(ff_request *req, ff_error *err)
{
    if (!ff_cloudevent_is_binary(req) && !ff_cloudevent_is_structured(req)) {
        json_t *body = ff_req_json(req, err);
        if (body != NULL && ff_legacy_is_event(body))
            return ff_legacy_from_body(body);
        if (body != NULL)
            ff_error_set(err, -1, "not a legacy event: no data or no eventType");
        return NULL;
    }
    ff_cloudevent ev;
    if (ff_cloudevent_parse(req, &ev, err) != 0)
        return NULL;
    json_t *legacy = ff_legacy_from_cloudevent(&ev, err);
    ff_cloudevent_dispose(&ev);
    return legacy;
}

static void run_event(const ff_function_def *def, ff_request *req, ff_response *res)
{
    ff_error err = {0};
    json_t *legacy = legacy_event_of(req, &err);
    if (legacy == NULL) {
        ff_log(req, FF_WARNING, NULL, "malformed event: %s", err.message);
        ff_res_text(res, 400, "Bad Request: malformed event\n");
        return;
    }
    int rc = def->event(req, json_object_get(legacy, "data"), json_object_get(legacy, "context"));
    json_decref(legacy);
    answer_result(res, rc);
}

static void run_typed(const ff_function_def *def, ff_request *req, ff_response *res)
{
    ff_error err = {0};
    json_t *in = ff_req_json(req, &err);
    if (in == NULL) {
        ff_log(req, FF_WARNING, NULL, "typed function input is not JSON: %s", err.message);
        ff_res_text(res, 400, "Bad Request: the body must be JSON\n");
        return;
    }
    ff_error_clear(&err);
    json_t *out = def->typed(req, in, &err);
    if (out == NULL) {
        int status = err.code >= 400 && err.code <= 599 ? err.code : 500;
        ff_log(req, status >= 500 ? FF_ERROR : FF_WARNING, json_pack("{s:i}", "status", status),
               "typed function failed: %s", err.message[0] ? err.message : "(no reason given)");
        ff_res_text(res, status,
                    status >= 500 ? "Internal Server Error\n" : "Request refused by the function\n");
        return;
    }
    ff_res_json(res, 200, out);
}

void ff_run_handler(const ff_function_def *def, ff_request *req, ff_response *res)
{
    ff_crash_track(req);
    switch (def->signature) {
    case FF_SIGNATURE_HTTP:
        def->http(req, res);
        break;
    case FF_SIGNATURE_CLOUDEVENT:
        run_cloudevent(def, req, res);
        break;
    case FF_SIGNATURE_TYPED:
        run_typed(def, req, res);
        break;
    case FF_SIGNATURE_EVENT:
        run_event(def, req, res);
        break;
    }
    ff_crash_untrack();
}
