/* peer_sctp.h: a peer's SCTP association on one of two stacks.
 *
 * PEER_SCTP_NATIVE is dcsfu's own SCTP (transport/sctpc_dc.h): its output
 * waits for peer_sctp_flush, which the owner calls once per loop turn, so a
 * turn's messages and acknowledgements share packets; its timers run from
 * peer_sctp_tick.  PEER_SCTP_USRSCTP is usrsctp (transport/sctp.h): it
 * sends at once (peer_sctp_hold groups sends into shared packets) and its
 * timers run from the process-wide sctp_tick.  Both take the same
 * callbacks and follow sctp.h's contract; this module only dispatches.
 * Return codes as sctp.h. */
#ifndef DC_PEER_SCTP_H
#define DC_PEER_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/sctp.h"

enum peer_sctp_impl { PEER_SCTP_NATIVE = 0, PEER_SCTP_USRSCTP = 1 };

struct sctpc_dc;

struct peer_sctp {
    enum peer_sctp_impl impl;
    struct sctpc_dc *native;
    struct sctp_assoc *usr;
};

/* Creates the association and starts it (both ends connect once DTLS is
 * up).  0, DC_EIO. */
int peer_sctp_open(struct peer_sctp *s, enum peer_sctp_impl impl, const struct sctp_callbacks *cb,
                   void *ctx, uint32_t max_message_size, uint32_t remote_max_message_size,
                   uint64_t now_ms);
/* NULL association: no-op.  Leaves *s empty. */
void peer_sctp_free(struct peer_sctp *s);
bool peer_sctp_exists(const struct peer_sctp *s);
void peer_sctp_feed(struct peer_sctp *s, const uint8_t *pkt, size_t len, uint64_t now_ms);
int peer_sctp_send(struct peer_sctp *s, uint16_t stream, uint32_t ppid, const uint8_t *data,
                   size_t len);
void peer_sctp_hold(struct peer_sctp *s, bool hold);
/* Sends what the turn queued (native; usrsctp has sent already). */
void peer_sctp_flush(struct peer_sctp *s, uint64_t now_ms);
/* Runs the association's timers that are due (native; usrsctp's run from
 * sctp_tick). */
void peer_sctp_tick(struct peer_sctp *s, uint64_t now_ms);
/* When the native association next wants peer_sctp_tick (absolute, in the
 * now_ms clock), UINT64_MAX if never; usrsctp runs on sctp_tick instead. */
uint64_t peer_sctp_next_timer(const struct peer_sctp *s);
void peer_sctp_counters(const struct peer_sctp *s, struct sctp_stats *out);
/* Bytes queued in the association (unsent or unacknowledged), and in
 * *capacity the most it takes; both 0 without an association. */
size_t peer_sctp_buffered(const struct peer_sctp *s, size_t *capacity);
/* "native" or "usrsctp" into *out; DC_EINVAL for anything else. */
int peer_sctp_impl_parse(const char *name, enum peer_sctp_impl *out);
const char *peer_sctp_impl_name(enum peer_sctp_impl impl);

#endif
