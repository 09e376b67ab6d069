/* udp_sendmmsg: the kernel's cost of one UDP datagram in a fan-out, as dcsfu sends them
 * (sendmmsg of 150-byte datagrams to 49 receivers), without DTLS or SCTP.  Prints CPU
 * microseconds per datagram.  Run it in the benchmark namespace, where 10.77.0.1 and
 * 10.77.0.2 exist:
 *
 *   make bench && unshare -n bash -c '. scripts/netns-veth.sh; build/rel/bench/udp_sendmmsg 500000'
 *
 * The receiving sockets are never read (their buffers fill and the kernel drops), so the
 * figure includes the loopback delivery but not the wake-up of a reading client. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECEIVERS 49
#define SIZE 150

static double cpu_us(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static int bound_socket(const char *ip, int port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bind (run it in the benchmark namespace)");
        exit(1);
    }
    return s;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 200000;
    static struct sockaddr_in to[RECEIVERS];
    static struct mmsghdr m[RECEIVERS];
    static struct iovec iov[RECEIVERS];
    static char buf[SIZE];
    for (int i = 0; i < RECEIVERS; i++) {
        bound_socket("10.77.0.2", 20000 + i);
        to[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + i))};
        inet_pton(AF_INET, "10.77.0.2", &to[i].sin_addr);
        iov[i] = (struct iovec){.iov_base = buf, .iov_len = SIZE};
        m[i].msg_hdr = (struct msghdr){.msg_name = &to[i], .msg_namelen = sizeof to[i],
                                       .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int s = bound_socket("10.77.0.1", 7882);
    double t0 = cpu_us();
    long sent = 0;
    while (sent < total) {
        int k = sendmmsg(s, m, RECEIVERS, 0);
        if (k < 0) {
            perror("sendmmsg");
            return 1;
        }
        sent += k;
    }
    printf("%ld datagrams of %d bytes to %d receivers: %.2f us of CPU each\n", sent, SIZE,
           RECEIVERS, (cpu_us() - t0) / (double)sent);
    return 0;
}
