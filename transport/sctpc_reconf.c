/* Native SCTP, stream reset (RFC 6525): our Outgoing SSN Reset Requests
 * (one in flight at a time, retried on a timer) and the peer's, which are
 * performed once every TSN up to the request's last TSN has arrived. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "transport/sctpc_internal.h"

static bool listed(const uint16_t *v, uint16_t n, uint16_t s)
{
    for (uint16_t i = 0; i < n; i++)
        if (v[i] == s)
            return true;
    return false;
}

int sctpc_reset_stream(struct sctpc *a, uint16_t stream)
{
    if (!a || stream >= SCTPC_STREAMS)
        return DC_EINVAL;
    if (a->state != SCTPC_ESTABLISHED)
        return DC_ECLOSED;
    if (!a->peer_reconfig)
        return DC_EINVAL;
    if (listed(a->reset_want, a->nreset_want, stream) ||
        listed(a->reset_inflight, a->nreset_inflight, stream))
        return DC_EEXIST;
    a->reset_want[a->nreset_want++] = stream;
    a->reset_send = true;
    return 0;
}

bool sctpc_stream_resetting(const struct sctpc *a, uint16_t stream)
{
    return listed(a->reset_want, a->nreset_want, stream) ||
           listed(a->reset_inflight, a->nreset_inflight, stream);
}

static void respond(struct sctpc *a, uint32_t seq, uint32_t result)
{
    uint8_t v[12];
    sctpc_wr16(v, 16);
    sctpc_wr16(v + 2, 12);
    sctpc_wr32(v + 4, seq);
    sctpc_wr32(v + 8, result);
    sctpc_ctrl_add(a, SCTPC_RECONFIG, 0, v, sizeof v);
}

/* Resets the peer's streams (our incoming SSNs) of the stored request. */
static void perform_peer_reset(struct sctpc *a)
{
    a->peer_reset_deferred = false;
    a->last_reset_result = SCTPC_RECONF_PERFORMED;
    a->reconf_in_seq++;
    respond(a, a->peer_reset_seq, SCTPC_RECONF_PERFORMED);
    for (uint16_t i = 0; i < a->npeer_reset && a->state != SCTPC_DEAD; i++) {
        uint16_t s = a->peer_reset_streams[i];
        a->in_ssn[s] = 0;
        if (a->cb.on_stream_reset)
            a->cb.on_stream_reset(a->ctx, s);
    }
}

void sctpc_reconf_check(struct sctpc *a)
{
    if (a->peer_reset_deferred && a->state != SCTPC_DEAD &&
        sctpc_le32(a->peer_reset_last_tsn, a->cum_tsn))
        perform_peer_reset(a);
}

static void peer_request(struct sctpc *a, const struct sctpc_reconf_param *p)
{
    if (p->seq == a->reconf_in_seq - 1) { /* retransmitted: same answer */
        respond(a, p->seq, a->last_reset_result);
        return;
    }
    if (p->seq != a->reconf_in_seq) {
        respond(a, p->seq, SCTPC_RECONF_ERR_BAD_SEQ);
        return;
    }
    if (a->peer_reset_deferred) {
        respond(a, p->seq, SCTPC_RECONF_IN_PROGRESS);
        return;
    }
    a->npeer_reset = 0;
    if (p->nstreams == 0) {
        for (uint16_t s = 0; s < SCTPC_STREAMS; s++)
            a->peer_reset_streams[a->npeer_reset++] = s;
    }
    for (uint16_t i = 0; i < p->nstreams; i++) {
        uint16_t s = sctpc_rd16(p->streams + 2 * i);
        if (s < SCTPC_STREAMS && a->npeer_reset < SCTPC_STREAMS &&
            !listed(a->peer_reset_streams, a->npeer_reset, s))
            a->peer_reset_streams[a->npeer_reset++] = s;
    }
    a->peer_reset_seq = p->seq;
    a->peer_reset_last_tsn = p->last_tsn;
    a->peer_reset_deferred = true;
    if (sctpc_le32(p->last_tsn, a->cum_tsn))
        perform_peer_reset(a);
    else
        respond(a, p->seq, SCTPC_RECONF_IN_PROGRESS);
}

static void peer_response(struct sctpc *a, const struct sctpc_reconf_param *p, uint64_t now_ms)
{
    if (!a->nreset_inflight || p->seq != a->reset_inflight_seq)
        return;
    uint32_t result = p->resp_seq;
    if (result == SCTPC_RECONF_IN_PROGRESS) {
        a->reconf_at = now_ms + a->rto;
        return;
    }
    bool ok = result == SCTPC_RECONF_PERFORMED || result == SCTPC_RECONF_NOTHING;
    uint16_t v[SCTPC_STREAMS], n = a->nreset_inflight;
    memcpy(v, a->reset_inflight, n * sizeof *v);
    a->nreset_inflight = 0;
    a->reconf_at = 0;
    if (a->nreset_want)
        a->reset_send = true;
    for (uint16_t i = 0; i < n; i++) {
        if (ok)
            a->out_ssn[v[i]] = 0;
        if (a->cb.on_reset_done && a->state != SCTPC_DEAD)
            a->cb.on_reset_done(a->ctx, v[i], ok);
    }
}

void sctpc_reconf_in(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms)
{
    struct sctpc_reconf_param p;
    size_t off = 0;
    int r;
    while ((r = sctpc_next_reconf_param(c, &off, &p)) == 1 && a->state != SCTPC_DEAD) {
        if (p.type == 13)
            peer_request(a, &p);
        else if (p.type == 16)
            peer_response(a, &p, now_ms);
        else if (p.type == 14 || p.type == 15) {
            /* Requests WebRTC does not use: refused. */
            if (p.seq == a->reconf_in_seq) {
                a->reconf_in_seq++;
                a->last_reset_result = SCTPC_RECONF_DENIED;
            }
            respond(a, p.seq, SCTPC_RECONF_DENIED);
        }
    }
    if (r < 0)
        a->stats.drop_bad_pkt++;
}

void sctpc_reconf_out(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms)
{
    if (!a->reset_send)
        return;
    a->reset_send = false;
    if (!a->nreset_inflight) {
        if (!a->nreset_want)
            return;
        memcpy(a->reset_inflight, a->reset_want, a->nreset_want * sizeof *a->reset_want);
        a->nreset_inflight = a->nreset_want;
        a->nreset_want = 0;
        a->reset_inflight_seq = a->reconf_out_seq++;
    }
    size_t need = 4 + 16 + 2u * a->nreset_inflight + 2;
    uint8_t *p = sctpc_out_reserve(a, o, need);
    int r = sctpc_put_reconf_req(p, need, a->reset_inflight_seq, a->reconf_in_seq - 1,
                                 a->next_tsn - 1, a->reset_inflight, a->nreset_inflight);
    if (r > 0)
        sctpc_out_commit(o, (size_t)r);
    a->reconf_at = now_ms + a->rto;
}
