/*
 * test_legacy_event.c - legacy Google Cloud Functions events <-> CloudEvents: the
 * per-service mappings (type, source, subject, data) in both directions, and the
 * refusals (unknown type, resource not in its service's form, database without domain).
 * The conformance client checks the same mappings on its fixtures (make conformance).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../runtime/src/ff/legacy_event.h"

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    cr_assert_not_null(j, "bad test JSON: %s", jerr.text);
    return j;
}

static const char *attr(const ff_cloudevent *ev, const char *name)
{
    return json_string_value(json_object_get(ev->attributes, name));
}

/* Converts a legacy event; asserts success. Release with release(). */
static ff_cloudevent convert(const char *legacy)
{
    json_t *body = load(legacy);
    cr_assert(ff_legacy_is_event(body));
    ff_cloudevent ev = {0};
    ff_error err = {0};
    cr_assert_eq(ff_legacy_to_cloudevent(body, &ev, &err), 0, "%s", err.message);
    json_decref(body);
    return ev;
}

static void release(ff_cloudevent *ev)
{
    json_decref(ev->attributes);
    json_decref(ev->data);
}

static void expect_refused(const char *legacy, const char *mention)
{
    json_t *body = load(legacy);
    ff_cloudevent ev = {0};
    ff_error err = {0};
    cr_expect_neq(ff_legacy_to_cloudevent(body, &ev, &err), 0, "accepted: %s", legacy);
    cr_expect(strstr(err.message, mention) != NULL, "[%s] does not mention %s", err.message, mention);
    cr_expect_null(ev.attributes);
    json_decref(body);
}

#define CTX "\"eventId\":\"e1\",\"timestamp\":\"2020-09-29T11:32:00.123Z\""

Test(legacy_to_ce, storage_splits_bucket_and_object_and_drops_generation)
{
    ff_cloudevent ev = convert("{\"context\":{" CTX ",\"eventType\":\"google.storage.object.finalize\","
                               "\"resource\":{\"service\":\"storage.googleapis.com\",\"name\":"
                               "\"projects/_/buckets/b/objects/dir/f.txt#1588778055917163\"}},"
                               "\"data\":{\"kind\":\"storage#object\"}}");
    cr_expect_str_eq(attr(&ev, "type"), "google.cloud.storage.object.v1.finalized");
    cr_expect_str_eq(attr(&ev, "source"), "//storage.googleapis.com/projects/_/buckets/b");
    cr_expect_str_eq(attr(&ev, "subject"), "objects/dir/f.txt");
    cr_expect_str_eq(attr(&ev, "id"), "e1");
    cr_expect_str_eq(attr(&ev, "time"), "2020-09-29T11:32:00.123Z");
    cr_expect_str_eq(attr(&ev, "specversion"), "1.0");
    cr_expect_str_eq(attr(&ev, "datacontenttype"), "application/json");
    cr_expect_str_eq(json_string_value(json_object_get(ev.data, "kind")), "storage#object");
    release(&ev);
}

Test(legacy_to_ce, pubsub_wraps_the_message_with_id_and_time)
{
    ff_cloudevent ev = convert("{" CTX ",\"eventType\":\"providers/cloud.pubsub/eventTypes/topic.publish\","
                               "\"resource\":\"projects/p/topics/t\",\"data\":{\"data\":\"aGk=\"}}");
    cr_expect_str_eq(attr(&ev, "type"), "google.cloud.pubsub.topic.v1.messagePublished");
    cr_expect_str_eq(attr(&ev, "source"), "//pubsub.googleapis.com/projects/p/topics/t");
    cr_expect_null(attr(&ev, "subject"));
    json_t *m = json_object_get(ev.data, "message");
    cr_expect_str_eq(json_string_value(json_object_get(m, "data")), "aGk=");
    cr_expect_str_eq(json_string_value(json_object_get(m, "messageId")), "e1");
    cr_expect_str_eq(json_string_value(json_object_get(m, "publishTime")), "2020-09-29T11:32:00.123Z");
    release(&ev);
}

Test(legacy_to_ce, firestore_document_subject)
{
    ff_cloudevent ev =
        convert("{" CTX ",\"eventType\":\"providers/cloud.firestore/eventTypes/document.write\","
                "\"resource\":\"projects/p/databases/(default)/documents/c/d\",\"data\":{}}");
    cr_expect_str_eq(attr(&ev, "type"), "google.cloud.firestore.document.v1.written");
    cr_expect_str_eq(attr(&ev, "source"), "//firestore.googleapis.com/projects/p/databases/(default)");
    cr_expect_str_eq(attr(&ev, "subject"), "documents/c/d");
    release(&ev);
}

