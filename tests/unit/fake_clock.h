/* fake_clock.h: test-only fake clock shared with usrsctp.
 *
 * `now_ms` is the test's clock, advanced by the test.  usrsctp keeps two
 * clocks: its timers advance with sctp_tick, but it also reads
 * gettimeofday (RTT samples, heartbeats, and before a T3 retransmission it
 * checks that each chunk has been outstanding for an RTO of wall-clock
 * time).  Under a fake clock the two must agree, so the gettimeofday
 * defined here, which the dynamic linker binds for libusrsctp too, returns
 * a fixed epoch plus now_ms.  One include per test binary. */
#ifndef DC_TEST_FAKE_CLOCK_H
#define DC_TEST_FAKE_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

static uint64_t now_ms;

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    uint64_t t = 1700000000000ull + now_ms;
    tv->tv_sec = (time_t)(t / 1000);
    tv->tv_usec = (suseconds_t)(t % 1000) * 1000;
    return 0;
}

#endif
