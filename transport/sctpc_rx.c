/* Native SCTP, receiving side: TSN tracking, duplicate detection,
 * reassembly, ordered delivery per stream, the message size limit,
 * FORWARD-TSN (RFC 3758) and SACK generation (RFC 9260 6.2). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "transport/sctpc_internal.h"

#define WMASK (SCTPC_RX_WINDOW - 1)

static bool bit_get(const struct sctpc *a, uint32_t t)
{
    return a->rx_bits[(t & WMASK) >> 3] & (1u << (t & 7));
}
static void bit_set(struct sctpc *a, uint32_t t)
{
    a->rx_bits[(t & WMASK) >> 3] |= (uint8_t)(1u << (t & 7));
}
static void bit_clr(struct sctpc *a, uint32_t t)
{
    a->rx_bits[(t & WMASK) >> 3] &= (uint8_t)~(1u << (t & 7));
}

void sctpc_rx_init(struct sctpc *a, uint32_t peer_init_tsn)
{
    a->cum_tsn = a->rx_high = peer_init_tsn - 1;
    memset(a->rx_bits, 0, sizeof a->rx_bits);
    memset(a->in_ssn, 0, sizeof a->in_ssn);
}

void sctpc_rx_free(struct sctpc *a)
{
    for (size_t i = 0; i < a->npend; i++)
        free(a->pend[i].data);
    free(a->pend);
    a->pend = NULL;
    a->npend = a->cappend = a->pend_bytes = 0;
}

uint32_t sctpc_rx_rwnd(const struct sctpc *a)
{
    return a->pend_bytes >= a->cfg.rwnd ? 0 : a->cfg.rwnd - (uint32_t)a->pend_bytes;
}

/* ---- the pending fragments ------------------------------------------------------------ */

static void pend_remove(struct sctpc *a, size_t i, size_t n)
{
    for (size_t k = i; k < i + n; k++) {
        a->pend_bytes -= a->pend[k].len;
        free(a->pend[k].data);
    }
    memmove(a->pend + i, a->pend + i + n, (a->npend - i - n) * sizeof *a->pend);
    a->npend -= n;
}

static size_t pend_insert(struct sctpc *a, const struct sctpc_data *d)
{
    if (a->npend == a->cappend) {
        a->cappend = a->cappend ? a->cappend * 2 : 64;
        a->pend = util_realloc(a->pend, a->cappend * sizeof *a->pend);
    }
    size_t i = a->npend;
    while (i > 0 && sctpc_lt32(d->tsn, a->pend[i - 1].tsn))
        i--;
    memmove(a->pend + i + 1, a->pend + i, (a->npend - i) * sizeof *a->pend);
    struct sctpc_rxc *c = &a->pend[i];
    c->tsn = d->tsn;
    c->ppid = d->ppid;
    c->stream = d->stream;
    c->ssn = d->ssn;
    c->flags = d->flags;
    c->len = (uint32_t)d->len;
    c->data = util_malloc(d->len);
    memcpy(c->data, d->payload, d->len);
    a->npend++;
    a->pend_bytes += d->len;
    return i;
}

/* The fragment run of the message whose first fragment is pend[i]:
 * returns the number of consecutive fragments found, *complete if the last
 * has E, *bytes their total. */
static size_t run_from(const struct sctpc *a, size_t i, bool *complete, size_t *bytes)
{
    size_t n = 0;
    *complete = false;
    *bytes = 0;
    for (size_t k = i; k < a->npend; k++) {
        const struct sctpc_rxc *c = &a->pend[k];
        if (k > i && (c->tsn != a->pend[k - 1].tsn + 1 || (c->flags & SCTPC_DATA_B) ||
                      c->stream != a->pend[i].stream))
            break;
        n++;
        *bytes += c->len;
        if (c->flags & SCTPC_DATA_E) {
            *complete = true;
            break;
        }
    }
    return n;
}

/* Delivers (or, over the limit, drops) the complete run at pend[i]. */
static void deliver_run(struct sctpc *a, size_t i, size_t n, size_t bytes)
{
    uint16_t stream = a->pend[i].stream;
    uint32_t ppid = a->pend[i].ppid;
    if (bytes > a->cfg.max_message_size) {
        a->stats.drop_too_big++;
        pend_remove(a, i, n);
        return;
    }
    uint8_t *buf = util_malloc(bytes);
    size_t off = 0;
    for (size_t k = i; k < i + n; k++) {
        memcpy(buf + off, a->pend[k].data, a->pend[k].len);
        off += a->pend[k].len;
    }
    pend_remove(a, i, n);
    a->stats.msgs_in++;
    if (a->cb.on_message)
        a->cb.on_message(a->ctx, stream, ppid, buf, bytes);
    free(buf);
}

/* Starts discarding a message that cannot fit (its first n fragments). */
static void start_discard(struct sctpc *a, size_t i, size_t n)
{
    const struct sctpc_rxc *c = &a->pend[i];
    a->discard.on = true;
    a->discard.unordered = c->flags & SCTPC_DATA_U;
    a->discard.stream = c->stream;
    a->discard.ssn = c->ssn;
    a->discard.first_tsn = c->tsn;
    a->stats.drop_too_big++;
    pend_remove(a, i, n);
}

