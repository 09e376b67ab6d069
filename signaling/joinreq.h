/* joinreq.h: turn what a client puts in the signalling URL into a
 * livekit JoinRequest.  Pure decoding: no I/O, no clock, no logging.
 *
 * /rtc/v1 carries one `join_request` parameter: base64 (URL-safe or standard
 * alphabet, padded or not) of a WrappedJoinRequest whose join_request bytes
 * are a serialized JoinRequest, gzip-compressed (RFC 1952) when
 * compression == GZIP.  joinreq_decode_v1() undoes the layers.  `param` is
 * the parameter value after percent-decoding (see query_get()), `len` its
 * length.  `max_bytes` bounds the decoded wrapped message and the serialized
 * JoinRequest (the gunzipped size for GZIP); inflating stops as soon as more
 * than `max_bytes` would be produced, so a gzip bomb never makes it allocate
 * more than `max_bytes` plus its input.  Strings anywhere in the request must be
 * valid UTF-8 (as proto3 requires).
 *
 * /rtc (v0) carries client info and settings as separate query parameters;
 * joinreq_from_query_v0() builds the equivalent JoinRequest from the raw
 * (still percent-encoded) query string: sdk, version, protocol,
 * client_protocol, os, os_version, device_model, browser, browser_version,
 * network, capabilities (comma-separated Capability names; unknown names are
 * skipped), auto_subscribe (default true), adaptive_stream, disable_ice_lite,
 * subscriber_allow_pause and auto_subscribe_data_track (presence kept through
 * the `_opt` oneofs), reconnect, reconnect_reason, sid (-> participant_sid,
 * copied whenever present: meaningful only with reconnect) and attributes
 * (base64 of a JSON object of strings -> participant_attributes).  Booleans
 * are true for "1" or "true".  Numbers that do not parse are 0.
 *
 * Both return 0 and set *out to a request the caller frees with
 * livekit__join_request__free_unpacked(*out, NULL); on failure *out is NULL
 * and a negative DC_E* code is returned with *why (if `why` is non-NULL)
 * pointing to a static plain-text message, LiveKit's wording where it has
 * one:
 *   DC_EINVAL  "join_request is required" (empty param),
 *              "cannot base64 decode wrapped join request",
 *              "cannot unmarshal wrapped join request",
 *              "cannot decompress join request",
 *              "cannot unmarshal join request" (also invalid UTF-8),
 *              "cannot decode attributes" (v0),
 *              "invalid UTF-8 in query parameters" (v0),
 *              "unsupported join request compression"
 *   DC_ETOOBIG "join request too large" */
#ifndef DC_JOINREQ_H
#define DC_JOINREQ_H

#include <stddef.h>

#include "livekit_rtc.pb-c.h"

int joinreq_decode_v1(const char *param, size_t len, size_t max_bytes, Livekit__JoinRequest **out,
                      const char **why);
int joinreq_from_query_v0(const char *query, Livekit__JoinRequest **out, const char **why);

#endif
