/*
 * legacy_event.c - legacy Google Cloud Functions events <-> CloudEvents (see
 * legacy_event.h). The tables follow the mappings of the official Functions Frameworks;
 * the conformance client's fixtures are their test.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_event.h"

#define SVC_AUTH      "firebaseauth.googleapis.com"
#define SVC_DATABASE  "firebasedatabase.googleapis.com"
#define SVC_FIREBASE  "firebase.googleapis.com"
#define SVC_FIRESTORE "firestore.googleapis.com"
#define SVC_PUBSUB    "pubsub.googleapis.com"
#define SVC_STORAGE   "storage.googleapis.com"

#define PUBSUB_MESSAGE_TYPE "type.googleapis.com/google.pubsub.v1.PubsubMessage"

/* Legacy event type <-> CloudEvent type. The reverse mapping takes the first match. */
static const struct {
    const char *legacy, *ce;
} types[] = {
    {"google.pubsub.topic.publish", "google.cloud.pubsub.topic.v1.messagePublished"},
    {"google.storage.object.finalize", "google.cloud.storage.object.v1.finalized"},
    {"google.storage.object.delete", "google.cloud.storage.object.v1.deleted"},
    {"google.storage.object.archive", "google.cloud.storage.object.v1.archived"},
    {"google.storage.object.metadataUpdate", "google.cloud.storage.object.v1.metadataUpdated"},
    {"providers/cloud.firestore/eventTypes/document.write", "google.cloud.firestore.document.v1.written"},
    {"providers/cloud.firestore/eventTypes/document.create", "google.cloud.firestore.document.v1.created"},
    {"providers/cloud.firestore/eventTypes/document.update", "google.cloud.firestore.document.v1.updated"},
    {"providers/cloud.firestore/eventTypes/document.delete", "google.cloud.firestore.document.v1.deleted"},
    {"providers/firebase.auth/eventTypes/user.create", "google.firebase.auth.user.v1.created"},
    {"providers/firebase.auth/eventTypes/user.delete", "google.firebase.auth.user.v1.deleted"},
    {"providers/google.firebase.analytics/eventTypes/event.log", "google.firebase.analytics.log.v1.written"},
    {"providers/google.firebase.database/eventTypes/ref.create", "google.firebase.database.ref.v1.created"},
    {"providers/google.firebase.database/eventTypes/ref.write", "google.firebase.database.ref.v1.written"},
    {"providers/google.firebase.database/eventTypes/ref.update", "google.firebase.database.ref.v1.updated"},
    {"providers/google.firebase.database/eventTypes/ref.delete", "google.firebase.database.ref.v1.deleted"},
    /* older names, accepted on input only */
    {"providers/cloud.pubsub/eventTypes/topic.publish", "google.cloud.pubsub.topic.v1.messagePublished"},
    {"providers/cloud.storage/eventTypes/object.change", "google.cloud.storage.object.v1.finalized"},
};

/* The service of a legacy event whose resource does not name one, by event type prefix. */
static const struct {
    const char *prefix, *service;
} services[] = {
    {"providers/cloud.firestore/", SVC_FIRESTORE},
    {"providers/google.firebase.analytics/", SVC_FIREBASE},
    {"providers/firebase.auth/", SVC_AUTH},
    {"providers/google.firebase.database/", SVC_DATABASE},
    {"providers/cloud.pubsub/", SVC_PUBSUB},
    {"providers/cloud.storage/", SVC_STORAGE},
    {"google.pubsub", SVC_PUBSUB},
    {"google.storage", SVC_STORAGE},
};

