/* bench/sctpc: CPU per user message sent and acknowledged, native SCTP
 * core (transport/sctpc) versus usrsctp (transport/sctp), in memory.
 *
 * One sender and one receiver association joined by in-memory queues; each
 * loop turn the sender queues a batch of messages (1 or 5, 100 bytes),
 * flushes, the receiver takes the packets and answers, and the sender takes
 * the SACKs.  Reported per message: the sender side alone (send, flush,
 * SACK processing: what a server pays per delivered message; wall-clock
 * time summed over those calls) and the process CPU time of both ends
 * together.  Our core is driven as the server will drive it: sends, then
 * one sctpc_tick (timers + flush) per loop turn; usrsctp sends each message
 * at once and runs its timers every 16 turns.  "sctpc" is the bare core,
 * "sctpc_dc" the data channel layer on it (the same work as usrsctp's row,
 * which goes through transport/sctp.c's channels).  Usage: sctpc [iterations]
 * (default 20000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/dcep.h"
#include "transport/dep_usrsctp.h"
#include "transport/sctp.h"
#include "transport/sctpc.h"
#include "transport/sctpc_dc.h"

#define MSG_LEN 100
#define QCAP 256

struct q {
    uint8_t *pkt[QCAP];
    size_t len[QCAP];
    int n;
};

struct end {
    struct q out;
    uint64_t msgs;
    int open;
};

static struct end S, R;

static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void discard(struct end *e)
{
    for (int i = 0; i < e->out.n; i++)
        free(e->out.pkt[i]);
    e->out.n = 0;
}

static void on_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct q *q = &((struct end *)ctx)->out;
    if (q->n == QCAP) {
        fprintf(stderr, "queue overflow\n");
        exit(1);
    }
    q->pkt[q->n] = malloc(len);
    memcpy(q->pkt[q->n], pkt, len);
    q->len[q->n++] = len;
}

static void on_open(void *ctx) { ((struct end *)ctx)->open = 1; }

static void on_msg(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *d, size_t n)
{
    (void)stream, (void)d, (void)n;
    if (ppid != DCEP_PPID_CONTROL)
        ((struct end *)ctx)->msgs++;
}

/* Feeds every queued packet of `from` to `feed`, then frees them. */
typedef void (*feed_fn)(void *assoc, const uint8_t *p, size_t n, uint64_t now_ms);

static void drain(struct end *from, feed_fn feed, void *to, uint64_t now_ms)
{
    for (int i = 0; i < from->out.n; i++) {
        feed(to, from->out.pkt[i], from->out.len[i], now_ms);
        free(from->out.pkt[i]);
    }
    from->out.n = 0;
}

static void feed_ours(void *a, const uint8_t *p, size_t n, uint64_t now_ms)
{
    sctpc_feed(a, p, n, now_ms);
}

static void feed_usr(void *a, const uint8_t *p, size_t n, uint64_t now_ms)
{
    (void)now_ms;
    sctp_assoc_feed(a, p, n);
}

struct result {
    double sender_ns, total_ns;
};

static struct result run_ours(int iters, int batch)
{
    static const struct sctpc_callbacks cb = {.send = on_send, .on_open = on_open,
                                              .on_message = on_msg};
    memset(&S, 0, sizeof S);
    memset(&R, 0, sizeof R);
    struct sctpc *s = sctpc_new(NULL, &cb, &S), *r = sctpc_new(NULL, &cb, &R);
    uint64_t now = ns_now() / 1000000;
    sctpc_connect(s, now);
    sctpc_connect(r, now);
    for (int i = 0; i < 20 && !(S.open && R.open); i++) {
        sctpc_flush(s, now);
        sctpc_flush(r, now);
        drain(&S, feed_ours, r, now);
        drain(&R, feed_ours, s, now);
    }
    uint8_t msg[MSG_LEN] = {1};
    uint64_t t_sender = 0, t_start = cpu_now();
    for (int i = 0; i < iters; i++) {
        now = ns_now() / 1000000;
        uint64_t t0 = ns_now();
        for (int k = 0; k < batch; k++)
            sctpc_send(s, 1, DCEP_PPID_BINARY, msg, sizeof msg, NULL, now);
        sctpc_tick(s, now);
        uint64_t t1 = ns_now();
        drain(&S, feed_ours, r, now);
        sctpc_tick(r, now);
        uint64_t t2 = ns_now();
        drain(&R, feed_ours, s, now);
        t_sender += (t1 - t0) + (ns_now() - t2);
    }
    uint64_t total = cpu_now() - t_start;
    uint64_t n = (uint64_t)iters * (uint64_t)batch;
    if (R.msgs != n)
        fprintf(stderr, "ours: delivered %llu of %llu\n", (unsigned long long)R.msgs,
                (unsigned long long)n);
    sctpc_free(s);
    sctpc_free(r);
    discard(&S);
    discard(&R);
    return (struct result){(double)t_sender / (double)n, (double)total / (double)n};
}

static void feed_dc(void *a, const uint8_t *p, size_t n, uint64_t now_ms)
{
    sctpc_dc_feed(a, p, n, now_ms);
}

