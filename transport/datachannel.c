#include "transport/datachannel.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "common/log.h"
#include "transport/dcep.h"
#include "transport/sctp.h"

void datachannel_table_init(struct datachannel_table *t) { memset(t, 0, sizeof *t); }

static void channel_clear(struct datachannel *c)
{
    free(c->label);
    free(c->protocol);
}

void datachannel_table_free(struct datachannel_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        channel_clear(&t->v[i]);
    free(t->v);
    memset(t, 0, sizeof *t);
}

struct datachannel *datachannel_find(struct datachannel_table *t, uint16_t stream)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].stream == stream)
            return &t->v[i];
    return NULL;
}

struct datachannel *datachannel_add(struct datachannel_table *t, uint16_t stream, uint8_t type,
                                    uint32_t reliability, const char *label, size_t label_len,
                                    const char *protocol, size_t protocol_len, bool local)
{
    if (datachannel_find(t, stream))
        return NULL;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->v = util_realloc(t->v, t->cap * sizeof *t->v);
    }
    struct datachannel *c = &t->v[t->n++];
    memset(c, 0, sizeof *c);
    c->stream = stream;
    c->type = type;
    c->priority = DCEP_PRIORITY_NORMAL;
    c->reliability = reliability;
    c->local = local;
    c->state = local ? DATACHANNEL_OPENING : DATACHANNEL_OPEN;
    c->label = util_strndup(label ? label : "", label ? label_len : 0);
    c->protocol = util_strndup(protocol ? protocol : "", protocol ? protocol_len : 0);
    return c;
}

bool datachannel_remove(struct datachannel_table *t, uint16_t stream)
{
    struct datachannel *c = datachannel_find(t, stream);
    if (!c)
        return false;
    channel_clear(c);
    size_t i = (size_t)(c - t->v);
    if (i != t->n - 1)
        t->v[i] = t->v[t->n - 1];
    t->n--;
    return true;
}

uint8_t datachannel_type_for(bool ordered, int max_rexmit)
{
    uint8_t type = max_rexmit < 0 ? DCEP_CHANNEL_RELIABLE : DCEP_CHANNEL_REXMIT;
    return ordered ? type : (uint8_t)(type | 0x80);
}

void datachannel_send_params(const struct datachannel *c, struct datachannel_send_params *p)
{
    memset(p, 0, sizeof *p);
    p->unordered = !dcep_channel_type_ordered(c->type) && c->state != DATACHANNEL_OPENING;
    switch (c->type & 0x7f) {
    case DCEP_CHANNEL_REXMIT:
        p->pr = DATACHANNEL_PR_RTX;
        p->pr_value = c->reliability;
        break;
    case DCEP_CHANNEL_TIMED:
        p->pr = DATACHANNEL_PR_TTL;
        p->pr_value = c->reliability;
        break;
    default:
        p->pr = DATACHANNEL_PR_NONE;
        break;
    }
}

static int wire_ppid(uint32_t ppid, size_t len, uint32_t *out)
{
    switch (ppid) {
    case DCEP_PPID_STRING:
        *out = len ? DCEP_PPID_STRING : DCEP_PPID_STRING_EMPTY;
        return 0;
    case DCEP_PPID_BINARY:
        *out = len ? DCEP_PPID_BINARY : DCEP_PPID_BINARY_EMPTY;
        return 0;
    case DCEP_PPID_STRING_EMPTY:
    case DCEP_PPID_BINARY_EMPTY:
        *out = ppid;
        return len == 0 ? 0 : DC_EINVAL;
    default:
        return DC_EINVAL;
    }
}

int datachannel_prepare_send(struct datachannel_table *t, uint16_t stream, uint32_t ppid,
                             const uint8_t *data, size_t len, size_t send_limit, uint32_t *wire,
                             struct datachannel_send_params *p)
{
    if ((!data && len) || wire_ppid(ppid, len, wire) < 0)
        return DC_EINVAL;
    struct datachannel *c = datachannel_find(t, stream);
    if (!c || c->state == DATACHANNEL_CLOSING)
        return DC_ENOTFOUND;
    if (len > send_limit)
        return DC_ETOOBIG;
    datachannel_send_params(c, p);
    return 0;
}

bool datachannel_deliver(struct datachannel_table *t, const struct sctp_callbacks *cb,
                         void *ctx, struct sctp_stats *st, uint16_t stream, uint32_t ppid,
                         const uint8_t *d, size_t n)
{
    switch (ppid) {
    case DCEP_PPID_CONTROL:
        return true;
    case DCEP_PPID_STRING_EMPTY:
    case DCEP_PPID_BINARY_EMPTY:
        n = 0;
        /* fall through */
    case DCEP_PPID_STRING:
    case DCEP_PPID_BINARY:
        if (!datachannel_find(t, stream)) {
            st->drop_in_no_channel++;
            return false;
        }
        st->msgs_in++;
        st->bytes_in += n;
        if (cb->on_message)
            cb->on_message(ctx, stream, ppid, n ? d : (const uint8_t *)"", n);
        return false;
    default:
        st->drop_in_bad++;
        LOGD("sctp", "message with unsupported PPID dropped", "stream=%u ppid=%u", stream, ppid);
        return false;
    }
}