/* Index of the first fragment of ordered message (stream, ssn), or npend. */
static size_t find_head(const struct sctpc *a, uint16_t stream, uint16_t ssn)
{
    for (size_t i = 0; i < a->npend; i++) {
        const struct sctpc_rxc *c = &a->pend[i];
        if (c->stream == stream && c->ssn == ssn && (c->flags & (SCTPC_DATA_B | SCTPC_DATA_U)) ==
                                                        SCTPC_DATA_B)
            return i;
    }
    return a->npend;
}

/* Delivers the stream's ordered messages that are next in line. */
static void deliver_ready(struct sctpc *a, uint16_t stream)
{
    while (a->state != SCTPC_DEAD && a->npend &&
           !(a->discard.on && !a->discard.unordered && a->discard.stream == stream)) {
        size_t i = find_head(a, stream, a->in_ssn[stream]);
        if (i == a->npend)
            return;
        bool complete;
        size_t bytes, n = run_from(a, i, &complete, &bytes);
        if (!complete) {
            if (bytes > a->cfg.max_message_size)
                start_discard(a, i, n);
            return;
        }
        a->in_ssn[stream]++;
        deliver_run(a, i, n, bytes);
    }
}

/* After storing a fragment at pend[i]: deliver what became complete. */
static void assemble(struct sctpc *a, size_t i)
{
    struct sctpc_rxc *c = &a->pend[i];
    uint16_t stream = c->stream;
    if (!(c->flags & SCTPC_DATA_U)) {
        if (c->ssn == a->in_ssn[stream])
            deliver_ready(a, stream);
        return;
    }
    while (i > 0 && !(a->pend[i].flags & SCTPC_DATA_B) && a->pend[i - 1].tsn + 1 == a->pend[i].tsn)
        i--;
    if (!(a->pend[i].flags & SCTPC_DATA_B))
        return;
    bool complete;
    size_t bytes, n = run_from(a, i, &complete, &bytes);
    if (complete)
        deliver_run(a, i, n, bytes);
    else if (bytes > a->cfg.max_message_size)
        start_discard(a, i, n);
}

/* Fragments of a message being discarded are dropped on arrival. */
static bool discarded(struct sctpc *a, const struct sctpc_data *d)
{
    struct sctpc_discard *x = &a->discard;
    bool u = d->flags & SCTPC_DATA_U;
    if (!x->on || d->stream != x->stream || u != x->unordered || (d->flags & SCTPC_DATA_B))
        return false;
    if (!u && d->ssn != x->ssn)
        return false;
    if (u && sctpc_lt32(d->tsn, x->first_tsn))
        return false;
    if (d->flags & SCTPC_DATA_E) {
        x->on = false;
        if (!u) {
            a->in_ssn[d->stream]++;
            deliver_ready(a, d->stream);
        }
    }
    return true;
}

/* ---- DATA -------------------------------------------------------------------------- */

static void note_dup(struct sctpc *a, uint32_t tsn)
{
    a->stats.dup_tsns++;
    if (a->ndups < SCTPC_MAX_DUPS)
        a->dups[a->ndups++] = tsn;
    a->sack_now = true;
}

/* Records the TSN; false if it is a duplicate or beyond what we track. */
static bool mark_tsn(struct sctpc *a, const struct sctpc_data *d)
{
    uint32_t tsn = d->tsn;
    if (sctpc_le32(tsn, a->cum_tsn) || bit_get(a, tsn)) {
        note_dup(a, tsn);
        return false;
    }
    if (tsn - a->cum_tsn >= SCTPC_RX_WINDOW ||
        (tsn != a->cum_tsn + 1 && a->pend_bytes + d->len > 2u * a->cfg.rwnd)) {
        a->stats.drop_no_room++;
        a->sack_now = true;
        return false;
    }
    bit_set(a, tsn);
    if (sctpc_lt32(a->rx_high, tsn))
        a->rx_high = tsn;
    if (tsn != a->cum_tsn + 1)
        a->sack_now = true; /* out of order: report the gap at once */
    while (bit_get(a, a->cum_tsn + 1)) {
        bit_clr(a, a->cum_tsn + 1);
        a->cum_tsn++;
    }
    if (a->rx_high != a->cum_tsn)
        a->sack_now = true;
    return true;
}

void sctpc_rx_data(struct sctpc *a, const struct sctpc_data *d)
{
    if (d->flags & SCTPC_DATA_I) /* the sender asks for a SACK at once (RFC 7053) */
        a->sack_now = true;
    if (!mark_tsn(a, d))
        return;
    if (d->stream >= SCTPC_STREAMS || discarded(a, d))
        return;
    bool u = d->flags & SCTPC_DATA_U;
    if (!u && sctpc_lt16(d->ssn, a->in_ssn[d->stream]))
        return; /* a straggler of a message already skipped or dropped */
    if ((d->flags & (SCTPC_DATA_B | SCTPC_DATA_E)) == (SCTPC_DATA_B | SCTPC_DATA_E) &&
        (u || d->ssn == a->in_ssn[d->stream])) {
        /* A whole message next in line: straight from the packet. */
        if (!u)
            a->in_ssn[d->stream]++;
        if (d->len > a->cfg.max_message_size) {
            a->stats.drop_too_big++;
        } else {
            a->stats.msgs_in++;
            if (a->cb.on_message)
                a->cb.on_message(a->ctx, d->stream, d->ppid, d->payload, d->len);
        }
        if (!u && a->npend)
            deliver_ready(a, d->stream);
        return;
    }
    assemble(a, pend_insert(a, d));
}

