/* sctpc_dc.h: WebRTC data channels (RFC 8831/8832) on the native SCTP core.
 *
 * The same contract as transport/sctp.h (the usrsctp-based association),
 * with the same callback, stats and channel-info structures, so that the
 * server can move from one to the other by renaming calls: read sctp.h for
 * channels, DCEP, message PPIDs, empty messages, size limits, close
 * reasons, backpressure and return codes.  The differences:
 *
 *  - Output is batched: sends and feeds only queue; packets go out when the
 *    owner calls sctpc_dc_flush (once per loop turn, after feeding and
 *    sending) or sctpc_dc_tick.  There is no global tick: each association
 *    has its timers (sctpc_dc_next_timer says when to call sctpc_dc_tick).
 *  - Time is passed in: connect, feed, flush and tick take now_ms; sends
 *    use the time of the latest of those calls (for message lifetimes).
 *  - No process-wide library state: nothing to initialise or shut down.
 *
 * As in sctp.h, callbacks run inside sctpc_dc_feed / _flush / _tick; send
 * must not call back into this module; the others may send, open, close
 * and free (a free from inside a callback of the same association is
 * deferred until its outermost call returns, and no further callback
 * follows; from outside, sctpc_dc_free sends an ABORT first). */
#ifndef DC_SCTPC_DC_H
#define DC_SCTPC_DC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/sctp.h"

struct sctpc_dc;

/* As sctp_assoc_new (port 0: 5000; max_message_size 0: 256 KiB, capped at
 * 16 MiB; remote_max_message_size 0: no limit beyond the send buffer). */
struct sctpc_dc *sctpc_dc_new(const struct sctp_callbacks *cb, void *ctx, uint16_t port,
                              uint32_t max_message_size, uint32_t remote_max_message_size);
void sctpc_dc_free(struct sctpc_dc *a);
int sctpc_dc_connect(struct sctpc_dc *a, uint64_t now_ms);
void sctpc_dc_feed(struct sctpc_dc *a, const uint8_t *pkt, size_t len, uint64_t now_ms);
void sctpc_dc_flush(struct sctpc_dc *a, uint64_t now_ms);
void sctpc_dc_tick(struct sctpc_dc *a, uint64_t now_ms);
/* Absolute time of the next sctpc_dc_tick it needs, UINT64_MAX if none. */
uint64_t sctpc_dc_next_timer(const struct sctpc_dc *a);

int sctpc_dc_send(struct sctpc_dc *a, uint16_t stream, uint32_t ppid, const uint8_t *data,
                  size_t len);
/* Parity with sctp_assoc_hold (usrsctp's Nagle switch): this layer always
 * holds everything until sctpc_dc_flush, so it only checks the association.
 * 0, DC_ECLOSED, DC_EINVAL. */
int sctpc_dc_hold(struct sctpc_dc *a, bool hold);
int sctpc_dc_open_channel(struct sctpc_dc *a, uint16_t stream, const char *label, bool ordered,
                          int max_rexmit);
int sctpc_dc_close_channel(struct sctpc_dc *a, uint16_t stream);
int sctpc_dc_shutdown(struct sctpc_dc *a);

bool sctpc_dc_is_open(const struct sctpc_dc *a);
bool sctpc_dc_channel_info(const struct sctpc_dc *a, uint16_t stream,
                           struct sctp_channel_info *out);
size_t sctpc_dc_buffered(const struct sctpc_dc *a);
/* The most sctpc_dc_buffered can reach. */
size_t sctpc_dc_send_buffer(const struct sctpc_dc *a);
void sctpc_dc_set_low_water(struct sctpc_dc *a, size_t bytes);
void sctpc_dc_stats(const struct sctpc_dc *a, struct sctp_stats *out);

#endif
