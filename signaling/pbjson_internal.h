/* pbjson_internal.h: descriptor helpers shared by pbjson.c (decoding) and
 * pbjson_enc.c (encoding).  Not part of the module's API. */
#ifndef DC_PBJSON_INTERNAL_H
#define DC_PBJSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Address of the member at byte offset `off` of a message. */
static inline void *pbjson_member(const void *msg, unsigned off)
{
    return (char *)msg + off;
}

/* One step of protoc's json_name rule: '_' is dropped (returns 0 and sets
 * *up) and an ASCII lower-case letter after it is upper-cased. */
char pbjson_camel_step(char ch, bool *up);
/* Storage size of one element of a repeated field of type `t`. */
size_t pbjson_elt_size(ProtobufCType t);
/* Entry descriptor if `f` (a field of `parent`) is a map field, else NULL. */
const ProtobufCMessageDescriptor *pbjson_map_entry(const ProtobufCMessageDescriptor *parent,
                                                  const ProtobufCFieldDescriptor *f);

#endif