/* ---- FORWARD-TSN ----------------------------------------------------------------------- */

/* Drops stored fragments at or below `cum` that can no longer complete. */
static void drop_stale(struct sctpc *a, uint32_t cum)
{
    size_t i = 0;
    while (i < a->npend && sctpc_le32(a->pend[i].tsn, cum)) {
        bool complete = false;
        size_t bytes, n = 1;
        if (a->pend[i].flags & SCTPC_DATA_B)
            n = run_from(a, i, &complete, &bytes);
        if (complete && !(a->pend[i].flags & SCTPC_DATA_U))
            i += n; /* a whole ordered message waiting for its turn */
        else
            pend_remove(a, i, complete ? n : 1);
    }
}

static void skip_ssn(struct sctpc *a, uint16_t stream, uint16_t ssn)
{
    if (stream >= SCTPC_STREAMS)
        return;
    if (a->discard.on && !a->discard.unordered && a->discard.stream == stream &&
        !sctpc_lt16(ssn, a->discard.ssn))
        a->discard.on = false;
    while (a->state != SCTPC_DEAD && !sctpc_lt16(ssn, a->in_ssn[stream])) {
        size_t i = find_head(a, stream, a->in_ssn[stream]);
        bool complete = false;
        size_t bytes, n = 0;
        if (i < a->npend)
            n = run_from(a, i, &complete, &bytes);
        a->in_ssn[stream]++;
        if (complete)
            deliver_run(a, i, n, bytes);
    }
    deliver_ready(a, stream);
}

void sctpc_rx_fwd_tsn(struct sctpc *a, const struct sctpc_fwd_tsn *f)
{
    a->sack_now = true;
    if (!sctpc_lt32(a->cum_tsn, f->new_cum))
        return;
    uint32_t span = f->new_cum - a->cum_tsn;
    if (span >= SCTPC_RX_WINDOW)
        memset(a->rx_bits, 0, sizeof a->rx_bits);
    else
        for (uint32_t t = a->cum_tsn + 1; t != f->new_cum + 1; t++)
            bit_clr(a, t);
    a->cum_tsn = f->new_cum;
    if (sctpc_lt32(a->rx_high, a->cum_tsn))
        a->rx_high = a->cum_tsn;
    while (bit_get(a, a->cum_tsn + 1)) {
        bit_clr(a, a->cum_tsn + 1);
        a->cum_tsn++;
    }
    if (a->discard.on && a->discard.unordered)
        a->discard.on = false;
    drop_stale(a, a->cum_tsn);
    for (uint16_t i = 0; i < f->n && a->state != SCTPC_DEAD; i++)
        skip_ssn(a, sctpc_rd16(f->streams + 4 * i), sctpc_rd16(f->streams + 4 * i + 2));
}

/* ---- SACK ---------------------------------------------------------------------------- */

static uint16_t build_gaps(const struct sctpc *a, uint16_t *gaps)
{
    uint16_t n = 0;
    uint32_t t = a->cum_tsn + 1;
    while (sctpc_le32(t, a->rx_high) && n < SCTPC_MAX_GAPS) {
        while (sctpc_le32(t, a->rx_high) && !bit_get(a, t))
            t++;
        if (!sctpc_le32(t, a->rx_high))
            break;
        uint32_t s = t;
        while (sctpc_le32(t, a->rx_high) && bit_get(a, t))
            t++;
        gaps[2 * n] = (uint16_t)(s - a->cum_tsn);
        gaps[2 * n + 1] = (uint16_t)(t - 1 - a->cum_tsn);
        n++;
    }
    return n;
}

void sctpc_rx_sack_out(struct sctpc *a, struct sctpc_out *o, bool force, uint64_t now_ms)
{
    (void)now_ms;
    bool pending = a->unacked_pkts || a->sack_at;
    if (!a->sack_now && !(force && pending))
        return;
    uint16_t gaps[2 * SCTPC_MAX_GAPS];
    uint16_t ngaps = build_gaps(a, gaps);
    size_t need = 16 + 4u * ngaps + 4u * a->ndups;
    uint8_t *p = sctpc_out_reserve(a, o, need);
    int r = sctpc_put_sack(p, need, a->cum_tsn, sctpc_rx_rwnd(a), gaps, ngaps, a->dups, a->ndups);
    if (r > 0) {
        sctpc_out_commit(o, (size_t)r);
        a->stats.sacks_out++;
    }
    a->sack_now = false;
    a->sack_at = 0;
    a->unacked_pkts = 0;
    a->ndups = 0;
}
