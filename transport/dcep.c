#include "transport/dcep.h"

#include <string.h>

#include "common/err.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

bool dcep_channel_type_valid(uint8_t type)
{
    switch (type) {
    case DCEP_CHANNEL_RELIABLE:
    case DCEP_CHANNEL_REXMIT:
    case DCEP_CHANNEL_TIMED:
    case DCEP_CHANNEL_RELIABLE_UNORDERED:
    case DCEP_CHANNEL_REXMIT_UNORDERED:
    case DCEP_CHANNEL_TIMED_UNORDERED:
        return true;
    default:
        return false;
    }
}

int dcep_message_type(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0)
        return DC_EPROTO;
    return buf[0];
}

int dcep_parse_open(const uint8_t *buf, size_t len, struct dcep_open *out)
{
    if (!buf || !out || len < DCEP_OPEN_HEADER_LEN || buf[0] != DCEP_MSG_OPEN)
        return DC_EPROTO;
    struct dcep_open o = {
        .channel_type = buf[1],
        .priority = rd16(buf + 2),
        .reliability = rd32(buf + 4),
        .label_len = rd16(buf + 8),
        .protocol_len = rd16(buf + 10),
    };
    if (!dcep_channel_type_valid(o.channel_type))
        return DC_EPROTO;
    /* size_t arithmetic: two 16-bit lengths cannot overflow it. */
    if (len != DCEP_OPEN_HEADER_LEN + (size_t)o.label_len + o.protocol_len)
        return DC_EPROTO;
    o.label = (const char *)buf + DCEP_OPEN_HEADER_LEN;
    o.protocol = o.label + o.label_len;
    if (memchr(o.label, 0, o.label_len) || memchr(o.protocol, 0, o.protocol_len))
        return DC_EPROTO;
    *out = o;
    return 0;
}

int dcep_parse_ack(const uint8_t *buf, size_t len)
{
    return (buf && len == 1 && buf[0] == DCEP_MSG_ACK) ? 0 : DC_EPROTO;
}

size_t dcep_open_size(const struct dcep_open *o)
{
    return DCEP_OPEN_HEADER_LEN + (size_t)o->label_len + o->protocol_len;
}

int dcep_build_open(const struct dcep_open *o, uint8_t *out, size_t cap)
{
    if (!o || !out || !dcep_channel_type_valid(o->channel_type))
        return DC_EINVAL;
    if ((o->label_len && !o->label) || (o->protocol_len && !o->protocol))
        return DC_EINVAL;
    size_t n = dcep_open_size(o);
    if (cap < n)
        return DC_ETOOBIG;
    out[0] = DCEP_MSG_OPEN;
    out[1] = o->channel_type;
    wr16(out + 2, o->priority);
    wr32(out + 4, o->reliability);
    wr16(out + 8, o->label_len);
    wr16(out + 10, o->protocol_len);
    if (o->label_len)
        memcpy(out + DCEP_OPEN_HEADER_LEN, o->label, o->label_len);
    if (o->protocol_len)
        memcpy(out + DCEP_OPEN_HEADER_LEN + o->label_len, o->protocol, o->protocol_len);
    return (int)n;
}

int dcep_build_ack(uint8_t *out, size_t cap)
{
    if (!out)
        return DC_EINVAL;
    if (cap < 1)
        return DC_ETOOBIG;
    out[0] = DCEP_MSG_ACK;
    return 1;
}
