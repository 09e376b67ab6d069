/* udp_sendmmsg: the kernel's cost of one UDP datagram in a fan-out, as dcsfu sends them
 * (sendmmsg of 150-byte datagrams to 49 receivers), without DTLS or SCTP.  Prints CPU
 * microseconds per datagram.  Run it in the benchmark namespace, where 10.77.0.1 and
 * 10.77.0.2 exist:
 *
 *   make bench && unshare -n bash -c '. scripts/netns-veth.sh; build/rel/bench/udp_sendmmsg 500000'
 *   ... build/rel/bench/udp_sendmmsg --woken 20000
 *
 * By default the receiving sockets are never read (their buffers fill and the kernel
 * drops), so the figure includes the loopback delivery but not the wake-up of a reading
 * client.  --woken spreads the 49 sockets over 6 reader processes blocked in epoll (as
 * the data benchmark's client processes are) and sends one fan-out every 20 ms, so each
 * datagram also wakes its reader: the figure then is what a server on the same machine
 * as its clients pays per delivered datagram, before any DTLS or SCTP work. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECEIVERS 49
#define READERS 6
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

/* A reader process: reads every datagram of its sockets as it arrives. */
static void reader(const int *socks, int n)
{
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = socks[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &ev);
    }
    char buf[2048];
    for (;;) {
        struct epoll_event ev[16];
        int k = epoll_wait(ep, ev, 16, -1);
        for (int i = 0; i < k; i++)
            while (recv(ev[i].data.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
            }
    }
}

static void start_readers(const int *socks, pid_t *pids)
{
    for (int r = 0; r < READERS; r++) {
        int mine[RECEIVERS], n = 0;
        for (int i = r; i < RECEIVERS; i += READERS)
            mine[n++] = socks[i];
        pids[r] = fork();
        if (pids[r] == 0) {
            reader(mine, n);
            _exit(0);
        }
    }
}

int main(int argc, char **argv)
{
    int woken = argc > 1 && strcmp(argv[1], "--woken") == 0;
    long total = argc > 1 + woken ? atol(argv[1 + woken]) : 200000;
    static struct sockaddr_in to[RECEIVERS];
    static struct mmsghdr m[RECEIVERS];
    static struct iovec iov[RECEIVERS];
    static char buf[SIZE];
    int socks[RECEIVERS];
    pid_t pids[READERS];
    for (int i = 0; i < RECEIVERS; i++) {
        socks[i] = bound_socket("10.77.0.2", 20000 + i);
        to[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + i))};
        inet_pton(AF_INET, "10.77.0.2", &to[i].sin_addr);
        iov[i] = (struct iovec){.iov_base = buf, .iov_len = SIZE};
        m[i].msg_hdr = (struct msghdr){.msg_name = &to[i], .msg_namelen = sizeof to[i],
                                       .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    if (woken)
        start_readers(socks, pids);
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
        if (woken)
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    printf("%ld datagrams of %d bytes to %d receivers%s: %.2f us of CPU each\n", sent, SIZE,
           RECEIVERS, woken ? " (readers woken)" : "", (cpu_us() - t0) / (double)sent);
    if (woken)
        for (int r = 0; r < READERS; r++) {
            kill(pids[r], SIGKILL);
            waitpid(pids[r], NULL, 0);
        }
    return 0;
}
