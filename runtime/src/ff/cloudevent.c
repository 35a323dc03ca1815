/*
 * cloudevent.c - CloudEvents 1.0 over HTTP, binary and structured content modes, and
 * legacy Google Cloud Functions events converted to CloudEvents (legacy_event.c).
 * The HTTP traceparent/tracestate headers become the Distributed Tracing extension.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloudevent.h"
#include "legacy_event.h"

static const char *const required[] = {"id", "source", "type", "specversion"};

static int is_json_type(const char *ct)
{
    if (ct == NULL)
        return 0;
    size_t n = strcspn(ct, ";");
    return (n >= 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n >= 5 && strncasecmp(ct + n - 5, "+json", 5) == 0) ||
           (n >= 9 && strncasecmp(ct, "text/json", 9) == 0);
}

static const char *attr(const ff_cloudevent *ev, const char *name)
{
    return json_string_value(json_object_get(ev->attributes, name));
}

/* Checks the required attributes and points ev's fields at the attribute strings. */
static int finish(ff_cloudevent *ev, ff_error *err)
{
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const char *v = attr(ev, required[i]);
        if (v == NULL || *v == '\0')
            return ff_error_set(err, -1, "CloudEvent attribute '%s' is missing or not a string", required[i]);
    }
    if (strcmp(attr(ev, "specversion"), "1.0") != 0)
        return ff_error_set(err, -1, "unsupported CloudEvent specversion '%s'", attr(ev, "specversion"));
    ev->id = attr(ev, "id");
    ev->source = attr(ev, "source");
    ev->type = attr(ev, "type");
    ev->specversion = attr(ev, "specversion");
    ev->subject = attr(ev, "subject");
    ev->time = attr(ev, "time");
    ev->datacontenttype = attr(ev, "datacontenttype");
    return 0;
}

/* Sets attribute name to the percent-decoded header value (CloudEvents HTTP binding 3.1.3.2). */
static int set_header_attribute(ff_cloudevent *ev, const char *name, const char *value, ff_error *err)
{
    size_t len = strlen(value);
    if (memmem(value, len, "%00", 3) != NULL)
        return ff_error_set(err, -1, "CloudEvent attribute '%s' holds a NUL byte", name);
    char *decoded = ff_url_decode(value, len, 0);
    json_t *v = decoded ? json_string(decoded) : NULL;
    free(decoded);
    if (v == NULL)
        return ff_error_set(err, -1, "CloudEvent attribute '%s' is not UTF-8", name);
    json_object_set_new(ev->attributes, name, v);
    return 0;
}

