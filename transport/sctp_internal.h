/* sctp_internal.h: the association's state, shared by transport/sctp.c
 * (set-up, sending, public API) and transport/sctp_recv.c (incoming
 * messages and notifications), and by their unit tests; no other module
 * includes it.
 *
 * usrsctp facts both files rely on (0.9.5):
 *  - With a receive callback, usrsctp calls it from inside usrsctp_conninput
 *    (or a timer) with a malloc'd buffer the callback must free; data may be
 *    NULL (association gone).  A message is handed over whole (MSG_EOR set)
 *    unless it reaches the partial delivery point, min(SO_RCVBUF / 2,
 *    SCTP_PARTIAL_DELIVERY_POINT); then it arrives in pieces, possibly
 *    interleaved with other streams' messages, so reassembly is per stream.
 *  - With a receive callback every send is non-blocking, and a message that
 *    does not fit entirely in the send buffer fails with EWOULDBLOCK (or
 *    EMSGSIZE if it never could); nothing is sent in part.  Empty messages
 *    are not possible: RFC 8831 sends one zero byte with PPID 56/57.
 *  - The send callback reports the free space of the send buffer after
 *    SACKs; buffered = SO_SNDBUF - free.
 *  - SO_LINGER {1, 0} makes usrsctp_close abort and free the association
 *    right away, emitting the ABORT synchronously.
 *  - A stream reset goes out only once everything sent on that stream has
 *    been acknowledged (so possibly after a delayed SACK). */
#ifndef DC_SCTP_INTERNAL_H
#define DC_SCTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usrsctp.h>

#include "common/log.h"
#include "transport/datachannel.h"
#include "transport/sctp.h"

enum sctp_state { SCTP_ST_NEW, SCTP_ST_CONNECTING, SCTP_ST_OPEN, SCTP_ST_CLOSED };

/* A message usrsctp delivers in pieces, collected until MSG_EOR. */
struct sctp_partial {
    uint16_t stream;
    bool discard; /* over the limit: drop the rest of this message */
    uint8_t *buf;
    size_t len, cap;
};

struct sctp_assoc {
    struct sctp_callbacks cb;
    void *ctx;
    uintptr_t id;
    struct socket *sock;
    uint16_t port;
    enum sctp_state state;
    bool freeing; /* sctp_assoc_free called: no more callbacks */
    bool silent;  /* freed from inside a callback: not even cb->send */
    struct sctp_assoc *reap_next;
    uint32_t max_message_size;
    size_t send_limit; /* largest message sctp_assoc_send accepts */
    size_t sndbuf, buffered, low_water;
    bool want_writable;
    bool held;         /* sctp_assoc_hold: Nagle on while data is in flight */
    uint16_t out_streams;
    struct datachannel_table channels;
    struct sctp_partial *partials;
    size_t npartials;
    struct sctp_stats stats;
    unsigned warnings; /* peer-triggered warnings logged so far (rate limit) */
};

/* sctp.c */
int sctp_raw_send(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, const void *data,
                  size_t len, const struct datachannel_send_params *p);
int sctp_send_ack(struct sctp_assoc *a, uint16_t stream);
int sctp_reset_outgoing(struct sctp_assoc *a, uint16_t stream);

/* sctp_recv.c: usrsctp's receive and send-space callbacks (ulp = the id). */
int sctp_recv_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t len,
                 struct sctp_rcvinfo rcv, int flags, void *ulp);
int sctp_sendable_cb(struct socket *sock, uint32_t sb_free, void *ulp);
void sctp_partials_free(struct sctp_assoc *a);
/* A warning the peer can trigger at will: logged at warn level for the
 * first few per association, at debug level after that. */
#define SCTP_PEER_WARNINGS 5
static inline enum log_level sctp_peer_level(struct sctp_assoc *a)
{
    return a->warnings++ < SCTP_PEER_WARNINGS ? LOG_LVL_WARN : LOG_LVL_DEBUG;
}
#define SCTP_LOG_PEER(a, msg, ...)                                                                 \
    do {                                                                                           \
        enum log_level lvl_ = sctp_peer_level(a);                                                  \
        LOG_AT(lvl_, "sctp", msg, __VA_ARGS__);                                                    \
    } while (0)
/* One piece of a user message as usrsctp hands it over (MSG_EOR in flags
 * on the last piece); exposed for the unit tests. */
void sctp_recv_data(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, int flags,
                    const uint8_t *d, size_t n);

#endif
