/* stun.h: the subset of STUN (RFC 5389 / RFC 8489) that ICE connectivity
 * checks need (RFC 8445), I/O-free.
 *
 * What it does: recognises STUN among the datagrams sharing a port (RFC 7983
 * demultiplexing), parses a message with bounds checks on every attribute,
 * verifies MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials: the key is
 * the ICE password) and FINGERPRINT, and builds Binding requests, Binding
 * success responses and error responses.
 *
 * What it does not do: long-term credentials (REALM, NONCE), the
 * MESSAGE-INTEGRITY-SHA256 and USERHASH attributes of RFC 8489,
 * retransmissions, TURN.  Those attributes show up in the unknown list like
 * any other comprehension-required attribute this module does not process.
 *
 * Ownership: stun_parse keeps pointers into the caller's buffer
 * (stun_msg.username), valid as long as that buffer is.  Builders write into
 * the caller's buffer and return the message length, or 0 when `cap` is too
 * small (the buffer content is then unspecified).
 *
 * Return codes: stun_parse returns 0 or DC_EPROTO (malformed header or
 * attribute, attribute after FINGERPRINT, wrong FINGERPRINT). */
#ifndef DC_STUN_H
#define DC_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN 20
#define STUN_TID_LEN 12
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554eu
#define STUN_MAX_UNKNOWN 8       /* unknown attribute types recorded per message */
#define STUN_MAX_USERNAME 513    /* bytes, RFC 8489 14.3 */

/* Methods and classes. */
#define STUN_METHOD_BINDING 0x001

enum stun_class {
    STUN_CLASS_REQUEST = 0,
    STUN_CLASS_INDICATION = 1,
    STUN_CLASS_SUCCESS = 2,
    STUN_CLASS_ERROR = 3,
};

/* Attribute types used here. */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A

/* Error codes answered by an ICE agent. */
#define STUN_ERR_BAD_REQUEST 400
#define STUN_ERR_UNAUTHORIZED 401
#define STUN_ERR_UNKNOWN_ATTRIBUTE 420
#define STUN_ERR_ROLE_CONFLICT 487

/* A parsed message.  Only the first occurrence of an attribute counts;
 * attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored
 * (RFC 5389 15.4). */
struct stun_msg {
    uint16_t type;   /* raw 14-bit message type */
    uint16_t method; /* STUN_METHOD_* */
    enum stun_class cls;
    uint8_t tid[STUN_TID_LEN];

    const uint8_t *username; /* into the parsed buffer, NULL if absent */
    size_t username_len;

    bool has_integrity;
    size_t integrity_off; /* offset of the MESSAGE-INTEGRITY attribute header */
    bool has_fingerprint; /* present and verified (a wrong one fails the parse) */

    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool ice_controlling;
    bool ice_controlled;
    uint64_t tiebreaker; /* from ICE-CONTROLLING or ICE-CONTROLLED */

    bool has_mapped; /* XOR-MAPPED-ADDRESS (responses) */
    struct sockaddr_storage mapped;
    int error_code; /* ERROR-CODE (error responses), 0 if absent */

    uint16_t unknown[STUN_MAX_UNKNOWN]; /* comprehension-required types not understood */
    size_t n_unknown;
};

/* RFC 7983 demultiplexing plus header sanity: first byte 0..3, at least a
 * header, magic cookie, length field a multiple of 4 equal to n - 20. */
bool stun_is_stun(const uint8_t *b, size_t n);

/* Parses b[0..n) into *out (fully overwritten).  0 or DC_EPROTO. */
int stun_parse(const uint8_t *b, size_t n, struct stun_msg *out);

/* Verifies MESSAGE-INTEGRITY of a message parsed from the same b[0..n) with
 * the given key (for ICE: the password of the agent that received the
 * request, or of the agent that sent the request, for a response).  False
 * when the message has no MESSAGE-INTEGRITY.  Constant-time comparison. */
bool stun_check_integrity(const uint8_t *b, size_t n, const struct stun_msg *m,
                          const uint8_t *key, size_t keylen);

/* The local ufrag from a Binding request's USERNAME ("<local>:<remote>" from
 * the receiver's point of view): copies the part before the first ':' into
 * out with a NUL and returns its length.  0 when there is no USERNAME, no
 * ':', an empty part, or it does not fit in cap - 1. */
size_t stun_username_local_ufrag(const struct stun_msg *m, char *out, size_t cap);

/* ---- building --------------------------------------------------------- */

/* Binding success response: XOR-MAPPED-ADDRESS of `mapped` (AF_INET or
 * AF_INET6; an IPv4-mapped IPv6 address is written as IPv4), then
 * MESSAGE-INTEGRITY when key is not NULL, then FINGERPRINT.  Returns the
 * length, or 0 if cap is too small or the family is not supported. */
size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                                  const struct sockaddr *mapped, const uint8_t *key,
                                  size_t keylen);

enum stun_role { STUN_ROLE_NONE = 0, STUN_ROLE_CONTROLLING, STUN_ROLE_CONTROLLED };

struct stun_binding_opts {
    const char *username;  /* "<receiver ufrag>:<sender ufrag>", NULL to omit */
    uint32_t priority;     /* PRIORITY, 0 to omit */
    enum stun_role role;   /* ICE-CONTROLLING / ICE-CONTROLLED with tiebreaker */
    uint64_t tiebreaker;
    bool use_candidate;
};

/* Binding request: USERNAME, PRIORITY, role attribute, USE-CANDIDATE as
 * asked, then MESSAGE-INTEGRITY when key is not NULL, then FINGERPRINT.
 * Returns the length, or 0 if cap is too small or the username is longer
 * than STUN_MAX_USERNAME. */
size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                                  const struct stun_binding_opts *o, const uint8_t *key,
                                  size_t keylen);

/* Error response to a request of `method`: ERROR-CODE with `code` (300..699)
 * and its standard reason phrase, UNKNOWN-ATTRIBUTES when n_unknown > 0
 * (for 420), MESSAGE-INTEGRITY when key is not NULL, FINGERPRINT.  Returns
 * the length, or 0 if cap is too small or code is out of range. */
size_t stun_build_error(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                        uint16_t method, int code, const uint16_t *unknown, size_t n_unknown,
                        const uint8_t *key, size_t keylen);

/* ---- low-level writer (used by the builders; also for tests and peers) --
 * Starts a message with the given raw type; each call appends one attribute
 * (value zero-padded to 4 bytes) and keeps the header length field current.
 * Once anything does not fit, the writer is marked failed and later calls do
 * nothing; stun_writer_finish then returns 0. */
struct stun_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool failed;
};

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t tid[STUN_TID_LEN]);
void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *value, size_t len);
void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t v);
/* XOR-MAPPED-ADDRESS style address (RFC 5389 15.2); fails the writer for a
 * family other than AF_INET / AF_INET6. */
void stun_writer_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa);
void stun_writer_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen);
void stun_writer_fingerprint(struct stun_writer *w);
size_t stun_writer_finish(const struct stun_writer *w);

/* Message type from method and class. */
uint16_t stun_type(uint16_t method, enum stun_class cls);

#endif
