/* udp_out.h: outgoing datagrams gathered during a loop turn and sent together.
 *
 * A fan-out to N receivers produces N datagrams in one go; they are copied
 * into a batch and handed to the kernel with one sendmmsg(2) per batch of up
 * to UDP_OUT_BATCH, at the end of the loop turn (a uv_check handle) or when
 * the batch fills.  A datagram larger than UDP_OUT_SLOT goes out at once.
 * UDP: a datagram the kernel refuses (buffer full) is dropped and counted. */
#ifndef DC_UDP_OUT_H
#define DC_UDP_OUT_H

#include <stdint.h>
#include <uv.h>

#define UDP_OUT_BATCH 64
#define UDP_OUT_SLOT 1500

struct udp_out;

struct udp_out *udp_out_new(uv_loop_t *loop, uv_udp_t *udp);
/* fn(ctx) runs at the end of each loop turn just before the batch goes out,
 * so that work gathered during the turn (data batches) joins it. */
void udp_out_before_flush(struct udp_out *o, void (*fn)(void *ctx), void *ctx);
void udp_out_send(struct udp_out *o, const struct sockaddr *to, const uint8_t *data, size_t len);
void udp_out_flush(struct udp_out *o);
/* Flushes, then closes the check handle; free after the loop ran its close callbacks. */
void udp_out_close(struct udp_out *o);
void udp_out_free(struct udp_out *o);
uint64_t udp_out_dropped(const struct udp_out *o);

#endif
