/* pbjson.h: one generic converter between protobuf-c messages and their
 * proto3 JSON form, driven only by protobuf-c's descriptors (no per-message
 * code).  Used for the Twirp RoomService API and webhooks.
 *
 * Encoding follows the proto3 JSON mapping: lowerCamelCase names (protoc's
 * json_name rule) or, with PBJSON_PROTO_NAMES, the .proto names; enums as
 * value names (numbers when the value is not in the enum); 64-bit integers as
 * decimal strings; bytes as padded standard base64; map fields as objects;
 * repeated fields as arrays; of a oneof only the set member; floats and
 * doubles as numbers in their shortest round-trip form ("NaN", "Infinity" and
 * "-Infinity" as strings).  Proto3 fields with default values are omitted
 * unless PBJSON_EMIT_DEFAULTS is given; NULL sub-messages and unset oneof
 * members are always omitted.  Strings that are not valid UTF-8 are emitted
 * with U+FFFD in place of each invalid byte.  Fields come in field-number
 * order.
 *
 * Decoding accepts both the lowerCamelCase and the .proto field names; enums
 * as names or numbers; integers as JSON numbers or numeric strings (64-bit
 * values above 2^63-1 only as strings); bytes in either base64 alphabet,
 * padded or not; null for any field (the field keeps its default).  Unknown
 * fields are ignored.  It rejects, with a message in `err`: malformed JSON
 * (including invalid UTF-8), a top level that is not an object, nesting
 * deeper than PBJSON_MAX_DEPTH, wrong value types, integers out of range of
 * the field type, unknown enum names, bad base64, strings containing NUL,
 * null inside arrays or as a map value, a field given twice (under both of
 * its names) and two members of one oneof.
 *
 * A map field is recognised the way protoc lays it out: a repeated field of a
 * nested message named <FieldName>Entry with fields key = 1 and value = 2.
 *
 * Ownership: pbjson_encode returns a malloc'd string the caller free()s.
 * pbjson_decode returns a message the caller releases with
 * protobuf_c_message_free_unpacked(msg, NULL), which frees everything in it.
 * Both return NULL on failure; neither keeps state. */
#ifndef DC_PBJSON_H
#define DC_PBJSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

enum { PBJSON_PROTO_NAMES = 1, PBJSON_EMIT_DEFAULTS = 2 };

/* Maximum nesting of JSON objects and arrays accepted by pbjson_decode
 * (the top-level object counts as 1) and of messages in pbjson_encode. */
#define PBJSON_MAX_DEPTH 32

/* Returns a malloc'd NUL-terminated JSON text, or NULL if `msg` is NULL, has
 * no valid descriptor or nests deeper than PBJSON_MAX_DEPTH. */
char *pbjson_encode(const ProtobufCMessage *msg, int flags);

/* Parses `len` bytes of JSON into a new message of type `desc`.  On failure
 * returns NULL and writes a NUL-terminated message to `err` (if errlen > 0),
 * e.g. `field "kind": unknown enum value "FOO"`. */
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json,
                                size_t len, char *err, size_t errlen);

#endif