static int parse_binary(ff_request *req, ff_cloudevent *ev, ff_error *err)
{
    for (size_t i = 0; i < req->headers.len; i++) {
        const ff_kv *h = &req->headers.items[i];
        if (strncasecmp(h->name, "ce-", 3) != 0 || h->name[3] == '\0')
            continue;
        char name[128];
        size_t n = 0;
        for (const char *p = h->name + 3; *p && n < sizeof(name) - 1; p++)
            name[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        name[n] = '\0';
        if (set_header_attribute(ev, name, h->value, err) != 0)
            return -1;
    }
    const char *ct = ff_kv_get(&req->headers, "content-type", 1);
    if (ct != NULL)
        json_object_set_new(ev->attributes, "datacontenttype", json_string(ct));
    ev->data_raw = req->body;
    ev->data_len = req->body_len;
    if (req->body_len > 0 && (ct == NULL || is_json_type(ct))) {
        ev->data = ff_req_json(req, NULL);
        if (ev->data == NULL && ct != NULL)
            return ff_error_set(err, -1, "CloudEvent data is not valid JSON");
        json_incref(ev->data);
    }
    return finish(ev, err);
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes standard base64 (padding optional) into a new buffer (caller frees); NULL if invalid. */
static char *base64_decode(const char *in, size_t len, size_t *out_len)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return NULL;
    char *out = malloc(len / 4 * 3 + 3);
    size_t o = 0;
    unsigned acc = 0;
    for (size_t i = 0; out != NULL && i < len; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (unsigned)v;
        if (i % 4 == 3 || i == len - 1) {
            size_t bits = (i % 4 + 1) * 6, bytes = bits / 8;
            acc >>= bits % 8;
            for (size_t b = bytes; b > 0; b--)
                out[o++] = (char)(acc >> (8 * (b - 1)) & 0xff);
            acc = 0;
        }
    }
    *out_len = o;
    return out;
}

/* data_base64: the decoded bytes become data_raw (and data when the content type is JSON). */
static int take_base64(ff_cloudevent *ev, const json_t *b64, ff_error *err)
{
    if (!json_is_string(b64))
        return ff_error_set(err, -1, "CloudEvent data_base64 is not a string");
    size_t len;
    char *bytes = base64_decode(json_string_value(b64), json_string_length(b64), &len);
    if (bytes == NULL)
        return ff_error_set(err, -1, "CloudEvent data_base64 is not base64");
    ev->priv_ = bytes;
    ev->data_raw = bytes;
    ev->data_len = len;
    const char *ct = json_string_value(json_object_get(ev->attributes, "datacontenttype"));
    if (len > 0 && is_json_type(ct)) {
        ev->data = json_loadb(bytes, len, JSON_DECODE_ANY, NULL);
        if (ev->data == NULL)
            return ff_error_set(err, -1, "CloudEvent data is not valid JSON");
    }
    return 0;
}

static int parse_structured(ff_request *req, ff_cloudevent *ev, ff_error *err)
{
    ff_error jerr;
    json_t *body = ff_req_json(req, &jerr);
    if (body == NULL)
        return ff_error_set(err, -1, "structured CloudEvent body: %s", jerr.message);
    if (!json_is_object(body))
        return ff_error_set(err, -1, "structured CloudEvent body must be a JSON object");
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "data") != 0 && strcmp(key, "data_base64") != 0)
            json_object_set(ev->attributes, key, value);
    }
    json_t *b64 = json_object_get(body, "data_base64");
    if (b64 != NULL && json_object_get(body, "data") != NULL)
        return ff_error_set(err, -1, "CloudEvent has both data and data_base64");
    if (b64 != NULL && take_base64(ev, b64, err) != 0)
        return -1;
    if (b64 == NULL)
        ev->data = json_incref(json_object_get(body, "data"));
    return finish(ev, err);
}

/* A request that is not a CloudEvent may be a legacy event of a known Google type. */
static int parse_legacy(ff_request *req, ff_cloudevent *ev, ff_error *err)
{
    json_t *body = ff_req_json(req, NULL);
    if (!ff_legacy_is_event(body))
        return ff_error_set(err, -1,
                            "not a CloudEvent: no ce-* headers, not application/cloudevents+json, "
                            "not a legacy event");
    json_decref(ev->attributes);
    ev->attributes = NULL;
    if (ff_legacy_to_cloudevent(body, ev, err) != 0)
        return -1;
    return finish(ev, err);
}

/* The W3C trace context of the request, as the Distributed Tracing extension. */
static void add_trace_context(const ff_request *req, ff_cloudevent *ev)
{
    static const char *const names[] = {"traceparent", "tracestate"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = ff_kv_get(&req->headers, names[i], 1);
        if (v != NULL && json_object_get(ev->attributes, names[i]) == NULL)
            json_object_set_new(ev->attributes, names[i], json_string(v));
    }
}

int ff_cloudevent_is_binary(const ff_request *req)
{
    return ff_kv_get(&req->headers, "ce-specversion", 1) != NULL || ff_kv_get(&req->headers, "ce-id", 1);
}

int ff_cloudevent_is_structured(const ff_request *req)
{
    const char *ct = ff_kv_get(&req->headers, "content-type", 1);
    return ct != NULL && strncasecmp(ct, "application/cloudevents+json", 28) == 0;
}

int ff_cloudevent_parse(ff_request *req, ff_cloudevent *ev, ff_error *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->attributes = json_object();
    int rc;
    if (ff_cloudevent_is_structured(req))
        rc = parse_structured(req, ev, err);
    else if (ff_cloudevent_is_binary(req))
        rc = parse_binary(req, ev, err);
    else
        rc = parse_legacy(req, ev, err);
    if (rc != 0) {
        ff_cloudevent_dispose(ev);
        return rc;
    }
    add_trace_context(req, ev);
    return 0;
}

void ff_cloudevent_dispose(ff_cloudevent *ev)
{
    json_decref(ev->data);
    json_decref(ev->attributes);
    free(ev->priv_);
    memset(ev, 0, sizeof(*ev));
}
