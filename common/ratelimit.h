/* ratelimit.h: new connections per source address per second, as one token
 * bucket per address in a table of bounded size.  No I/O, no clock: times
 * are passed in (monotonic milliseconds).
 *
 * An address is an IPv4 address, or the first 64 bits of an IPv6 address
 * (one host or subscriber usually holds a whole /64 and could otherwise
 * take a fresh address for every connection); an IPv4-mapped IPv6 address
 * counts as its IPv4 address.  Other families are always allowed.
 *
 * Each address may make `rate` connections in a burst and gets `rate` back
 * per second (one every 1000/rate ms), so it makes at most about `rate` a
 * second in the long run.
 *
 * The table holds at most `max_addrs` addresses.  An address whose bucket is
 * full again (no connection for a second) tells nothing and is dropped when
 * room is needed (at most one sweep every RATELIMIT_SWEEP_MS).  When every
 * entry is still refilling (more than max_addrs addresses connected within
 * the last second), a new address is allowed without being tracked and
 * counted in ratelimit_untracked(); addresses already in the table keep
 * being limited, so a flooding address can never push itself out.
 *
 * Return codes: ratelimit_new returns NULL when rate is 0 (no limit); every
 * function accepts that NULL and then allows everything. */
#ifndef DC_RATELIMIT_H
#define DC_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RATELIMIT_SWEEP_MS 100

struct ratelimit;

struct ratelimit *ratelimit_new(uint32_t rate, size_t max_addrs);
void ratelimit_free(struct ratelimit *rl);
/* Takes one token from the bucket of sa's address: true if the connection
 * may go ahead, false if that address is over its rate. */
bool ratelimit_allow(struct ratelimit *rl, const struct sockaddr *sa, uint64_t now_ms);
/* Addresses in the table now. */
size_t ratelimit_size(const struct ratelimit *rl);
/* Connections allowed untracked because the table was full. */
uint64_t ratelimit_untracked(const struct ratelimit *rl);

#endif
