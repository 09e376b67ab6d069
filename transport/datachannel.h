/* datachannel.h: the data channels of one SCTP association (RFC 8831).
 *
 * A table of channels keyed by SCTP stream id, with each channel's label,
 * protocol and DCEP channel type, and the rules that turn a channel type
 * into per-message send parameters.  Pure bookkeeping: no SCTP, no I/O;
 * transport/sctp.c drives it (DCEP exchange, stream resets).
 *
 * Life of a channel: a channel we open starts OPENING (our OPEN sent; until
 * the peer's ACK arrives its messages go ordered so that they cannot
 * overtake the OPEN, RFC 8832 section 6) and becomes OPEN on the ACK; a
 * channel the peer opens is OPEN at once (we ACK it).  Closing resets the
 * outgoing stream (CLOSING) and the channel is removed once the peer has
 * reset its side too.
 *
 * The table owns its channels and their strings; pointers returned by
 * datachannel_find stay valid until that channel is removed or the table
 * is freed.  A handful of channels per association is the norm, so lookups
 * scan a small array. */
#ifndef DC_DATACHANNEL_H
#define DC_DATACHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum datachannel_state { DATACHANNEL_OPENING, DATACHANNEL_OPEN, DATACHANNEL_CLOSING };

struct datachannel {
    uint16_t stream;
    uint8_t type; /* DCEP channel type */
    uint16_t priority;
    uint32_t reliability; /* max retransmissions or lifetime (ms), per type */
    bool local;           /* opened by us */
    bool ack_pending;     /* the peer's OPEN still awaits our ACK (buffer was full) */
    enum datachannel_state state;
    char *label;    /* NUL-terminated, never NULL */
    char *protocol; /* NUL-terminated, never NULL ("" if none) */
};

struct datachannel_table {
    struct datachannel *v;
    size_t n, cap;
};

/* Partial-reliability policy of a message (maps onto SCTP PR policies). */
enum datachannel_pr { DATACHANNEL_PR_NONE, DATACHANNEL_PR_RTX, DATACHANNEL_PR_TTL };

struct datachannel_send_params {
    bool unordered;
    enum datachannel_pr pr;
    uint32_t pr_value; /* retransmissions or milliseconds */
};

void datachannel_table_init(struct datachannel_table *t);
void datachannel_table_free(struct datachannel_table *t);
struct datachannel *datachannel_find(struct datachannel_table *t, uint16_t stream);
/* Adds a channel (strings copied; NULL protocol means "").  NULL if the
 * stream already has one. */
struct datachannel *datachannel_add(struct datachannel_table *t, uint16_t stream, uint8_t type,
                                    uint32_t reliability, const char *label, size_t label_len,
                                    const char *protocol, size_t protocol_len, bool local);
/* Removes and frees the stream's channel; false if there was none. */
bool datachannel_remove(struct datachannel_table *t, uint16_t stream);
/* The DCEP channel type for ordered/unordered with max_rexmit retransmissions
 * (max_rexmit < 0: fully reliable). */
uint8_t datachannel_type_for(bool ordered, int max_rexmit);
/* How a user message on `c` is sent.  While OPENING, always ordered. */
void datachannel_send_params(const struct datachannel *c, struct datachannel_send_params *p);
struct sctp_callbacks;
struct sctp_stats;

/* An incoming message, shared by both SCTP stacks: user data (PPID 51/53,
 * or 56/57 as an empty message) on a stream with a channel goes to
 * cb->on_message(ctx, ...) and is counted in st; on a stream without a
 * channel, or with any other PPID, it is dropped and counted.  Returns true
 * for DCEP (PPID 50), which the caller handles itself. */
bool datachannel_deliver(struct datachannel_table *t, const struct sctp_callbacks *cb,
                         void *ctx, struct sctp_stats *st, uint16_t stream, uint32_t ppid,
                         const uint8_t *d, size_t n);

/* The checks of a user message send, shared by both SCTP stacks: ppid 51/53
 * (an empty message goes as 56/57, which passing 56/57 with len 0 also
 * does) into *wire, the stream's open channel and its send params into *p.
 * 0, DC_EINVAL (bad ppid or data), DC_ENOTFOUND (no open channel),
 * DC_ETOOBIG (len over send_limit). */
int datachannel_prepare_send(struct datachannel_table *t, uint16_t stream, uint32_t ppid,
                             const uint8_t *data, size_t len, size_t send_limit, uint32_t *wire,
                             struct datachannel_send_params *p);

#endif