/* How a service's resource name splits into CloudEvent source (group 1) and subject (2). */
static const struct {
    const char *service, *pattern;
} splits[] = {
    {SVC_FIREBASE, "^(projects/[^/]+)/(events/[^/]+)$"},
    {SVC_DATABASE, "^projects/_/(instances/[^/]+)/(refs/.+)$"},
    {SVC_FIRESTORE, "^(projects/[^/]+/databases/[^/]+)/(documents/.+)$"},
    /* the object's generation ("#1588778055917163") is not part of the subject */
    {SVC_STORAGE, "^(projects/_/buckets/[^/]+)/(objects/[^#]+)(#.*)?$"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const json_t *context_of(const json_t *body)
{
    const json_t *ctx = json_object_get(body, "context");
    return json_is_object(ctx) ? ctx : body;
}

int ff_legacy_is_event(const json_t *body)
{
    return json_is_object(body) && json_object_get(body, "data") != NULL &&
           str_of(context_of(body), "eventType") != NULL;
}

/* Renames the keys of data.metadata (Firebase Auth) from `from` names to `to` names. */
static void rename_auth_metadata(json_t *data, const char *const from[2], const char *const to[2])
{
    json_t *md = json_object_get(data, "metadata");
    for (size_t i = 0; json_is_object(md) && i < 2; i++) {
        json_t *v = json_object_get(md, from[i]);
        if (v != NULL) {
            json_object_set(md, to[i], v);
            json_object_del(md, from[i]);
        }
    }
}

static const char *const auth_legacy_names[2] = {"createdAt", "lastSignedInAt"};
static const char *const auth_ce_names[2] = {"createTime", "lastSignInTime"};

/* ---- legacy -> CloudEvent ------------------------------------------------------------ */

static const char *service_of(const json_t *ctx, const char *event_type)
{
    const char *svc = str_of(json_object_get(ctx, "resource"), "service");
    if (svc != NULL && *svc != '\0')
        return svc;
    for (size_t i = 0; i < N(services); i++)
        if (strncmp(event_type, services[i].prefix, strlen(services[i].prefix)) == 0)
            return services[i].service;
    return NULL;
}

/*
 * Splits the resource name by the service's pattern: *resource and *subject get new
 * strings (caller frees; *subject stays NULL for services without a split).
 */
static int split_resource(const char *service, const char *name, char **resource, char **subject,
                          ff_error *err)
{
    *resource = *subject = NULL;
    for (size_t i = 0; i < N(splits); i++) {
        if (strcmp(service, splits[i].service) != 0)
            continue;
        regex_t re;
        regmatch_t m[3];
        if (regcomp(&re, splits[i].pattern, REG_EXTENDED) != 0)
            return ff_error_set(err, -1, "out of memory");
        int rc = regexec(&re, name, 3, m, 0);
        regfree(&re);
        if (rc != 0)
            return ff_error_set(err, -1, "resource '%.100s' is not a %s resource", name, service);
        *resource = strndup(name + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
        *subject = strndup(name + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
        return *resource && *subject ? 0 : ff_error_set(err, -1, "out of memory");
    }
    *resource = strdup(name);
    return *resource ? 0 : ff_error_set(err, -1, "out of memory");
}

/* "us-central1" for firebaseio.com, else the "LOCATION" of LOCATION.firebasedatabase.app. */
static int database_location(const char *domain, char *out, size_t len, ff_error *err)
{
    static const char suffix[] = ".firebasedatabase.app";
    if (domain == NULL)
        return ff_error_set(err, -1, "Realtime Database event without a domain");
    if (strcmp(domain, "firebaseio.com") == 0) {
        snprintf(out, len, "us-central1");
        return 0;
    }
    size_t n = strlen(domain), sl = sizeof(suffix) - 1;
    if (n <= sl || n - sl >= len || strcmp(domain + n - sl, suffix) != 0 || memchr(domain, '/', n - sl))
        return ff_error_set(err, -1, "Realtime Database event with domain '%.100s'", domain);
    snprintf(out, len, "%.*s", (int)(n - sl), domain);
    return 0;
}

/* Service-specific data and subject changes (data is ev's own copy). */
static int adapt_data(const char *service, const json_t *body, const json_t *ctx, json_t **data,
                      char **subject, char **resource, ff_error *err)
{
    if (strcmp(service, SVC_PUBSUB) == 0) {
        if (!json_is_object(*data))
            return ff_error_set(err, -1, "Pub/Sub event data is not an object");
        if (json_object_get(*data, "messageId") == NULL && json_object_get(ctx, "eventId") != NULL)
            json_object_set(*data, "messageId", json_object_get(ctx, "eventId"));
        if (json_object_get(*data, "publishTime") == NULL && json_object_get(ctx, "timestamp") != NULL)
            json_object_set(*data, "publishTime", json_object_get(ctx, "timestamp"));
        *data = json_pack("{s:o}", "message", *data);
    } else if (strcmp(service, SVC_AUTH) == 0) {
        rename_auth_metadata(*data, auth_legacy_names, auth_ce_names);
        const char *uid = str_of(*data, "uid");
        if (uid != NULL) {
            free(*subject);
            if (asprintf(subject, "users/%s", uid) < 0)
                *subject = NULL;
        }
    } else if (strcmp(service, SVC_DATABASE) == 0) {
        const char *domain = str_of(body, "domain");
        char location[64], *with_location;
        if (database_location(domain ? domain : str_of(ctx, "domain"), location, sizeof(location), err) != 0)
            return -1;
        if (asprintf(&with_location, "projects/_/locations/%s/%s", location, *resource) < 0)
            return ff_error_set(err, -1, "out of memory");
        free(*resource);
        *resource = with_location;
    }
    return *data != NULL ? 0 : ff_error_set(err, -1, "out of memory");
}

static const char *ce_type_of(const char *legacy_type)
{
    for (size_t i = 0; i < N(types); i++)
        if (strcmp(types[i].legacy, legacy_type) == 0)
            return types[i].ce;
    return NULL;
}

int ff_legacy_to_cloudevent(const json_t *body, ff_cloudevent *ev, ff_error *err)
{
    const json_t *ctx = context_of(body);
    const char *legacy_type = str_of(ctx, "eventType");
    const char *ce_type = legacy_type ? ce_type_of(legacy_type) : NULL;
    if (ce_type == NULL)
        return ff_error_set(err, -1, "unknown legacy event type '%.100s'", legacy_type ? legacy_type : "");
    const char *service = service_of(ctx, legacy_type);
    const json_t *res = json_object_get(ctx, "resource");
    const char *name = json_is_string(res) ? json_string_value(res) : str_of(res, "name");
    if (service == NULL || name == NULL)
        return ff_error_set(err, -1, "legacy event without a resource");
    char *resource, *subject;
    if (split_resource(service, name, &resource, &subject, err) != 0)
        return -1;
    json_t *data = json_deep_copy(json_object_get(body, "data"));
    int rc = adapt_data(service, body, ctx, &data, &subject, &resource, err);
    if (rc == 0) {
        char *source = NULL;
        if (asprintf(&source, "//%s/%s", service, resource) < 0)
            source = NULL;
        /* id and time must be strings; anything else leaves them out (id is then refused) */
        ev->attributes =
            json_pack("{s:s, s:s*, s:s, s:s*, s:s, s:s*, s:s*}", "specversion", "1.0", "id",
                      str_of(ctx, "eventId"), "type", ce_type, "source", source, "datacontenttype",
                      "application/json", "time", str_of(ctx, "timestamp"), "subject", subject);
        ev->data = data;
        data = NULL;
        free(source);
        rc = ev->attributes != NULL ? 0 : ff_error_set(err, -1, "out of memory");
    }
    json_decref(data);
    free(resource);
    free(subject);
    return rc;
}

json_t *ff_legacy_from_body(const json_t *body)
{
    json_t *ctx = json_object_get(body, "context");
    if (json_is_object(ctx)) {
        json_incref(ctx);
    } else {
        ctx = json_copy((json_t *)body);
        json_object_del(ctx, "data");
    }
    return json_pack("{s:O, s:o}", "data", json_object_get(body, "data"), "context", ctx);
}

/* ---- CloudEvent -> legacy ------------------------------------------------------------ */

static const char *legacy_type_of(const char *ce_type)
{
    for (size_t i = 0; i < N(types); i++)
        if (strcmp(types[i].ce, ce_type) == 0)
            return types[i].legacy;
    return NULL;
}

/* The legacy resource for the CloudEvent's service; *data may be replaced (Pub/Sub). */
static json_t *legacy_resource(const char *service, const char *name, const char *subject, json_t **data)
{
    char *full = NULL;
    if (asprintf(&full, "%s%s%s", name, subject ? "/" : "", subject ? subject : "") < 0)
        return NULL;
    json_t *resource;
    if (strcmp(service, SVC_PUBSUB) == 0) {
        json_t *message = json_object_get(*data, "message");
        if (json_is_object(message)) {
            json_t *m = json_incref(message);
            json_decref(*data);
            *data = m;
        }
        json_object_del(*data, "messageId");
        json_object_del(*data, "publishTime");
        resource =
            json_pack("{s:s, s:s, s:s}", "service", service, "name", name, "type", PUBSUB_MESSAGE_TYPE);
    } else if (strcmp(service, SVC_AUTH) == 0) {
        rename_auth_metadata(*data, auth_ce_names, auth_legacy_names);
        resource = json_string(name);
    } else if (strcmp(service, SVC_DATABASE) == 0) {
        char *loc = strstr(full, "/locations/");
        if (loc != NULL) { /* "/locations/{location}" out */
            const char *end = strchr(loc + 11, '/');
            if (end == NULL)
                end = loc + strlen(loc);
            memmove(loc, end, strlen(end) + 1);
        }
        resource = json_string(full);
    } else if (strcmp(service, SVC_STORAGE) == 0) {
        resource = json_pack("{s:s, s:s, s:O*}", "service", service, "name", full, "type",
                             json_object_get(*data, "kind"));
    } else {
        resource = json_string(full);
    }
    free(full);
    return resource;
}

json_t *ff_legacy_from_cloudevent(const ff_cloudevent *ev, ff_error *err)
{
    json_t *data = ev->data ? json_deep_copy(ev->data) : json_null();
    const char *legacy_type = legacy_type_of(ev->type);
    if (legacy_type == NULL) /* not a Google event: its attributes are the context */
        return json_pack("{s:o, s:O}", "data", data, "context", ev->attributes);
    const char *name = strncmp(ev->source, "//", 2) == 0 ? strchr(ev->source + 2, '/') : NULL;
    if (name == NULL || name[1] == '\0') {
        json_decref(data);
        ff_error_set(err, -1, "CloudEvent source '%.100s' is not //service/resource", ev->source);
        return NULL;
    }
    char service[128];
    snprintf(service, sizeof(service), "%.*s", (int)(name - ev->source - 2), ev->source + 2);
    json_t *resource = legacy_resource(service, name + 1, ev->subject, &data);
    json_t *ctx =
        json_pack("{s:s, s:s, s:o}", "eventId", ev->id, "eventType", legacy_type, "resource", resource);
    if (ctx != NULL && ev->time != NULL)
        json_object_set_new(ctx, "timestamp", json_string(ev->time));
    json_t *out = json_pack("{s:o, s:o}", "data", data, "context", ctx);
    if (out == NULL)
        ff_error_set(err, -1, "out of memory");
    return out;
}
