/*
 * cloudevent.c - CloudEvents 1.0 over HTTP, binary and structured content modes.
 */
#include <string.h>
#include <strings.h>

#include "cloudevent.h"

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
        json_object_set_new(ev->attributes, name, json_string(h->value));
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
    ev->data = json_incref(json_object_get(body, "data"));
    return finish(ev, err);
}

int ff_cloudevent_parse(ff_request *req, ff_cloudevent *ev, ff_error *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->attributes = json_object();
    const char *ct = ff_kv_get(&req->headers, "content-type", 1);
    int rc;
    if (ct != NULL && strncasecmp(ct, "application/cloudevents+json", 28) == 0)
        rc = parse_structured(req, ev, err);
    else if (ff_kv_get(&req->headers, "ce-specversion", 1) != NULL || ff_kv_get(&req->headers, "ce-id", 1))
        rc = parse_binary(req, ev, err);
    else
        rc = ff_error_set(err, -1, "not a CloudEvent: no ce-* headers and not application/cloudevents+json");
    if (rc != 0)
        ff_cloudevent_dispose(ev);
    return rc;
}

void ff_cloudevent_dispose(ff_cloudevent *ev)
{
    json_decref(ev->data);
    json_decref(ev->attributes);
    memset(ev, 0, sizeof(*ev));
}
