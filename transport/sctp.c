/* SCTP association on usrsctp with WebRTC data channels: set-up, sending
 * and the public API (the incoming side is in sctp_recv.c).  See sctp.h
 * for the contract and sctp_internal.h for the usrsctp facts relied on. */
#include "transport/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/datachannel.h"
#include "transport/dcep.h"
#include "transport/dep_usrsctp.h"
#include "transport/sctp_internal.h"

#define MAX_MESSAGE_CAP (16u * 1024 * 1024)
#define SEND_BUFFER_MIN (1024u * 1024)
#define LOW_WATER_DEFAULT (256u * 1024)

/* Depth of sctp_* calls on the stack, and frees deferred until it is 0. */
static int g_depth;
static struct sctp_assoc *g_reap;

static void destroy(struct sctp_assoc *a);

static void enter(void) { g_depth++; }

static void leave(void)
{
    if (--g_depth > 0)
        return;
    while (g_reap) {
        struct sctp_assoc *a = g_reap;
        g_reap = a->reap_next;
        destroy(a);
    }
}

/* Entry points refuse work for a freed association and from inside cb->send. */
static bool usable(const struct sctp_assoc *a)
{
    if (!a || a->freeing)
        return false;
    if (dep_usrsctp_in_output()) {
        LOGE("sctp", "sctp call from inside the send callback refused", NULL);
        return false;
    }
    return true;
}

/* ---- sending ------------------------------------------------------------- */

int sctp_raw_send(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, const void *data,
                  size_t len, const struct datachannel_send_params *p)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof spa);
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = stream;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    if (p && p->unordered)
        spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
    if (p && p->pr != DATACHANNEL_PR_NONE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy =
            p->pr == DATACHANNEL_PR_RTX ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
        spa.sendv_prinfo.pr_value = p->pr_value;
    }
    ssize_t r =
        usrsctp_sendv(a->sock, data, len, NULL, 0, &spa, (socklen_t)sizeof spa, SCTP_SENDV_SPA, 0);
    if (r >= 0) {
        a->buffered += len;
        if (a->buffered > a->low_water)
            a->want_writable = true;
        return 0;
    }
    if (errno == EWOULDBLOCK || errno == EAGAIN) {
        a->stats.send_eagain++;
        a->want_writable = true;
        return DC_EAGAIN;
    }
    if (errno == EMSGSIZE)
        return DC_ETOOBIG;
    LOGW("sctp", "usrsctp_sendv failed", "id=%lu stream=%u len=%zu errno=%d", (unsigned long)a->id,
         stream, len, errno);
    return DC_EIO;
}

int sctp_send_ack(struct sctp_assoc *a, uint16_t stream)
{
    uint8_t ack[1];
    dcep_build_ack(ack, sizeof ack);
    return sctp_raw_send(a, stream, DCEP_PPID_CONTROL, ack, sizeof ack, NULL);
}

int sctp_reset_outgoing(struct sctp_assoc *a, uint16_t stream)
{
    uint32_t buf[4]; /* struct sctp_reset_streams plus one stream id, aligned */
    struct sctp_reset_streams *srs = (struct sctp_reset_streams *)(void *)buf;
    memset(buf, 0, sizeof buf);
    srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    srs->srs_number_streams = 1;
    srs->srs_stream_list[0] = stream;
    socklen_t n = (socklen_t)(sizeof *srs + sizeof(uint16_t));
    if (usrsctp_setsockopt(a->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, n) < 0) {
        LOGW("sctp", "stream reset failed", "id=%lu stream=%u errno=%d", (unsigned long)a->id,
             stream, errno);
        return DC_EIO;
    }
    return 0;
}

static void on_usrsctp_output(void *obj, const uint8_t *pkt, size_t len)
{
    struct sctp_assoc *a = obj;
    if (!a->silent) /* an immediate free still sends its ABORT */
        a->cb.send(a->ctx, pkt, len);
}

/* ---- set-up ------------------------------------------------------------------ */

static struct sockaddr_conn conn_addr(const struct sctp_assoc *a)
{
    struct sockaddr_conn sc;
    memset(&sc, 0, sizeof sc);
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(a->port);
    sc.sconn_addr = (void *)a->id;
    return sc;
}

