/* dtls_sctp.c: stateful fuzz target for one peer connection: dcsfu's peer
 * (transport/peer.c: ICE-lite, DTLS client, SCTP, DCEP, data channels)
 * against the unit tests' in-memory client (tests/unit/client_peer.h) over
 * the simulated network of tests/unit/peer_world.h, under a fake clock.
 *
 * Byte 0 picks dcsfu's SCTP stack: bit 0 clear, the native one
 * (transport/sctpc*.c, the default); set, usrsctp.  The client always runs
 * usrsctp.  The rest of the input is a script.  Every datagram on the network (both directions)
 * first takes one byte that decides its fate:
 *   0-2 deliver   3 drop   4 flip a byte (2 bytes position, 1 byte mask)
 *   5 truncate (2 bytes length)   6 deliver twice
 *   7 inject a datagram (2 bytes length, bytes) from the same source first
 * The connection is set up (Chromium offer) while the clock runs for at most
 * 5 s.  Then the rest of the script is a list of operations:
 *   0-3 one 10 ms step
 *   4 the client acts: a byte a, then
 *       a < 0x80: sends a message on its channel (bit 0: lossy): 2 bytes
 *                 length, bytes
 *       a & 0x40: closes the channel on stream (2 bytes)
 *       a & 0x20: shuts the association down
 *       otherwise opens a channel: stream (2 bytes), label (2 bytes length,
 *                 at most 64 bytes), ordered if bit 0, lossy if bit 1
 *   5 dcsfu sends a message, same arguments as the client's message; with
 *     bit 7 set instead, dcsfu closes the peer connection
 *   6 the client sends an SCTP packet of its choosing through its DTLS
 *     session: 2 bytes length, the chunks; the common header (ports 5000,
 *     the association's verification tag) and CRC32c are filled in, so the
 *     bytes reach usrsctp and transport/sctp_recv.c as a real peer's would
 *   7 the clock jumps a byte times 100 ms, then one step (timeouts,
 *     retransmissions, consent expiry)
 * When the script ends the network runs 1 s more without interference,
 * then everything is freed.  Run from the repository root (the offer
 * fixture is read from tests/unit/fixtures/). */
#include <mbedtls/ssl.h>
#include <sys/time.h>

#include "fuzz/cmocka_shim.h"
#include "fuzz/fuzz.h"

/* The verification tag dcsfu's association expects, seen in the client's
 * own SCTP packets on their way into its DTLS session. */
static uint8_t client_vtag[4];
static bool have_vtag;

static int fuzz_ssl_write(mbedtls_ssl_context *ssl, const unsigned char *b, size_t n)
{
    if (n >= 12) {
        memcpy(client_vtag, b + 4, 4);
        have_vtag = true;
    }
    return mbedtls_ssl_write(ssl, b, n);
}
#define mbedtls_ssl_write fuzz_ssl_write
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function" /* test helpers this target does not use */
#include "tests/unit/peer_world.h"
#pragma GCC diagnostic pop
#undef mbedtls_ssl_write

/* gettimeofday (read by usrsctp) comes from peer_world.h's fake clock. */

static struct fuzz_in IN;

static bool hook(struct dg *g)
{
    if (!IN.n)
        return false;
    size_t len;
    const uint8_t *b;
    switch (fuzz_u8(&IN) & 7) {
    case 3:
        return true;
    case 4: {
        uint16_t pos = fuzz_u16(&IN);
        uint8_t mask = fuzz_u8(&IN);
        if (g->len)
            g->data[pos % g->len] ^= mask ? mask : 1;
        return false;
    }
    case 5:
        g->len = fuzz_u16(&IN) % (g->len + 1);
        return false;
    case 6:
        deliver(g);
        return false;
    case 7: {
        b = fuzz_bytes(&IN, 1500, &len);
        struct dg *x = malloc(sizeof *x + (len ? len : 1));
        *x = *g;
        x->len = len;
        memcpy(x->data, b, len);
        deliver(x);
        free(x);
        return false;
    }
    default:
        return false;
    }
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
}

