/* rtc.h: the libuv glue of the WebRTC data plane.
 *
 * Owns the one UDP socket (rtc.udp_port) that carries every participant's
 * traffic, the server's DTLS certificate and every participant's peer
 * connection (transport/peer.h).  Datagrams are routed by source address
 * and, from a new address, by the ICE username of a STUN request (RFC 7983
 * demux by first byte).  Peer events become room manager calls; peers are
 * freed on the next timer turn, never inside their own callbacks. */
#ifndef DC_RTC_H
#define DC_RTC_H

#include <uv.h>

#include "config/config.h"

struct rm;
struct participant;
struct rtc;

int rtc_start(struct rtc **out, uv_loop_t *loop, const struct config *cfg);
void rtc_set_rm(struct rtc *r, struct rm *rm);
void rtc_stop(struct rtc *r);
void rtc_free(struct rtc *r);

/* Room manager hooks (struct rm_sink_ops). */
char *rtc_answer(void *ctx, struct participant *p, const char *offer, size_t len, const char **why);
void rtc_peer_close(void *ctx, struct participant *p);
int rtc_send_data(struct participant *p, int kind, const uint8_t *data, size_t len);

#endif