static int setopt(struct sctp_assoc *a, int level, int name, const void *v, size_t n,
                  const char *what)
{
    if (usrsctp_setsockopt(a->sock, level, name, v, (socklen_t)n) == 0)
        return 0;
    LOGE("sctp", "usrsctp_setsockopt failed", "opt=%s errno=%d", what, errno);
    return DC_EIO;
}

static int subscribe_events(struct sctp_assoc *a)
{
    static const uint16_t types[] = {
        SCTP_ASSOC_CHANGE,        SCTP_SHUTDOWN_EVENT,    SCTP_STREAM_RESET_EVENT,
        SCTP_STREAM_CHANGE_EVENT, SCTP_SEND_FAILED_EVENT, SCTP_PARTIAL_DELIVERY_EVENT,
        SCTP_REMOTE_ERROR,
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct sctp_event ev;
        memset(&ev, 0, sizeof ev);
        ev.se_assoc_id = SCTP_FUTURE_ASSOC;
        ev.se_type = types[i];
        ev.se_on = 1;
        if (setopt(a, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev, "SCTP_EVENT") < 0)
            return DC_EIO;
    }
    return 0;
}

/* Socket options, in an order usrsctp accepts: the partial delivery point
 * may not exceed the receive buffer, so SO_RCVBUF comes first. */
static int socket_setup(struct sctp_assoc *a, size_t rcvbuf)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    struct sctp_assoc_value av = {
        .assoc_id = SCTP_FUTURE_ASSOC,
        .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ,
    };
    struct sctp_initmsg im = {.sinit_num_ostreams = SCTP_NUM_STREAMS,
                              .sinit_max_instreams = SCTP_NUM_STREAMS};
    uint32_t on = 1, off = 0, pd = a->max_message_size;
    int sndbuf = (int)a->sndbuf, rcv = (int)rcvbuf;
    if (usrsctp_set_non_blocking(a->sock, 1) < 0 ||
        setopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg, "SO_LINGER") < 0 ||
        setopt(a, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av, "ENABLE_STREAM_RESET") <
            0 ||
        setopt(a, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on, "NODELAY") < 0 ||
        setopt(a, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im, "INITMSG") < 0 ||
        setopt(a, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &off, sizeof off, "FRAGMENT_INTERLEAVE") <
            0 ||
        setopt(a, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf, "SO_SNDBUF") < 0 ||
        setopt(a, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv, "SO_RCVBUF") < 0 ||
        setopt(a, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof pd, "PD_POINT") < 0 ||
        subscribe_events(a) < 0)
        return DC_EIO;
    struct sockaddr_conn sc = conn_addr(a);
    if (usrsctp_bind(a->sock, (struct sockaddr *)&sc, sizeof sc) < 0) {
        LOGE("sctp", "usrsctp_bind failed", "errno=%d", errno);
        return DC_EIO;
    }
    return 0;
}

static void destroy(struct sctp_assoc *a)
{
    enter();
    if (a->sock)
        usrsctp_close(a->sock);
    dep_usrsctp_unregister(a->id);
    datachannel_table_free(&a->channels);
    sctp_partials_free(a);
    free(a);
    dep_usrsctp_release();
    leave();
}

struct sctp_assoc *sctp_assoc_new(const struct sctp_callbacks *cb, void *ctx, uint16_t port,
                                  uint32_t max_message_size, uint32_t remote_max_message_size)
{
    if (!cb || !cb->send || dep_usrsctp_acquire() < 0)
        return NULL;
    if (max_message_size == 0)
        max_message_size = SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    if (max_message_size > MAX_MESSAGE_CAP)
        max_message_size = MAX_MESSAGE_CAP;
    struct sctp_assoc *a = util_calloc(1, sizeof *a);
    a->cb = *cb;
    a->ctx = ctx;
    a->port = port ? port : SCTP_DEFAULT_PORT;
    a->max_message_size = max_message_size;
    a->sndbuf = max_message_size > SEND_BUFFER_MIN ? max_message_size : SEND_BUFFER_MIN;
    a->send_limit = remote_max_message_size && remote_max_message_size < a->sndbuf
                        ? remote_max_message_size
                        : a->sndbuf;
    a->low_water = LOW_WATER_DEFAULT;
    datachannel_table_init(&a->channels);
    a->id = dep_usrsctp_register(a, on_usrsctp_output);
    /* Threshold 1: the send callback reports after every SACK that frees
     * space, which keeps sctp_assoc_buffered exact. */
    a->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, sctp_recv_cb, sctp_sendable_cb, 1,
                             (void *)a->id);
    size_t rcvbuf = (size_t)max_message_size * 4;
    if (rcvbuf < SEND_BUFFER_MIN)
        rcvbuf = SEND_BUFFER_MIN;
    if (!a->sock || socket_setup(a, rcvbuf) < 0) {
        LOGE("sctp", "association set-up failed", "errno=%d", errno);
        a->freeing = true;
        destroy(a);
        return NULL;
    }
    return a;
}