/* The data channel layer on our core: the same work as run_usr. */
static struct result run_dc(int iters, int batch)
{
    static const struct sctp_callbacks cb = {.send = on_send, .on_open = on_open,
                                             .on_message = on_msg};
    memset(&S, 0, sizeof S);
    memset(&R, 0, sizeof R);
    struct sctpc_dc *s = sctpc_dc_new(&cb, &S, 0, 0, 0), *r = sctpc_dc_new(&cb, &R, 0, 0, 0);
    uint64_t now = ns_now() / 1000000;
    sctpc_dc_connect(s, now);
    sctpc_dc_connect(r, now);
    for (int i = 0; i < 20; i++) {
        if (i == 10)
            sctpc_dc_open_channel(s, 1, "bench", true, -1);
        sctpc_dc_flush(s, now);
        sctpc_dc_flush(r, now);
        drain(&S, feed_dc, r, now);
        drain(&R, feed_dc, s, now);
    }
    uint8_t msg[MSG_LEN] = {1};
    uint64_t t_sender = 0, t_start = cpu_now();
    for (int i = 0; i < iters; i++) {
        now = ns_now() / 1000000;
        uint64_t t0 = ns_now();
        for (int k = 0; k < batch; k++)
            sctpc_dc_send(s, 1, DCEP_PPID_BINARY, msg, sizeof msg);
        sctpc_dc_tick(s, now);
        uint64_t t1 = ns_now();
        drain(&S, feed_dc, r, now);
        sctpc_dc_tick(r, now);
        uint64_t t2 = ns_now();
        drain(&R, feed_dc, s, now);
        t_sender += (t1 - t0) + (ns_now() - t2);
    }
    uint64_t total = cpu_now() - t_start;
    uint64_t n = (uint64_t)iters * (uint64_t)batch;
    if (R.msgs != n)
        fprintf(stderr, "sctpc_dc: delivered %llu of %llu\n", (unsigned long long)R.msgs,
                (unsigned long long)n);
    sctpc_dc_free(s);
    sctpc_dc_free(r);
    discard(&S);
    discard(&R);
    return (struct result){(double)t_sender / (double)n, (double)total / (double)n};
}

static struct result run_usr(int iters, int batch)
{
    static const struct sctp_callbacks cb = {.send = on_send, .on_open = on_open,
                                             .on_message = on_msg};
    memset(&S, 0, sizeof S);
    memset(&R, 0, sizeof R);
    struct sctp_assoc *s = sctp_assoc_new(&cb, &S, 5000, 0, 0);
    struct sctp_assoc *r = sctp_assoc_new(&cb, &R, 5000, 0, 0);
    sctp_assoc_connect(s);
    sctp_assoc_connect(r);
    for (int i = 0; i < 50 && !(S.open && R.open && sctp_assoc_is_open(s)); i++) {
        sctp_tick(ns_now() / 1000000);
        drain(&S, feed_usr, r, 0);
        drain(&R, feed_usr, s, 0);
    }
    sctp_assoc_open_channel(s, 1, "bench", true, -1);
    for (int i = 0; i < 5; i++) {
        drain(&S, feed_usr, r, 0);
        drain(&R, feed_usr, s, 0);
    }
    uint8_t msg[MSG_LEN] = {1};
    uint64_t t_sender = 0, t_start = cpu_now();
    for (int i = 0; i < iters; i++) {
        uint64_t t0 = ns_now();
        for (int k = 0; k < batch; k++)
            sctp_assoc_send(s, 1, DCEP_PPID_BINARY, msg, sizeof msg);
        if (i % 16 == 0)
            sctp_tick(ns_now() / 1000000); /* both associations' timers */
        uint64_t t1 = ns_now();
        drain(&S, feed_usr, r, 0);
        uint64_t t2 = ns_now();
        drain(&R, feed_usr, s, 0);
        t_sender += (t1 - t0) + (ns_now() - t2);
    }
    uint64_t total = cpu_now() - t_start;
    uint64_t n = (uint64_t)iters * (uint64_t)batch;
    if (R.msgs != n)
        fprintf(stderr, "usrsctp: delivered %llu of %llu\n", (unsigned long long)R.msgs,
                (unsigned long long)n);
    sctp_assoc_free(s);
    sctp_assoc_free(r);
    discard(&S);
    discard(&R);
    return (struct result){(double)t_sender / (double)n, (double)total / (double)n};
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 20000;
    if (iters <= 0)
        iters = 20000;
    printf("%-8s %5s %16s %16s\n", "impl", "batch", "sender ns/msg", "both ends ns/msg");
    const int batches[2] = {1, 5};
    for (int b = 0; b < 2; b++) {
        struct result o = run_ours(iters, batches[b]);
        struct result d = run_dc(iters, batches[b]);
        struct result u = run_usr(iters, batches[b]);
        printf("%-8s %5d %16.0f %16.0f\n", "sctpc", batches[b], o.sender_ns, o.total_ns);
        printf("%-8s %5d %16.0f %16.0f\n", "sctpc_dc", batches[b], d.sender_ns, d.total_ns);
        printf("%-8s %5d %16.0f %16.0f\n", "usrsctp", batches[b], u.sender_ns, u.total_ns);
    }
    dep_usrsctp_shutdown(1000);
    return 0;
}
