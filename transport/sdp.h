/* sdp.h: read a WebRTC client's SDP offer and write dcsfu's answer.
 *
 * dcsfu only carries data channels, but LiveKit clients also offer placeholder
 * audio/video sections (v1: mids 0-2 audio, 3-5 video, 6 application, all in
 * one BUNDLE group).  libwebrtc refuses an answer that rejects bundled RTP
 * sections with port 0, so the answer keeps each bundled audio/video section
 * in the BUNDLE group as `a=inactive` with one codec echoed from the offer, and
 * accepts the data section.  dcsfu is an ICE-lite agent and always the DTLS
 * client (`a=setup:active`).
 *
 * sdp_parse_offer() reads an offer into a struct sdp_offer that owns all its
 * strings (free it with sdp_offer_free, also after a failed parse).  It takes
 * "\r\n" or "\n" line endings and ignores attributes it does not use.  It
 * returns DC_EPROTO, with a short static message in *why, for: input over
 * SDP_MAX_INPUT bytes, a line over SDP_MAX_LINE, more than SDP_MAX_SECTIONS
 * m= lines, NUL or other control bytes, a first line other than v=0, a
 * malformed m=, ice-ufrag/pwd (4..256 / 22..256 ice-chars), fingerprint,
 * setup, mid, sctp-port or max-message-size line, a malformed rtpmap/fmtp in
 * an RTP section, a section without a=mid or a repeated mid, no usable data
 * section, a data section without ICE credentials or fingerprint, and
 * a=setup:active or holdconn (dcsfu cannot be the DTLS server).
 *
 * The data section is the first non-rejected `m=application` with proto
 * UDP/DTLS/SCTP or TCP/DTLS/SCTP and format `webrtc-datachannel`; the old
 * `DTLS/SCTP 5000` + a=sctpmap form is not supported.  Its transport
 * attributes (ICE ufrag/pwd, fingerprint, setup) come from the section, else
 * the session level, else the first section of its BUNDLE group (RFC 8843 lets
 * later offers carry them only there); they become the offer-level fields.  A
 * fingerprint of any hash is kept (sha-256 preferred when several are given);
 * only sha-256 sets fingerprint_supported.  A changed ice_ufrag/ice_pwd from
 * one offer to the next is an ICE restart: answer it with new credentials too.
 *
 * sdp_build_answer() returns the answer as a malloc'd string (caller frees),
 * or NULL when the offer has no data section or a parameter is invalid (ICE
 * credentials out of range, fingerprint not 32 hex byte pairs, a candidate ip
 * that is not a numeric IPv4/IPv6 address).  Every offered section is
 * answered in offer order with the offered mid:
 *   - the data section: accepted, a=sctp-port:5000 and our max-message-size;
 *   - audio/video with proto UDP/TLS/RTP/SAVP(F) or TCP/TLS/RTP/SAVP(F), not
 *     rejected and in the data section's BUNDLE group: a=inactive, a=rtcp-mux,
 *     the first offered payload type with its a=rtpmap/a=fmtp;
 *   - anything else (rejected in the offer, outside that group, other media, a
 *     second data section): port 0 and left out of the BUNDLE group.
 * The session has a=ice-lite and a=group:BUNDLE listing the accepted mids in
 * offer order (no group when the data section was offered outside one).  The
 * candidates, a=end-of-candidates, and the first candidate's address in m=/c=
 * (IN IP6 for IPv6) go in the BUNDLE tag (the first accepted section):
 * libwebrtc ignores candidates in the other bundled sections.  Increase
 * session_version with each answer of a session.
 *
 * sdp_parse_candidate() reads one ICE candidate attribute for bookkeeping.
 * No I/O, no clock, no global state. */
#ifndef DC_SDP_H
#define DC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_INPUT (256 * 1024)
#define SDP_MAX_LINE 4096
#define SDP_MAX_SECTIONS 64
#define SDP_FP_MAX 64 /* sha-512 */

enum sdp_kind { SDP_AUDIO, SDP_VIDEO, SDP_APPLICATION, SDP_OTHER };

struct sdp_section {
    enum sdp_kind kind;
    char *media;        /* m= media token as offered ("audio", "message", ...) */
    char *proto;        /* m= proto as offered ("UDP/TLS/RTP/SAVPF") */
    char *fmts;         /* m= formats as offered, single-space separated */
    uint16_t port;
    bool rejected;      /* port 0 without a=bundle-only */
    bool bundle_only;
    char *mid;          /* never NULL after a successful parse */
    char *direction;    /* sendrecv/sendonly/recvonly/inactive ("sendrecv" if absent) */
    int first_pt;       /* RTP sections: first format as payload type, else -1 */
    char *rtpmap;       /* encoding of first_pt ("opus/48000/2"), NULL if none */
    char *fmtp;         /* parameters of first_pt ("minptime=10;..."), NULL if none */
    bool is_datachannel;
    uint16_t sctp_port;        /* datachannel: a=sctp-port, 5000 if absent */
    uint32_t max_message_size; /* datachannel: 65536 if absent; 0 = no limit */
};

struct sdp_offer {
    uint64_t session_id, session_version; /* from o=, 0 if not a uint64 */
    char *ice_ufrag, *ice_pwd;            /* the data section's transport */
    bool ice_lite;                        /* the offerer is ICE-lite */
    char fingerprint_alg[16];             /* lower case, e.g. "sha-256" */
    uint8_t fingerprint[SDP_FP_MAX];
    size_t fingerprint_len;
    bool fingerprint_supported;           /* fingerprint_alg is sha-256 */
    char *setup;                          /* "actpass", "passive", or NULL if absent */
    struct sdp_section *sections;
    size_t n_sections;
    size_t data_index;                    /* sections[data_index] is the data section */
    char **bundle_mids;                   /* BUNDLE group holding the data mid, group order */
    size_t n_bundle;
};

/* Returns 0 or DC_EPROTO (then *why, if why is not NULL, says why).  *out is
 * zeroed first; free it with sdp_offer_free whatever the result. */
int sdp_parse_offer(const char *sdp, size_t len, struct sdp_offer *out, const char **why);
void sdp_offer_free(struct sdp_offer *o);

struct sdp_candidate {
    const char *ip; /* numeric IPv4 or IPv6 */
    uint16_t port;  /* UDP host candidate */
};

struct sdp_answer_params {
    const char *ice_ufrag, *ice_pwd; /* ours */
    const char *fingerprint;         /* ours, sha-256, "AB:CD:..." */
    const struct sdp_candidate *candidates;
    size_t n_candidates;
    uint32_t max_message_size;       /* ours; advertise >= 65536 */
    uint64_t session_id, session_version; /* keep below 2^63 */
};

char *sdp_build_answer(const struct sdp_offer *o, const struct sdp_answer_params *p);

struct sdp_cand_info {
    char foundation[33];
    uint32_t component;
    char transport[8];  /* lower case: "udp" or "tcp" (others are refused) */
    uint32_t priority;
    char address[256];  /* as written: IPv4, IPv6, or an mDNS/host name */
    uint16_t port;
    char type[8];       /* host, srflx, prflx, relay */
    char tcptype[8];    /* tcp: active/passive/so, else "" */
};

/* Parses "candidate:1 1 udp 2122260223 10.0.0.2 51234 typ host ..." (a
 * leading "a=" is allowed) as sent in trickle messages.  Returns 0 or
 * DC_EPROTO. */
int sdp_parse_candidate(const char *line, struct sdp_cand_info *out);

#endif
