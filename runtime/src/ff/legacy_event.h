/*
 * legacy_event.h - conversions between legacy (pre-CloudEvents) Google Cloud Functions
 * events and CloudEvents, with the mappings of the official Functions Frameworks
 * (event type, source, subject and data for Firebase Auth, Realtime Database,
 * Firestore, Analytics, Pub/Sub and Storage).
 *
 * A legacy event is a JSON object with "data" and a context (eventId, timestamp,
 * eventType, resource) either under "context" or at the top level.
 */
#ifndef FF_LEGACY_EVENT_H
#define FF_LEGACY_EVENT_H

#include "ff.h"

/* Nonzero when body is a JSON object with "data" and a context holding an eventType. */
int ff_legacy_is_event(const json_t *body);

/*
 * Converts the legacy event body into ev->attributes and ev->data (ev zeroed by the
 * caller; both new references ev owns). Returns 0, or -1 with err (unknown event type,
 * resource not in its service's form, Realtime Database event without its domain).
 */
int ff_legacy_to_cloudevent(const json_t *body, ff_cloudevent *ev, ff_error *err);

/* The {"data", "context"} pair of a legacy event body (new reference). */
json_t *ff_legacy_from_body(const json_t *body);

/*
 * The {"data", "context"} legacy form of a CloudEvent (new reference): the reverse
 * mapping for the known Google types, the attributes as context for others.
 * Returns NULL with err when the source is not "//service/name".
 */
json_t *ff_legacy_from_cloudevent(const ff_cloudevent *ev, ff_error *err);

#endif
