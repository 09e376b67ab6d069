/* ice_lite.h: the ICE-lite agent of one peer connection (RFC 8445 lite
 * implementation, trickle-compatible in the RFC 8838 sense: it has no
 * candidates to gather and accepts checks from any address), I/O-free.
 *
 * What it does: holds the local credentials that go into our SDP answer
 * (a=ice-ufrag, a=ice-pwd) and the remote ones from the peer's offer,
 * answers the peer's authenticated Binding requests, selects the address
 * the controlling peer nominates (USE-CANDIDATE) and follows it when it
 * nominates another one (network change), and tracks consent freshness
 * (RFC 7675) from the checks the peer keeps sending on the selected pair.
 *
 * What it does not do: send checks (a lite agent never does), gather
 * candidates, own sockets or timers.  The caller feeds every STUN datagram
 * with its source address and the current time, sends what it is handed
 * back to that same address, and polls ice_lite_consent_expired.
 *
 * Security: a request that is not a well-formed, authenticated Binding
 * request for our current (or, during a restart, previous) credentials gets
 * no answer at all, so the agent never reflects traffic to strangers; it is
 * counted in ice_lite_stats.  Authenticated requests that cannot be honoured
 * get an authenticated error: 487 Role Conflict when the peer claims the
 * controlled role (a lite agent is always controlled), 420 when they carry
 * comprehension-required attributes this agent does not understand.
 *
 * ICE restart: ice_lite_restart makes new local credentials.  The selected
 * address and the previous credentials stay valid (the peer keeps checking
 * the old pair for consent) until a check on the new credentials carries
 * USE-CANDIDATE; from then on only the new credentials are accepted.
 *
 * The struct is plain data: no allocation, nothing to free. */
#ifndef DC_ICE_LITE_H
#define DC_ICE_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_UFRAG_LEN 16        /* local ufrag, ice-chars (RFC 8839: 4..256) */
#define ICE_PWD_LEN 32          /* local pwd, ice-chars (RFC 8839: 22..256) */
#define ICE_REMOTE_MAX 256      /* longest remote ufrag / pwd accepted */
#define ICE_CONSENT_TIMEOUT_MS 30000

struct ice_lite_creds {
    char ufrag[ICE_UFRAG_LEN + 1];
    char pwd[ICE_PWD_LEN + 1];
    char remote_ufrag[ICE_REMOTE_MAX + 1]; /* "" until known */
    char remote_pwd[ICE_REMOTE_MAX + 1];   /* stored, unused by a lite agent */
};

struct ice_lite_stats {
    uint64_t requests_ok;       /* answered with a success response */
    uint64_t dropped_malformed; /* not STUN, bad framing, bad FINGERPRINT */
    uint64_t dropped_not_request; /* indications, responses, non-Binding */
    uint64_t dropped_username;  /* USERNAME missing or not ours */
    uint64_t dropped_integrity; /* MESSAGE-INTEGRITY missing or wrong */
    uint64_t dropped_no_room;   /* response did not fit the caller's buffer */
    uint64_t role_conflicts;    /* answered 487 */
    uint64_t unknown_attrs;     /* answered 420 */
    uint64_t selections;        /* ICE_SELECTED events */
    uint64_t moves;             /* ICE_MOVED events */
};

struct ice_lite {
    struct ice_lite_creds cur;
    struct ice_lite_creds prev; /* valid while prev_valid (after a restart) */
    bool prev_valid;

    bool selected;
    struct sockaddr_storage selected_addr;
    uint64_t last_consent_ms; /* last valid check from the selected address */

    struct ice_lite_stats stats;
};

enum ice_event { ICE_NONE = 0, ICE_SELECTED, ICE_MOVED };

/* Fresh agent with random local credentials (util_random_bytes). */
void ice_lite_init(struct ice_lite *a);

/* Remote credentials from the peer's SDP.  pwd may be NULL.  DC_EINVAL (and
 * nothing changed) unless ufrag is 1..ICE_REMOTE_MAX ice-chars and pwd at
 * most ICE_REMOTE_MAX ice-chars. */
int ice_lite_set_remote(struct ice_lite *a, const char *ufrag, const char *pwd);

/* ICE restart: new local credentials; the remote ones must be set again. */
void ice_lite_restart(struct ice_lite *a);

/* Handles one STUN datagram b[0..n) that arrived from `from` at now_ms.
 * Returns the length of the response written into resp[0..cap) (to be sent
 * to `from`), or 0 when nothing is to be sent.  *ev (may be NULL) is set to
 * ICE_SELECTED when the first address is nominated, ICE_MOVED when a
 * different address is nominated later, ICE_NONE otherwise. */
int ice_lite_on_stun(struct ice_lite *a, uint64_t now_ms, const uint8_t *b, size_t n,
                     const struct sockaddr *from, uint8_t *resp, size_t cap,
                     enum ice_event *ev);

/* True when an address is selected and no valid check came from it for
 * more than timeout_ms.  False while nothing is selected: the caller bounds
 * connection set-up with its own timer. */
bool ice_lite_consent_expired(const struct ice_lite *a, uint64_t now_ms, uint64_t timeout_ms);

/* Same family, port and address (IPv4 or IPv6; false for anything else). */
bool ice_lite_addr_equal(const struct sockaddr *x, const struct sockaddr *y);

#endif
