/* metrics_collect.c: the scrape text, gathered from the room manager's and
 * the data plane's counters into a fresh registry (server/metrics.h).
 * LiveKit's metric names where LiveKit has the metric, dcsfu_ otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "server/metrics.h"
#include "server/metrics_http.h"
#include "server/room_manager.h"
#include "server/rtc.h"
#include "server/server.h"
#include "server/webhook.h"
#include "transport/peer.h"

static const char *const kinds[2] = {"reliable", "lossy"};

static void family(struct metrics *m, const char *name, enum metric_type t, const char *help)
{
    metrics_family(m, name, help, t);
}

static void one(struct metrics *m, const char *name, enum metric_type t, const char *help,
                double v)
{
    metrics_family(m, name, help, t);
    metrics_sample(m, NULL, 0, v);
}

static void labeled(struct metrics *m, const char *label, const char *value, double v)
{
    const char *l[2] = {label, value};
    metrics_sample(m, l, 1, v);
}

static void by_kind(struct metrics *m, const char *name, const char *help, const uint64_t v[2])
{
    family(m, name, METRIC_COUNTER, help);
    for (int k = 0; k < 2; k++)
        labeled(m, "kind", kinds[k], (double)v[k]);
}

static void collect_livekit(struct metrics *m, const struct rm *rm, const struct rtc_stats *rs)
{
    const struct rm_stats *st = &rm->stats;
    one(m, "livekit_room_total", METRIC_GAUGE, "Rooms open on this node.", (double)rm->n_rooms);
    one(m, "livekit_participant_total", METRIC_GAUGE, "Participants in the rooms of this node.",
        (double)rm_participant_count(rm));
    family(m, "livekit_participant_join_total", METRIC_COUNTER,
           "Join progress: signal_connected (joined), signal_failed (refused), rtc_connected.");
    uint64_t refused = 0;
    for (size_t i = 0; i < RM_JOIN_STATUSES; i++)
        refused += st->join_refused[i].n;
    labeled(m, "state", "signal_connected", (double)st->joins);
    labeled(m, "state", "signal_failed", (double)refused);
    labeled(m, "state", "rtc_connected", (double)rs->peers_connected);
    const char *dirs[2] = {"incoming", "outgoing"};
    uint64_t pk[2] = {st->data_in[0] + st->data_in[1], st->data_out[0] + st->data_out[1]};
    uint64_t by[2] = {st->bytes_in[0] + st->bytes_in[1], st->bytes_out[0] + st->bytes_out[1]};
    family(m, "livekit_packet_total", METRIC_COUNTER, "Data packets received and sent.");
    for (int d = 0; d < 2; d++) {
        const char *l[4] = {"direction", dirs[d], "transmission", "initial"};
        metrics_sample(m, l, 2, (double)pk[d]);
    }
    family(m, "livekit_packet_bytes", METRIC_COUNTER, "Bytes of data packets received and sent.");
    for (int d = 0; d < 2; d++) {
        const char *l[4] = {"direction", dirs[d], "transmission", "initial"};
        metrics_sample(m, l, 2, (double)by[d]);
    }
}

static void collect_data(struct metrics *m, const struct rm *rm, const struct rtc *rtc)
{
    const struct rm_stats *st = &rm->stats;
    by_kind(m, "dcsfu_data_packets_in_total", "DataPackets received from participants.",
            st->data_in);
    by_kind(m, "dcsfu_data_bytes_in_total", "Bytes of DataPackets received from participants.",
            st->bytes_in);
    by_kind(m, "dcsfu_data_packets_out_total", "DataPackets delivered to receivers.",
            st->data_out);
    by_kind(m, "dcsfu_data_bytes_out_total", "Bytes of DataPackets delivered to receivers.",
            st->bytes_out);
    family(m, "dcsfu_data_dropped_total", METRIC_COUNTER, "DataPackets dropped, by reason.");
    const struct { const char *why; uint64_t n; } drops[] = {
        {"too_large", st->drop_too_large},
        {"no_permission", st->drop_no_permission},
        {"lossy_backpressure", st->drop_lossy_backpressure},
        {"malformed", st->drop_malformed},
        {"duplicate", st->drop_duplicate},
        {"not_open", st->drop_not_open},
        {"queue_full", st->drop_queue_full},
        {"metrics", st->drop_metrics},
    };
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++)
        labeled(m, "reason", drops[i].why, (double)drops[i].n);
    one(m, "dcsfu_data_queued", METRIC_GAUGE,
        "Reliable messages waiting for a receiver's channel to open or drain.",
        (double)rm_queued_now(rm));
    one(m, "dcsfu_data_queued_total", METRIC_COUNTER,
        "Reliable messages queued for a receiver (channel not open yet, or backed up).",
        (double)st->queued);
    one(m, "dcsfu_data_queued_backpressure_total", METRIC_COUNTER,
        "Reliable messages queued because the receiver's SCTP buffer was full.",
        (double)st->queued_backpressure);
    one(m, "dcsfu_data_slow_receivers_removed_total", METRIC_COUNTER,
        "Receivers removed (told to reconnect) because their reliable queue was full.",
        (double)st->slow_receivers_removed);
    family(m, "dcsfu_data_fanout_seconds", METRIC_HISTOGRAM,
           "Time from a DataPacket's arrival to the end of its fan-out to every receiver.");
    metrics_histogram(m, NULL, 0, rtc_fanout_hist(rtc));
}

static void collect_signal(struct metrics *m, const struct rm *rm)
{
    const struct rm_stats *st = &rm->stats;
    family(m, "dcsfu_join_refused_total", METRIC_COUNTER,
           "Joins refused before or at the WebSocket upgrade, by HTTP status.");
    for (size_t i = 0; i < RM_JOIN_STATUSES; i++) {
        if (st->join_refused[i].n == 0)
            continue;
        char code[16];
        snprintf(code, sizeof code, "%d", st->join_refused[i].status);
        labeled(m, "status", st->join_refused[i].status ? code : "other",
                (double)st->join_refused[i].n);
    }
    family(m, "dcsfu_trickle_candidates_total", METRIC_COUNTER,
           "Trickled ICE candidates from clients, by result.");
    labeled(m, "result", "accepted", (double)st->trickle_accepted);
    labeled(m, "result", "malformed", (double)st->trickle_malformed);
}

static void collect_limits(struct metrics *m, const struct rm *rm, const struct server *srv,
                           const struct rtc_stats *rs)
{
    family(m, "dcsfu_limit_exceeded_total", METRIC_COUNTER,
           "Connections, joins, requests and messages refused, or DTLS handshakes held back, "
           "because a configured cap was reached, by the cap's config key.");
    for (int i = LIMIT_NONE + 1; i < LIMIT_COUNT; i++)
        labeled(m, "limit", limits_key((enum limit_id)i), (double)rm->limits.hits[i]);
    one(m, "dcsfu_signal_connections", METRIC_GAUGE,
        "Connections open on the signaling port now (limit.max_signal_connections).",
        (double)server_connections(srv));
    one(m, "dcsfu_dtls_handshakes_pending", METRIC_GAUGE,
        "DTLS handshakes in flight now (rtc.max_pending_handshakes).",
        (double)rs->handshakes_pending);
    one(m, "dcsfu_dtls_handshakes_waiting", METRIC_GAUGE,
        "Peer connections waiting for a DTLS handshake slot now.", (double)rs->handshakes_waiting);
}

static void collect_rtc(struct metrics *m, const struct rtc_stats *rs)
{
    one(m, "dcsfu_peer_connections", METRIC_GAUGE, "Peer connections open now.",
        (double)rs->peers);
    family(m, "dcsfu_peer_failures_total", METRIC_COUNTER,
           "Peer connections that ended on their own, by reason.");
    labeled(m, "reason", "ice_consent", (double)rs->peer_failed[PEER_FAIL_CONSENT]);
    labeled(m, "reason", "dtls", (double)rs->peer_failed[PEER_FAIL_DTLS]);
    labeled(m, "reason", "dtls_closed", (double)rs->peer_failed[PEER_FAIL_DTLS_CLOSED]);
    labeled(m, "reason", "sctp", (double)rs->peer_failed[PEER_FAIL_SCTP]);
    one(m, "dcsfu_udp_unknown_source_dropped_total", METRIC_COUNTER,
        "UDP datagrams dropped because no peer connection owns their source.",
        (double)rs->dropped_unknown);
    one(m, "dcsfu_udp_send_dropped_total", METRIC_COUNTER,
        "UDP datagrams the kernel refused to send (buffer full).", (double)rs->udp_out_dropped);
    const struct sctp_stats *s = &rs->sctp;
    family(m, "dcsfu_sctp_messages_total", METRIC_COUNTER,
           "SCTP user messages, by direction (all associations, past and present).");
    labeled(m, "direction", "in", (double)s->msgs_in);
    labeled(m, "direction", "out", (double)s->msgs_out);
    family(m, "dcsfu_sctp_bytes_total", METRIC_COUNTER, "SCTP user message bytes, by direction.");
    labeled(m, "direction", "in", (double)s->bytes_in);
    labeled(m, "direction", "out", (double)s->bytes_out);
    family(m, "dcsfu_sctp_dropped_total", METRIC_COUNTER, "SCTP messages dropped, by reason.");
    labeled(m, "reason", "in_too_big", (double)s->drop_in_too_big);
    labeled(m, "reason", "out_too_big", (double)s->drop_out_too_big);
    labeled(m, "reason", "in_no_channel", (double)s->drop_in_no_channel);
    labeled(m, "reason", "in_bad", (double)s->drop_in_bad);
    labeled(m, "reason", "abandoned", (double)s->abandoned);
    one(m, "dcsfu_sctp_send_eagain_total", METRIC_COUNTER,
        "SCTP sends refused because the send buffer was full.", (double)s->send_eagain);
    family(m, "dcsfu_sctp_packets_total", METRIC_COUNTER,
           "SCTP packets, by direction (native SCTP stack only).");
    labeled(m, "direction", "in", (double)s->pkts_in);
    labeled(m, "direction", "out", (double)s->pkts_out);
    family(m, "dcsfu_sctp_retransmissions_total", METRIC_COUNTER,
           "DATA chunks sent again, by cause (native SCTP stack only).");
    labeled(m, "cause", "timeout", (double)s->rtx_timeout);
    labeled(m, "cause", "fast", (double)s->rtx_fast);
    family(m, "dcsfu_sctp_sacks_total", METRIC_COUNTER,
           "SACK chunks, by direction (native SCTP stack only).");
    labeled(m, "direction", "in", (double)s->sacks_in);
    labeled(m, "direction", "out", (double)s->sacks_out);
    one(m, "dcsfu_sctp_duplicate_tsns_total", METRIC_COUNTER,
        "DATA chunks received twice (native SCTP stack only).", (double)s->dup_tsns);
}

static void collect_webhook(struct metrics *m, const struct webhook *w)
{
    struct webhook_stats ws;
    webhook_stats(w, &ws);
    one(m, "dcsfu_webhook_events_total", METRIC_COUNTER,
        "Webhook events queued for delivery (once per URL).", (double)ws.posted);
    family(m, "dcsfu_webhook_requests_total", METRIC_COUNTER,
           "Webhook events that reached an end, by result.");
    labeled(m, "result", "delivered", (double)ws.delivered);
    labeled(m, "result", "failed", (double)ws.failed);
    labeled(m, "result", "dropped", (double)ws.dropped);
    one(m, "dcsfu_webhook_retries_total", METRIC_COUNTER,
        "Webhook attempts after the first (connection error, timeout or 5xx).", (double)ws.retries);
    one(m, "dcsfu_webhook_pending", METRIC_GAUGE, "Webhook events waiting or in flight.",
        (double)ws.pending);
}

static void collect_tls(struct metrics *m, const struct server_tls_stats *t)
{
    if (!t || !t->enabled)
        return;
    one(m, "dcsfu_tls_handshakes_total", METRIC_COUNTER,
        "TLS handshakes completed on the signaling port.", (double)t->handshakes);
    family(m, "dcsfu_tls_handshake_failures_total", METRIC_COUNTER,
           "Signaling connections closed before their TLS handshake completed, by reason.");
    labeled(m, "reason", "refused", (double)t->handshake_failures);
    labeled(m, "reason", "timeout", (double)t->handshake_timeouts);
    labeled(m, "reason", "plaintext", (double)t->plaintext_requests);
    family(m, "dcsfu_tls_reloads_total", METRIC_COUNTER,
           "Certificate reloads on SIGHUP, by result.");
    labeled(m, "result", "ok", (double)t->reloads);
    labeled(m, "result", "failed", (double)t->reload_failures);
    one(m, "dcsfu_tls_certificate_expiry_timestamp_seconds", METRIC_GAUGE,
        "End of validity of the certificate new connections get (Unix time).",
        (double)t->not_after);
}

char *metrics_collect(const struct metrics_sources *src, size_t *len)
{
    struct rtc_stats rs;
    rtc_stats(src->rtc, &rs);
    struct metrics *m = metrics_new();
    collect_livekit(m, src->rm, &rs);
    collect_data(m, src->rm, src->rtc);
    collect_signal(m, src->rm);
    collect_limits(m, src->rm, src->server, &rs);
    collect_rtc(m, &rs);
    collect_webhook(m, src->webhook);
    collect_tls(m, src->tls);
    char *text = metrics_render(m, len);
    metrics_free(m);
    return text;
}
