/* dep_usrsctp.h: usrsctp's global state, owned in one place.
 *
 * usrsctp runs without its timer and receive threads
 * (usrsctp_init_nothreads): its timers advance only when dep_usrsctp_tick
 * is called with the current time (the server's ~10 ms timer; tests pass a
 * fake clock).  usrsctp also reads gettimeofday itself (RTT samples,
 * heartbeats, and a T3 retransmission only resends chunks that have been
 * outstanding for an RTO of wall-clock time), so the clock given to
 * dep_usrsctp_tick must run at the wall clock's pace: a monotonic
 * millisecond clock such as uv_now() does.
 *
 * Not quite thread-free: usrsctp_init_nothreads still starts usrsctp's
 * address-iterator thread.  It runs after an AF_CONN address is
 * deregistered and walks the endpoints under usrsctp's own locks; it only
 * acts on endpoints bound to all addresses, which ours never are, so it
 * never calls back into this process, but it briefly holds a reference on
 * an endpoint, which can postpone the freeing of a closed one to a later
 * tick.  usrsctp 0.9.5 does not restart that thread after usrsctp_finish
 * (its exit flag is never cleared), after which such references are never
 * dropped and closed endpoints leak.  Hence usrsctp is initialised once
 * per process and finished only at exit: dep_usrsctp_shutdown is final.
 *
 * Reference counting: each association holds a reference (acquire on
 * creation, release on free); the first acquire initialises usrsctp and
 * sets its global tunables.  Releasing the last reference keeps usrsctp
 * running; dep_usrsctp_shutdown (process exit, end of tests) finishes it
 * once no reference is held.
 *
 * Registry: usrsctp's callbacks carry an opaque pointer.  It is never a
 * real pointer here but an integer id (never 0, never reused) mapped to the
 * object registered under it, so a callback for an object that is gone
 * finds nothing instead of touching freed memory.  dep_usrsctp_register
 * also registers the id as an AF_CONN address with usrsctp, and its output
 * function receives every SCTP packet usrsctp emits for that address.
 *
 * Debug text from usrsctp goes to common/log.h at debug level under the
 * module name "usrsctp"; dep_usrsctp_set_debug turns on usrsctp's own
 * (very verbose) tracing. */
#ifndef DC_DEP_USRSCTP_H
#define DC_DEP_USRSCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*dep_usrsctp_output_fn)(void *obj, const uint8_t *pkt, size_t len);

/* 0 on success (initialising usrsctp on first use), DC_ECLOSED after
 * dep_usrsctp_shutdown. */
int dep_usrsctp_acquire(void);
void dep_usrsctp_release(void);
/* References held (live associations). */
unsigned dep_usrsctp_refs(void);
/* True between the first acquire and dep_usrsctp_shutdown. */
bool dep_usrsctp_initialized(void);
/* Finishes usrsctp for good (process exit, end of tests).  Blocks, sleeping
 * in 1 ms steps for at most about max_ms, until closed endpoints are freed.
 * 0 when finished (or never started), DC_EINVAL while references are held,
 * DC_EAGAIN on timeout. */
int dep_usrsctp_shutdown(unsigned max_ms);

/* Returns the new id (never 0).  Requires an acquired library. */
uintptr_t dep_usrsctp_register(void *obj, dep_usrsctp_output_fn out);
/* The object registered under id, or NULL (unknown or unregistered id). */
void *dep_usrsctp_lookup(uintptr_t id);
void dep_usrsctp_unregister(uintptr_t id);

/* Advances usrsctp's timers to now_ms (monotonic milliseconds).  The first
 * call only records the time. */
void dep_usrsctp_tick(uint64_t now_ms);
void dep_usrsctp_set_debug(bool on);

/* True while usrsctp is inside an output function (a packet being handed
 * out): nothing may call back into usrsctp then. */
bool dep_usrsctp_in_output(void);

#endif