Test(legacy_to_ce, auth_renames_metadata_and_takes_the_uid_as_subject)
{
    ff_cloudevent ev = convert("{" CTX ",\"eventType\":\"providers/firebase.auth/eventTypes/user.create\","
                               "\"resource\":\"projects/p\",\"data\":{\"uid\":\"u1\",\"metadata\":"
                               "{\"createdAt\":\"a\",\"lastSignedInAt\":\"b\"}}}");
    cr_expect_str_eq(attr(&ev, "source"), "//firebaseauth.googleapis.com/projects/p");
    cr_expect_str_eq(attr(&ev, "subject"), "users/u1");
    json_t *md = json_object_get(ev.data, "metadata");
    cr_expect_str_eq(json_string_value(json_object_get(md, "createTime")), "a");
    cr_expect_str_eq(json_string_value(json_object_get(md, "lastSignInTime")), "b");
    cr_expect_null(json_object_get(md, "createdAt"));
    release(&ev);
}

Test(legacy_to_ce, database_location_from_domain)
{
    ff_cloudevent ev =
        convert("{" CTX ",\"eventType\":\"providers/google.firebase.database/eventTypes/ref.write\","
                "\"domain\":\"europe-west1.firebasedatabase.app\","
                "\"resource\":\"projects/_/instances/i/refs/a/b\",\"data\":null}");
    cr_expect_str_eq(attr(&ev, "type"), "google.firebase.database.ref.v1.written");
    cr_expect_str_eq(attr(&ev, "source"),
                     "//firebasedatabase.googleapis.com/projects/_/locations/europe-west1/instances/i");
    cr_expect_str_eq(attr(&ev, "subject"), "refs/a/b");
    release(&ev);
    ev = convert("{" CTX ",\"eventType\":\"providers/google.firebase.database/eventTypes/ref.delete\","
                 "\"domain\":\"firebaseio.com\",\"resource\":\"projects/_/instances/i/refs/x\",\"data\":1}");
    cr_expect_str_eq(attr(&ev, "source"),
                     "//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/i");
    release(&ev);
}

Test(legacy_to_ce, refusals)
{
    expect_refused("{" CTX ",\"eventType\":\"providers/x/eventTypes/y\",\"resource\":\"r\",\"data\":{}}",
                   "unknown legacy event type");
    expect_refused("{" CTX ",\"eventType\":\"providers/cloud.firestore/eventTypes/document.write\","
                   "\"resource\":\"projects/p/elsewhere\",\"data\":{}}",
                   "firestore.googleapis.com");
    expect_refused("{" CTX ",\"eventType\":\"providers/google.firebase.database/eventTypes/ref.write\","
                   "\"resource\":\"projects/_/instances/i/refs/x\",\"data\":{}}",
                   "domain");
    expect_refused(
        "{" CTX ",\"eventType\":\"providers/google.firebase.database/eventTypes/ref.write\","
        "\"domain\":\"evil.example/x\",\"resource\":\"projects/_/instances/i/refs/x\",\"data\":{}}",
        "domain");
    expect_refused("{" CTX
                   ",\"eventType\":\"google.pubsub.topic.publish\",\"resource\":\"projects/p/topics/t\","
                   "\"data\":\"not an object\"}",
                   "Pub/Sub");
    expect_refused("{" CTX ",\"eventType\":\"google.pubsub.topic.publish\",\"data\":{}}", "resource");
}

Test(legacy_to_ce, what_is_a_legacy_event)
{
    json_t *no_data = load("{\"eventType\":\"google.pubsub.topic.publish\"}");
    json_t *no_type = load("{\"data\":{},\"context\":{\"eventId\":\"1\"}}");
    json_t *ok = load("{\"data\":{},\"context\":{\"eventType\":\"x\"}}");
    cr_expect_not(ff_legacy_is_event(no_data));
    cr_expect_not(ff_legacy_is_event(no_type));
    cr_expect(ff_legacy_is_event(ok));
    json_t *legacy = ff_legacy_from_body(ok);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(legacy, "context"), "eventType")),
                     "x");
    json_decref(legacy);
    json_decref(no_data);
    json_decref(no_type);
    json_decref(ok);
}

/* ---- CloudEvent -> legacy --------------------------------------------------------------- */

