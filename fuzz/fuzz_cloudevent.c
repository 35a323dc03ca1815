/*
 * fuzz_cloudevent.c - libFuzzer harness for the CloudEvent parser (ff_cloudevent_parse,
 * CloudEvents 1.0 HTTP binding) and the CloudEvent path of ff_run_handler.
 *
 * Input: one mode byte, then an HTTP-like request (harness_util.h). Mode 0 uses the
 * headers as given; mode 1 prepends "Content-Type: application/cloudevents+json"
 * (structured mode); mode 2 prepends the four required ce-* headers (binary mode), so
 * the fuzzer spends its time past the mode dispatch.
 * Mode 0 also reaches the legacy-event conversion (a JSON body with data and eventType).
 * Properties (a violation traps): a parsed event has non-empty id, source, type and
 * specversion "1.0", each equal to its entry in ev->attributes; binary mode exposes the
 * request body as data_raw, structured mode only decoded data_base64 bytes, a converted
 * legacy event JSON data and a //service source; a refusal gives a reason and leaves the
 * event empty; and
 * ff_invoke_local answers 400 exactly when the parser refuses, else the handler's 200 or
 * 500; every line logged meanwhile is a JSON object with a severity and a message.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../runtime/src/ff/cloudevent.h"
#include "harness_util.h"

static ff_app *g_app;

/* Reads every field of the event; fails (500) for events of type "fail". */
static int on_event(ff_request *req, const ff_cloudevent *ev)
{
    size_t n = strlen(ev->id) + strlen(ev->source) + strlen(ev->type) + strlen(ev->specversion);
    n += ev->subject ? strlen(ev->subject) : 0;
    n += ev->time ? strlen(ev->time) : 0;
    n += ev->datacontenttype ? strlen(ev->datacontenttype) : 0;
    char *dump = ev->data ? json_dumps(ev->data, JSON_ENCODE_ANY) : NULL;
    free(dump);
    for (size_t i = 0; i < ev->data_len; i++)
        n += (unsigned char)ev->data_raw[i] == 0xFF;
    return strcmp(ev->type, "fail") == 0 ? (int)(n | 1) : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_quiet_logs();
    ff_error err = {0};
    const ff_function_def def = {
        .name = "event", .signature = FF_SIGNATURE_CLOUDEVENT, .cloudevent = on_event};
    g_app = ff_app_new();
    if (g_app == NULL || ff_register(g_app, &def, &err) != 0)
        fz_fail(__FILE__, __LINE__, "cannot register the CloudEvent function");
    return 0;
}

static const char *attr(const ff_cloudevent *ev, const char *name)
{
    return json_string_value(json_object_get(ev->attributes, name));
}

static void check_event(const ff_request *req, const ff_cloudevent *ev)
{
    FZ_ASSERT(ev->id && *ev->id && ev->source && *ev->source && ev->type && *ev->type,
              "required attribute missing");
    FZ_ASSERT(ev->specversion && strcmp(ev->specversion, "1.0") == 0, "specversion is not 1.0");
    FZ_ASSERT(json_is_object(ev->attributes), "attributes not an object");
    FZ_ASSERT(ev->id == attr(ev, "id") && ev->source == attr(ev, "source") && ev->type == attr(ev, "type"),
              "required attribute does not point into attributes");
    FZ_ASSERT(ev->subject == attr(ev, "subject") && ev->time == attr(ev, "time") &&
                  ev->datacontenttype == attr(ev, "datacontenttype"),
              "optional attribute does not point into attributes");
    if (ff_cloudevent_is_structured(req)) {
        FZ_ASSERT(json_object_get(ev->attributes, "data") == NULL &&
                      json_object_get(ev->attributes, "data_base64") == NULL,
                  "structured data copied into the attributes");
        FZ_ASSERT(ev->data_raw == NULL || ev->data_raw == ev->priv_,
                  "structured data_raw is not decoded bytes");
    } else if (ff_cloudevent_is_binary(req)) {
        FZ_ASSERT(ev->data_raw == req->body && ev->data_len == req->body_len, "data_raw is not the body");
    } else {
        FZ_ASSERT(ev->data_raw == NULL, "a converted legacy event has raw data");
        FZ_ASSERT(strcmp(ev->datacontenttype, "application/json") == 0, "legacy event data is not JSON");
        FZ_ASSERT(strncmp(ev->source, "//", 2) == 0, "legacy event source is not //service/resource");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[3][5] = {
        {NULL},
        {"Content-Type: application/cloudevents+json", NULL},
        {"ce-specversion: 1.0", "ce-id: 1", "ce-source: //fuzz", "ce-type: t", NULL},
    };
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    fz_http h;
    if (fz_http_split(data + 1, size - 1, &h) != 0) {
        fz_http_free(&h);
        return 0;
    }
    /* the prefix headers first, then the input's */
    size_t np = 0;
    while (prefixes[mode][np])
        np++;
    char **headers = calloc(np + h.n_headers + 1, sizeof(char *));
    if (headers == NULL) {
        fz_http_free(&h);
        return 0;
    }
    for (size_t i = 0; i < np; i++)
        headers[i] = (char *)prefixes[mode][i];
    for (size_t i = 0; i < h.n_headers; i++)
        headers[np + i] = h.headers[i];
    char **own = h.headers;
    h.headers = headers;

    ff_request req;
    int expected = -1;
    if (fz_request_from_http(&req, &h, NULL) == 0) {
        ff_cloudevent ev;
        ff_error err = {0};
        if (ff_cloudevent_parse(&req, &ev, &err) == 0) {
            check_event(&req, &ev);
            expected = strcmp(ev.type, "fail") == 0 ? 500 : 200;
            ff_cloudevent_dispose(&ev);
        } else {
            FZ_ASSERT(err.message[0] != '\0', "refusal without a reason");
            FZ_ASSERT(ev.attributes == NULL && ev.data == NULL, "refusal left the event set");
            expected = 400;
        }
    }
    ff_request_dispose(&req);

    ff_local_result out;
    ff_error err = {0};
    fz_logs_capture();
    if (expected > 0 && ff_invoke_local(g_app, "event", h.method, h.target, (const char *const *)headers,
                                        h.body, h.body_len, &out, &err) == 0) {
        FZ_ASSERT(out.status == expected, "ff_run_handler status differs from the parser's verdict");
        ff_local_result_free(&out);
    }
    fz_logs_check();
    h.headers = own;
    free(headers);
    fz_http_free(&h);
    return 0;
}