static void client_raw_sctp(struct client_peer *c, const uint8_t *chunks, size_t len)
{
    if (!c->dtls_done || c->dtls_err || c->close_notify_rx || !have_vtag)
        return;
    uint8_t pkt[1500];
    if (len > sizeof pkt - 12)
        len = sizeof pkt - 12;
    pkt[0] = pkt[2] = 0x13; /* port 5000 both ways */
    pkt[1] = pkt[3] = 0x88;
    memcpy(pkt + 4, client_vtag, 4);
    memset(pkt + 8, 0, 4);
    memcpy(pkt + 12, chunks, len);
    uint32_t crc = crc32c(pkt, 12 + len);
    memcpy(pkt + 8, &crc, 4); /* usrsctp's byte order on little-endian hosts */
    if (mbedtls_ssl_write(&c->dw.s.ssl, pkt, 12 + len) == (int)(12 + len))
        cp_flush(c);
}

static void client_op(struct client_peer *c, uint8_t a)
{
    size_t len;
    const uint8_t *b;
    if (a < 0x80) {
        b = fuzz_bytes(&IN, 70000, &len);
        (void)cp_send(c, a & 1, b, len);
        return;
    }
    if (a & 0x40) {
        uint16_t stream = fuzz_u16(&IN);
        if (c->sctp)
            (void)sctp_assoc_close_channel(c->sctp, stream);
        return;
    }
    if (a & 0x20) {
        if (c->sctp)
            (void)sctp_assoc_shutdown(c->sctp);
        return;
    }
    uint16_t stream = fuzz_u16(&IN);
    b = fuzz_bytes(&IN, 64, &len);
    char label[65];
    memcpy(label, b, len);
    label[len] = '\0';
    if (c->sctp)
        (void)sctp_assoc_open_channel(c->sctp, stream, label, a & 1, a & 2 ? 0 : -1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_reset();
    if (cert_new(&SCERT, NOW_S) != 0 || cert_new(&CCERT, NOW_S) != 0)
        __builtin_trap();
    SRV = cp_addr("10.0.0.1", 7882);
    STRANGER = cp_addr("203.0.113.66", 4444);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!SCERT)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    fuzz_reset();
    g_sctp_impl = data[0] & 1 ? PEER_SCTP_USRSCTP : PEER_SCTP_NATIVE;
    IN = (struct fuzz_in){data + 1, size - 1};
    have_vtag = false;
    memset(&NET, 0, sizeof NET);
    NET.hook = hook;
    now_ms = 1000000;

    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    negotiate(s, c, FIX_CHROMIUM, NULL);
    for (uint64_t end = now_ms + 5000; !pair_up(s, c) && !s->failed && now_ms < end;)
        step();

    for (int ops = 0; IN.n && ops < 1024 && !s->failed && !s->closed; ops++) {
        size_t len;
        const uint8_t *b;
        uint8_t op = fuzz_u8(&IN) & 7, kind;
        switch (op) {
        case 4:
            client_op(c, fuzz_u8(&IN));
            break;
        case 5:
            kind = fuzz_u8(&IN);
            if (kind & 0x80) {
                peer_close(s->peer);
                s->closed = true;
                break;
            }
            b = fuzz_bytes(&IN, 70000, &len);
            (void)peer_send(s->peer, kind & 1, b, len);
            break;
        case 6:
            b = fuzz_bytes(&IN, 1400, &len);
            client_raw_sctp(c, b, len);
            break;
        case 7:
            now_ms += (uint64_t)fuzz_u8(&IN) * 100;
            step();
            break;
        default:
            step();
            break;
        }
    }
    NET.hook = NULL;
    run_ms(1000);

    sp_free(s);
    cl_free(c);
    net_clear();
    for (int i = 0; i < 500; i++) { /* let usrsctp free what it still holds */
        now_ms += STEP_MS;
        sctp_tick(now_ms);
    }
    if (dep_usrsctp_refs() != 0)
        __builtin_trap();
    memset(&NET, 0, sizeof NET);
    return 0;
}
