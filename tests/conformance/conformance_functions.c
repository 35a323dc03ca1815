/*
 * conformance_functions.c - build/bin/conformance-functions: the test functions Google's
 * Functions Framework conformance client drives (tests/conformance/run.sh), one per
 * signature type, each doing what the conformance project asks of its test functions:
 *   http        writes the request body to function_output.json
 *   cloudevent  writes the event in structured JSON form
 *   event       writes {"data": ..., "context": ...}
 *   typed       answers {"payload": <request>}
 * and the same four with a 1 s sleep first (http_slow, ...), for -validate-concurrency.
 * With FF_CONFORMANCE_PIDFILE set, the process writes its PID there, so the runner can
 * stop a server the client left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ff.h"

#define OUTPUT_FILE "function_output.json"

static void pause_if_slow(ff_request *req)
{
    int64_t ms = (int64_t)(intptr_t)ff_req_userdata(req);
    if (ms > 0)
        ff_req_sleep_ms(req, ms);
}

/* Replaces the output file in one rename, so concurrent invocations never interleave. */
static int write_output(ff_request *req, const char *data, size_t len)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), OUTPUT_FILE ".%d.%p", (int)getpid(), (void *)req);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, OUTPUT_FILE) != 0) {
        unlink(tmp);
        ff_log_error(req, "cannot write " OUTPUT_FILE);
        return -1;
    }
    return 0;
}

static int write_json(ff_request *req, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = text ? write_output(req, text, strlen(text)) : -1;
    free(text);
    json_decref(value);
    return rc;
}

static void http_fn(ff_request *req, ff_response *res)
{
    pause_if_slow(req);
    size_t len;
    const char *body = ff_req_body(req, &len);
    if (write_output(req, body, len) != 0)
        ff_res_text(res, 500, "cannot write the output\n");
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding (new string, caller frees). */
static char *base64(const unsigned char *in, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; out != NULL && i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);
        *o++ = b64_alphabet[v >> 18 & 63];
        *o++ = b64_alphabet[v >> 12 & 63];
        *o++ = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
    }
    if (out != NULL)
        *o = '\0';
    return out;
}

/* The event in structured form: its attributes plus data (JSON) or data_base64 (bytes). */
static int cloudevent_fn(ff_request *req, const ff_cloudevent *ev)
{
    pause_if_slow(req);
    json_t *out = json_copy(ev->attributes);
    if (ev->data != NULL) {
        json_object_set(out, "data", ev->data);
    } else if (ev->data_raw != NULL && ev->data_len > 0) {
        char *b64 = base64((const unsigned char *)ev->data_raw, ev->data_len);
        json_object_set_new(out, "data_base64", json_string(b64 ? b64 : ""));
        free(b64);
    }
    return write_json(req, out);
}

static int event_fn(ff_request *req, json_t *data, json_t *context)
{
    pause_if_slow(req);
    return write_json(req, json_pack("{s:O, s:O}", "data", data, "context", context));
}

static json_t *typed_fn(ff_request *req, json_t *input, ff_error *err)
{
    pause_if_slow(req);
    return json_pack("{s:O}", "payload", input);
}

static int register_all(ff_app *app, ff_error *err)
{
    static const struct {
        const char *name;
        intptr_t sleep_ms;
    } variants[] = {{"", 0}, {"_slow", 1000}};
    for (size_t v = 0; v < 2; v++) {
        char names[4][32];
        const char *base[4] = {"http", "cloudevent", "event", "typed"};
        for (size_t i = 0; i < 4; i++)
            snprintf(names[i], sizeof(names[i]), "%s%s", base[i], variants[v].name);
        void *ud = (void *)variants[v].sleep_ms;
        const ff_function_def defs[] = {
            {.name = names[0], .signature = FF_SIGNATURE_HTTP, .http = http_fn, .userdata = ud},
            {.name = names[1],
             .signature = FF_SIGNATURE_CLOUDEVENT,
             .cloudevent = cloudevent_fn,
             .userdata = ud},
            {.name = names[2], .signature = FF_SIGNATURE_EVENT, .event = event_fn, .userdata = ud},
            {.name = names[3], .signature = FF_SIGNATURE_TYPED, .typed = typed_fn, .userdata = ud},
        };
        for (size_t i = 0; i < 4; i++)
            if (ff_register(app, &defs[i], err) != 0)
                return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *pidfile = getenv("FF_CONFORMANCE_PIDFILE");
    FILE *f = pidfile && *pidfile ? fopen(pidfile, "w") : NULL;
    if (f != NULL) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    ff_app *app = ff_app_new();
    ff_error err = {0};
    if (app == NULL || register_all(app, &err) != 0) {
        fprintf(stderr, "conformance-functions: cannot register functions: %s\n", err.message);
        return 2;
    }
    int rc = ff_main(app, argc, argv);
    ff_app_free(app);
    return rc;
}