void sctp_assoc_free(struct sctp_assoc *a)
{
    if (!a || a->freeing)
        return;
    a->freeing = true;
    if (g_depth > 0 || dep_usrsctp_in_output()) {
        a->silent = true;
        a->reap_next = g_reap;
        g_reap = a;
        return;
    }
    destroy(a);
}

static int do_connect(struct sctp_assoc *a)
{
    struct sockaddr_conn sc = conn_addr(a);
    a->state = SCTP_ST_CONNECTING;
    if (usrsctp_connect(a->sock, (struct sockaddr *)&sc, sizeof sc) < 0 && errno != EINPROGRESS) {
        LOGW("sctp", "usrsctp_connect failed", "id=%lu errno=%d", (unsigned long)a->id, errno);
        a->state = SCTP_ST_CLOSED;
        return DC_EIO;
    }
    /* No path MTU discovery over DTLS: a fixed, safe packet size. */
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof pp);
    memcpy(&pp.spp_address, &sc, sizeof sc);
    pp.spp_flags = SPP_PMTUD_DISABLE;
    pp.spp_pathmtu = SCTP_MTU - (uint32_t)sizeof(struct sctp_common_header);
    setopt(a, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp, "PEER_ADDR_PARAMS");
    return 0;
}

int sctp_assoc_connect(struct sctp_assoc *a)
{
    if (!usable(a))
        return DC_EINVAL;
    if (a->state != SCTP_ST_NEW)
        return DC_EINVAL;
    enter();
    int r = do_connect(a);
    leave();
    return r;
}

void sctp_assoc_feed(struct sctp_assoc *a, const uint8_t *pkt, size_t len)
{
    if (!usable(a) || !pkt || len == 0 || a->state == SCTP_ST_CLOSED)
        return;
    enter();
    if (a->state == SCTP_ST_NEW)
        do_connect(a);
    usrsctp_conninput((void *)a->id, pkt, len, 0);
    leave();
}

/* Checks common to every send-type call: 0 or the error to return. */
static int check_open(const struct sctp_assoc *a)
{
    if (!a)
        return DC_EINVAL;
    if (a->freeing || a->state == SCTP_ST_CLOSED)
        return DC_ECLOSED;
    if (!usable(a))
        return DC_EINVAL;
    return a->state == SCTP_ST_OPEN ? 0 : DC_EAGAIN;
}

int sctp_assoc_send(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, const uint8_t *data,
                    size_t len)
{
    int r = check_open(a);
    if (r < 0)
        return r;
    uint32_t wire;
    struct datachannel_send_params p;
    r = datachannel_prepare_send(&a->channels, stream, ppid, data, len, a->send_limit, &wire, &p);
    if (r == DC_ETOOBIG)
        a->stats.drop_out_too_big++;
    if (r < 0)
        return r;
    static const uint8_t zero = 0;
    enter();
    r = sctp_raw_send(a, stream, wire, len ? data : &zero, len ? len : 1, &p);
    if (r == 0) {
        a->stats.msgs_out++;
        a->stats.bytes_out += len;
    } else if (r == DC_ETOOBIG) {
        a->stats.drop_out_too_big++;
    }
    leave();
    return r;
}

int sctp_assoc_hold(struct sctp_assoc *a, bool hold)
{
    int r = check_open(a);
    if (r < 0 && r != DC_EAGAIN)
        return r;
    if (!a->sock)
        return DC_ECLOSED;
    if (a->held == hold)
        return 0;
    uint32_t nodelay = hold ? 0 : 1;
    if (setopt(a, IPPROTO_SCTP, SCTP_NODELAY, &nodelay, sizeof nodelay, "NODELAY") < 0)
        return DC_EIO;
    a->held = hold;
    return 0;
}

