/* rtc.h: the libuv glue of the WebRTC data plane.
 *
 * Owns the one UDP socket (rtc.udp_port) that carries every participant's
 * traffic, the server's DTLS certificate and every participant's peer
 * connection (transport/peer.h).  Datagrams are routed by source address
 * and, from a new address, by the ICE username of a STUN request (RFC 7983
 * demux by first byte).  Peer events become room manager calls; peers are
 * freed on the next timer turn, never inside their own callbacks.
 *
 * At most rtc.max_pending_handshakes DTLS handshakes are in flight (started,
 * neither connected nor failed); a peer whose ICE completes beyond that waits
 * in a first-come first-served queue and starts its handshake, within one
 * timer turn (10 ms), when a slot frees.  Each peer held back counts once as
 * a refusal of that cap. */
#ifndef DC_RTC_H
#define DC_RTC_H

#include <uv.h>

#include "config/config.h"
#include "server/metrics.h"
#include "transport/sctp.h"

struct rm;
struct participant;
struct rtc;

#define RTC_PEER_FAILURES 5  /* enum peer_failure values are below this */

struct rtc_stats {
    uint64_t dropped_unknown;     /* datagrams from addresses no peer owns */
    uint64_t udp_out_dropped;     /* datagrams the kernel refused to send */
    uint64_t peers_connected;     /* peer connections that came up */
    uint64_t peer_failed[RTC_PEER_FAILURES]; /* by enum peer_failure */
    size_t peers;                 /* peer connections open now */
    size_t handshakes_pending;    /* DTLS handshakes started and not finished */
    size_t handshakes_waiting;    /* held back by rtc.max_pending_handshakes */
    struct sctp_stats sctp;       /* summed over every association, past and present */
};

int rtc_start(struct rtc **out, uv_loop_t *loop, const struct config *cfg);
void rtc_set_rm(struct rtc *r, struct rm *rm);
void rtc_stop(struct rtc *r);
void rtc_free(struct rtc *r);
void rtc_stats(const struct rtc *r, struct rtc_stats *out);
/* Seconds from a DataPacket's arrival to the end of its fan-out (the room
 * manager's rm_data_received), measured here with a monotonic clock. */
const struct metrics_hist *rtc_fanout_hist(const struct rtc *r);

/* Room manager hooks (struct rm_sink_ops). */
char *rtc_answer(void *ctx, struct participant *p, const char *offer, size_t len, const char **why);
void rtc_peer_close(void *ctx, struct participant *p);
int rtc_send_data(struct participant *p, int kind, const uint8_t *data, size_t len);
/* rm_sink_ops.hold_data. */
void rtc_hold_data(struct participant *p, bool hold);

#endif
