/* peer_sctp.c: dispatch to the native SCTP core or usrsctp (see peer_sctp.h). */
#include "transport/peer_sctp.h"

#include <string.h>

#include "common/err.h"
#include "transport/sctpc_dc.h"

#define SCTP_PORT 5000

int peer_sctp_open(struct peer_sctp *s, enum peer_sctp_impl impl, const struct sctp_callbacks *cb,
                   void *ctx, uint32_t max_message_size, uint32_t remote_max_message_size,
                   uint64_t now_ms)
{
    memset(s, 0, sizeof *s);
    s->impl = impl;
    if (impl == PEER_SCTP_NATIVE) {
        s->native = sctpc_dc_new(cb, ctx, SCTP_PORT, max_message_size, remote_max_message_size);
        if (!s->native || sctpc_dc_connect(s->native, now_ms) < 0)
            return DC_EIO;
        return 0;
    }
    s->usr = sctp_assoc_new(cb, ctx, SCTP_PORT, max_message_size, remote_max_message_size);
    if (!s->usr || sctp_assoc_connect(s->usr) < 0)
        return DC_EIO;
    return 0;
}

void peer_sctp_free(struct peer_sctp *s)
{
    sctpc_dc_free(s->native);
    sctp_assoc_free(s->usr);
    s->native = NULL;
    s->usr = NULL;
}

bool peer_sctp_exists(const struct peer_sctp *s)
{
    return s->native || s->usr;
}

void peer_sctp_feed(struct peer_sctp *s, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
    if (s->native)
        sctpc_dc_feed(s->native, pkt, len, now_ms);
    else if (s->usr)
        sctp_assoc_feed(s->usr, pkt, len);
}

int peer_sctp_send(struct peer_sctp *s, uint16_t stream, uint32_t ppid, const uint8_t *data,
                   size_t len)
{
    if (s->native)
        return sctpc_dc_send(s->native, stream, ppid, data, len);
    if (s->usr)
        return sctp_assoc_send(s->usr, stream, ppid, data, len);
    return DC_ECLOSED;
}

void peer_sctp_hold(struct peer_sctp *s, bool hold)
{
    if (s->usr)
        sctp_assoc_hold(s->usr, hold);
}

void peer_sctp_flush(struct peer_sctp *s, uint64_t now_ms)
{
    if (s->native)
        sctpc_dc_flush(s->native, now_ms);
}

void peer_sctp_tick(struct peer_sctp *s, uint64_t now_ms)
{
    if (s->native && sctpc_dc_next_timer(s->native) <= now_ms)
        sctpc_dc_tick(s->native, now_ms);
}

uint64_t peer_sctp_next_timer(const struct peer_sctp *s)
{
    return s->native ? sctpc_dc_next_timer(s->native) : UINT64_MAX;
}

void peer_sctp_counters(const struct peer_sctp *s, struct sctp_stats *out)
{
    memset(out, 0, sizeof *out);
    if (s->native)
        sctpc_dc_stats(s->native, out);
    else if (s->usr)
        sctp_assoc_stats(s->usr, out);
}

size_t peer_sctp_buffered(const struct peer_sctp *s, size_t *capacity)
{
    if (s->native) {
        *capacity = sctpc_dc_send_buffer(s->native);
        return sctpc_dc_buffered(s->native);
    }
    *capacity = s->usr ? sctp_assoc_send_buffer(s->usr) : 0;
    return s->usr ? sctp_assoc_buffered(s->usr) : 0;
}

int peer_sctp_impl_parse(const char *name, enum peer_sctp_impl *out)
{
    if (!strcmp(name, "native"))
        *out = PEER_SCTP_NATIVE;
    else if (!strcmp(name, "usrsctp"))
        *out = PEER_SCTP_USRSCTP;
    else
        return DC_EINVAL;
    return 0;
}

const char *peer_sctp_impl_name(enum peer_sctp_impl impl)
{
    return impl == PEER_SCTP_USRSCTP ? "usrsctp" : "native";
}