int sctp_assoc_open_channel(struct sctp_assoc *a, uint16_t stream, const char *label, bool ordered,
                            int max_rexmit)
{
    int r = check_open(a);
    if (r < 0)
        return r;
    size_t ll = label ? strlen(label) : 0;
    if (!label || ll > UINT16_MAX || stream >= a->out_streams)
        return DC_EINVAL;
    if (datachannel_find(&a->channels, stream))
        return DC_EEXIST;
    struct dcep_open o = {
        .channel_type = datachannel_type_for(ordered, max_rexmit),
        .priority = DCEP_PRIORITY_NORMAL,
        .reliability = max_rexmit > 0 ? (uint32_t)max_rexmit : 0,
        .label = label,
        .label_len = (uint16_t)ll,
    };
    size_t n = dcep_open_size(&o);
    uint8_t *buf = util_malloc(n);
    dcep_build_open(&o, buf, n);
    enter();
    r = sctp_raw_send(a, stream, DCEP_PPID_CONTROL, buf, n, NULL);
    if (r == 0)
        datachannel_add(&a->channels, stream, o.channel_type, o.reliability, label, ll, NULL, 0,
                        true);
    leave();
    free(buf);
    return r;
}

int sctp_assoc_close_channel(struct sctp_assoc *a, uint16_t stream)
{
    if (!a || !usable(a))
        return a && a->freeing ? DC_ECLOSED : DC_EINVAL;
    struct datachannel *c = datachannel_find(&a->channels, stream);
    if (!c)
        return DC_ENOTFOUND;
    if (c->state == DATACHANNEL_CLOSING)
        return 0;
    if (a->state != SCTP_ST_OPEN) {
        datachannel_remove(&a->channels, stream);
        return DC_ECLOSED;
    }
    /* Even if the reset cannot be sent, the channel stays CLOSING (sends
     * refused) rather than vanish under an on_channel caller's feet. */
    c->state = DATACHANNEL_CLOSING;
    enter();
    int r = sctp_reset_outgoing(a, stream);
    leave();
    return r;
}

int sctp_assoc_shutdown(struct sctp_assoc *a)
{
    int r = check_open(a);
    if (r < 0)
        return r;
    enter();
    if (usrsctp_shutdown(a->sock, SHUT_WR) < 0) {
        LOGW("sctp", "usrsctp_shutdown failed", "id=%lu errno=%d", (unsigned long)a->id, errno);
        r = DC_EIO;
    }
    leave();
    return r;
}

bool sctp_assoc_is_open(const struct sctp_assoc *a)
{
    return a && !a->freeing && a->state == SCTP_ST_OPEN;
}

bool sctp_assoc_channel_info(const struct sctp_assoc *a, uint16_t stream,
                             struct sctp_channel_info *out)
{
    if (!a || !out)
        return false;
    const struct datachannel *c =
        datachannel_find((struct datachannel_table *)&a->channels, stream);
    if (!c)
        return false;
    *out = (struct sctp_channel_info){
        .label = c->label,
        .protocol = c->protocol,
        .type = c->type,
        .reliability = c->reliability,
        .local = c->local,
        .acked = c->state != DATACHANNEL_OPENING,
        .closing = c->state == DATACHANNEL_CLOSING,
    };
    return true;
}

size_t sctp_assoc_buffered(const struct sctp_assoc *a) { return a ? a->buffered : 0; }

size_t sctp_assoc_send_buffer(const struct sctp_assoc *a) { return a ? a->sndbuf : 0; }

void sctp_assoc_set_low_water(struct sctp_assoc *a, size_t bytes)
{
    if (a)
        a->low_water = bytes;
}

void sctp_assoc_stats(const struct sctp_assoc *a, struct sctp_stats *out)
{
    if (a && out)
        *out = a->stats;
}

void sctp_tick(uint64_t now_ms)
{
    if (dep_usrsctp_in_output())
        return;
    enter();
    dep_usrsctp_tick(now_ms);
    leave();
}