static json_t *to_legacy(const char *type, const char *source, const char *subject, const char *data)
{
    json_t *attrs = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "e1", "type", type, "source", source,
                              "specversion", "1.0", "time", "2020-09-29T11:32:00.123Z");
    ff_cloudevent ev = {.id = "e1",
                        .type = type,
                        .source = source,
                        .specversion = "1.0",
                        .subject = subject,
                        .time = "2020-09-29T11:32:00.123Z",
                        .data = load(data),
                        .attributes = attrs};
    ff_error err = {0};
    json_t *legacy = ff_legacy_from_cloudevent(&ev, &err);
    cr_assert_not_null(legacy, "%s", err.message);
    json_decref(ev.data);
    json_decref(attrs);
    return legacy;
}

static json_t *ctx_of(json_t *legacy, const char *key)
{
    return json_object_get(json_object_get(legacy, "context"), key);
}

Test(ce_to_legacy, pubsub_unwraps_the_message)
{
    json_t *l = to_legacy("google.cloud.pubsub.topic.v1.messagePublished",
                          "//pubsub.googleapis.com/projects/p/topics/t", NULL,
                          "{\"message\":{\"data\":\"aGk=\",\"messageId\":\"e1\",\"publishTime\":\"t\"}}");
    cr_expect_str_eq(json_string_value(ctx_of(l, "eventType")), "google.pubsub.topic.publish");
    cr_expect_str_eq(json_string_value(ctx_of(l, "eventId")), "e1");
    cr_expect_str_eq(json_string_value(ctx_of(l, "timestamp")), "2020-09-29T11:32:00.123Z");
    json_t *res = ctx_of(l, "resource");
    cr_expect_str_eq(json_string_value(json_object_get(res, "name")), "projects/p/topics/t");
    cr_expect_str_eq(json_string_value(json_object_get(res, "type")),
                     "type.googleapis.com/google.pubsub.v1.PubsubMessage");
    json_t *data = json_object_get(l, "data");
    cr_expect_str_eq(json_string_value(json_object_get(data, "data")), "aGk=");
    cr_expect_null(json_object_get(data, "messageId"));
    cr_expect_null(json_object_get(data, "publishTime"));
    json_decref(l);
}

Test(ce_to_legacy, database_drops_the_location_and_storage_names_the_object)
{
    json_t *l = to_legacy("google.firebase.database.ref.v1.written",
                          "//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/i",
                          "refs/a", "{}");
    cr_expect_str_eq(json_string_value(ctx_of(l, "resource")), "projects/_/instances/i/refs/a");
    cr_expect_str_eq(json_string_value(ctx_of(l, "eventType")),
                     "providers/google.firebase.database/eventTypes/ref.write");
    json_decref(l);
    l = to_legacy("google.cloud.storage.object.v1.deleted", "//storage.googleapis.com/projects/_/buckets/b",
                  "objects/f", "{\"kind\":\"storage#object\"}");
    json_t *res = ctx_of(l, "resource");
    cr_expect_str_eq(json_string_value(json_object_get(res, "name")), "projects/_/buckets/b/objects/f");
    cr_expect_str_eq(json_string_value(json_object_get(res, "type")), "storage#object");
    cr_expect_str_eq(json_string_value(ctx_of(l, "eventType")), "google.storage.object.delete");
    json_decref(l);
}

Test(ce_to_legacy, auth_renames_metadata_back)
{
    json_t *l = to_legacy("google.firebase.auth.user.v1.created", "//firebaseauth.googleapis.com/projects/p",
                          "users/u", "{\"metadata\":{\"createTime\":\"a\",\"lastSignInTime\":\"b\"}}");
    cr_expect_str_eq(json_string_value(ctx_of(l, "resource")), "projects/p");
    json_t *md = json_object_get(json_object_get(l, "data"), "metadata");
    cr_expect_str_eq(json_string_value(json_object_get(md, "createdAt")), "a");
    cr_expect_str_eq(json_string_value(json_object_get(md, "lastSignedInAt")), "b");
    json_decref(l);
}

Test(ce_to_legacy, other_types_keep_their_attributes_and_bad_sources_fail)
{
    json_t *l = to_legacy("com.example.thing", "//anything", NULL, "{\"x\":1}");
    cr_expect_str_eq(json_string_value(ctx_of(l, "type")), "com.example.thing");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(l, "data"), "x")), 1);
    json_decref(l);
    ff_cloudevent ev = {.id = "1",
                        .type = "google.cloud.storage.object.v1.deleted",
                        .source = "storage",
                        .specversion = "1.0"};
    ff_error err = {0};
    cr_expect_null(ff_legacy_from_cloudevent(&ev, &err));
    cr_expect(strstr(err.message, "source") != NULL, "%s", err.message);
}
