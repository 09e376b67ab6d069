/* dcep.h: the Data Channel Establishment Protocol (RFC 8832), parse and build.
 *
 * Pure functions over byte buffers: no allocation, no I/O.  A DCEP message
 * travels as one SCTP user message with PPID 50 (DCEP_PPID_CONTROL); its
 * first byte is the message type.  DATA_CHANNEL_OPEN is a 12-byte header
 * (type, channel type, priority, reliability parameter, label length,
 * protocol length, all big-endian) followed by the label and the protocol;
 * DATA_CHANNEL_ACK is the single type byte.
 *
 * Parsing is strict: the message must be exactly as long as its header
 * says, the channel type must be one RFC 8832 defines, and the label and
 * protocol may not contain a NUL byte (callers hand them on as C strings).
 * Parsed label/protocol pointers borrow from the input buffer.
 *
 * Return codes: parsers 0 or DC_EPROTO; builders the number of bytes written,
 * DC_ETOOBIG when `cap` is too small, DC_EINVAL for an invalid channel type. */
#ifndef DC_DCEP_H
#define DC_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SCTP payload protocol identifiers used by WebRTC data channels (RFC 8831). */
enum dcep_ppid {
    DCEP_PPID_CONTROL = 50,
    DCEP_PPID_STRING = 51,
    DCEP_PPID_STRING_PARTIAL = 52, /* deprecated */
    DCEP_PPID_BINARY = 53,
    DCEP_PPID_BINARY_PARTIAL = 54, /* deprecated */
    DCEP_PPID_STRING_EMPTY = 56,
    DCEP_PPID_BINARY_EMPTY = 57,
};

enum dcep_msg_type { DCEP_MSG_ACK = 0x02, DCEP_MSG_OPEN = 0x03 };

/* Channel types: bit 0x80 means unordered; the low bits pick the policy. */
enum dcep_channel_type {
    DCEP_CHANNEL_RELIABLE = 0x00,
    DCEP_CHANNEL_REXMIT = 0x01, /* reliability = max retransmissions */
    DCEP_CHANNEL_TIMED = 0x02,  /* reliability = lifetime in ms */
    DCEP_CHANNEL_RELIABLE_UNORDERED = 0x80,
    DCEP_CHANNEL_REXMIT_UNORDERED = 0x81,
    DCEP_CHANNEL_TIMED_UNORDERED = 0x82,
};

#define DCEP_OPEN_HEADER_LEN 12
#define DCEP_PRIORITY_NORMAL 256

struct dcep_open {
    uint8_t channel_type;
    uint16_t priority;
    uint32_t reliability;
    const char *label; /* not NUL-terminated; may be NULL when label_len is 0 */
    uint16_t label_len;
    const char *protocol;
    uint16_t protocol_len;
};

bool dcep_channel_type_valid(uint8_t type);
static inline bool dcep_channel_type_ordered(uint8_t type) { return (type & 0x80) == 0; }

/* The message type byte of a DCEP message, or DC_EPROTO if it is empty. */
int dcep_message_type(const uint8_t *buf, size_t len);
int dcep_parse_open(const uint8_t *buf, size_t len, struct dcep_open *out);
int dcep_parse_ack(const uint8_t *buf, size_t len);

size_t dcep_open_size(const struct dcep_open *o);
int dcep_build_open(const struct dcep_open *o, uint8_t *out, size_t cap);
int dcep_build_ack(uint8_t *out, size_t cap);

#endif
