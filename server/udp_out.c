#include "server/udp_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/util.h"

struct udp_out {
    uv_udp_t *udp;
    uv_check_t check;
    void (*before)(void *ctx);
    void *before_ctx;
    size_t n;
    uint64_t dropped, batches, datagrams;
    struct mmsghdr msgs[UDP_OUT_BATCH];
    struct iovec iov[UDP_OUT_BATCH];
    struct sockaddr_storage addrs[UDP_OUT_BATCH];
    uint8_t slots[UDP_OUT_BATCH][UDP_OUT_SLOT];
};

static socklen_t addr_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void on_check(uv_check_t *h)
{
    struct udp_out *o = h->data;
    if (o->before)
        o->before(o->before_ctx);
    udp_out_flush(o);
}

void udp_out_before_flush(struct udp_out *o, void (*fn)(void *ctx), void *ctx)
{
    o->before = fn;
    o->before_ctx = ctx;
}

struct udp_out *udp_out_new(uv_loop_t *loop, uv_udp_t *udp)
{
    struct udp_out *o = util_calloc(1, sizeof *o);
    o->udp = udp;
    uv_check_init(loop, &o->check);
    o->check.data = o;
    uv_check_start(&o->check, on_check);
    uv_unref((uv_handle_t *)&o->check);
    return o;
}

void udp_out_flush(struct udp_out *o)
{
    uv_os_fd_t fd;
    if (o->n == 0)
        return;
    if (uv_fileno((uv_handle_t *)o->udp, &fd) != 0) {
        o->dropped += o->n;
        o->n = 0;
        return;
    }
    size_t done = 0;
    while (done < o->n) {
        int r = sendmmsg(fd, &o->msgs[done], (unsigned)(o->n - done), 0);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        /* The first datagram of the rest was refused: drop it, try the others. */
        o->dropped++;
        done++;
    }
    o->batches++;
    o->datagrams += o->n;
    o->n = 0;
}

void udp_out_send(struct udp_out *o, const struct sockaddr *to, const uint8_t *data, size_t len)
{
    if (len > UDP_OUT_SLOT) {
        udp_out_flush(o);
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        if (uv_udp_try_send(o->udp, &b, 1, to) < 0)
            o->dropped++;
        return;
    }
    if (o->n == UDP_OUT_BATCH)
        udp_out_flush(o);
    size_t i = o->n++;
    memcpy(o->slots[i], data, len);
    memcpy(&o->addrs[i], to, addr_len(to));
    o->iov[i].iov_base = o->slots[i];
    o->iov[i].iov_len = len;
    memset(&o->msgs[i], 0, sizeof o->msgs[i]);
    o->msgs[i].msg_hdr.msg_name = &o->addrs[i];
    o->msgs[i].msg_hdr.msg_namelen = addr_len(to);
    o->msgs[i].msg_hdr.msg_iov = &o->iov[i];
    o->msgs[i].msg_hdr.msg_iovlen = 1;
}

void udp_out_close(struct udp_out *o)
{
    if (!o)
        return;
    udp_out_flush(o);
    if (!uv_is_closing((uv_handle_t *)&o->check))
        uv_close((uv_handle_t *)&o->check, NULL);
}

void udp_out_free(struct udp_out *o)
{
    if (o)
        LOGD("rtc", "udp output", "datagrams=%llu batches=%llu dropped=%llu",
             (unsigned long long)o->datagrams, (unsigned long long)o->batches,
             (unsigned long long)o->dropped);
    free(o);
}

uint64_t udp_out_dropped(const struct udp_out *o)
{
    return o->dropped;
}
