/*
 * cloudevent.h - builds an ff_cloudevent from an HTTP request (CloudEvents 1.0 HTTP
 * binding: binary content mode with ce-* headers, or structured content mode with an
 * application/cloudevents+json body), or from a legacy Google Cloud Functions event.
 */
#ifndef FF_CLOUDEVENT_H
#define FF_CLOUDEVENT_H

#include "request.h"

/*
 * Parses req into ev. On success returns 0 and ev's strings point into ev->attributes
 * and req; release with ff_cloudevent_dispose. On a malformed event returns -1 with err
 * saying why (the caller answers 400) and ev needs no release.
 */
int ff_cloudevent_parse(ff_request *req, ff_cloudevent *ev, ff_error *err);
void ff_cloudevent_dispose(ff_cloudevent *ev);
/* Nonzero for a binary-mode (ce-* headers) / structured-mode (application/cloudevents+json) request. */
int ff_cloudevent_is_binary(const ff_request *req);
int ff_cloudevent_is_structured(const ff_request *req);

#endif
