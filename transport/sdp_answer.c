/* sdp_answer.c: the answer builder and the candidate parser (see sdp.h). */
#include "transport/sdp.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/sdp_internal.h"

/* Growing string; util_realloc aborts on OOM, so appends cannot fail. */
struct sb {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->p = util_realloc(b->p, b->cap);
    }
}

/* ------------------------------------------------------------ the answer */

enum disp { D_DATA, D_INACTIVE, D_REJECT };

static bool in_bundle(const struct sdp_offer *o, const char *mid)
{
    for (size_t i = 0; i < o->n_bundle; i++)
        if (!strcmp(o->bundle_mids[i], mid))
            return true;
    return false;
}

static enum disp disposition(const struct sdp_offer *o, size_t i)
{
    const struct sdp_section *s = &o->sections[i];
    if (i == o->data_index)
        return D_DATA;
    if (s->rejected || !in_bundle(o, s->mid))
        return D_REJECT;
    if ((s->kind == SDP_AUDIO || s->kind == SDP_VIDEO) && s->first_pt >= 0 &&
        (!strncmp(s->proto, "UDP/TLS/RTP/SAVP", 16) || !strncmp(s->proto, "TCP/TLS/RTP/SAVP", 16)))
        return D_INACTIVE;
    return D_REJECT;
}

/* 32 hex byte pairs separated by ':'. */
static bool fingerprint_ok(const char *fp)
{
    if (!fp || strlen(fp) != 32 * 3 - 1)
        return false;
    for (size_t i = 0; i < 32 * 3 - 1; i++) {
        char c = fp[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return false;
    }
    return true;
}

/* 4 for a numeric IPv4 address, 6 for IPv6, 0 otherwise. */
static int ip_family(const char *ip)
{
    unsigned char buf[16];
    if (!ip)
        return 0;
    if (inet_pton(AF_INET, ip, buf) == 1)
        return 4;
    if (inet_pton(AF_INET6, ip, buf) == 1)
        return 6;
    return 0;
}

static bool params_ok(const struct sdp_answer_params *p)
{
    if (!sdp_ice_chars(p->ice_ufrag, 4, 256) || !sdp_ice_chars(p->ice_pwd, 22, 256) ||
        !fingerprint_ok(p->fingerprint) || (p->n_candidates && !p->candidates))
        return false;
    for (size_t i = 0; i < p->n_candidates; i++)
        if (!ip_family(p->candidates[i].ip))
            return false;
    return true;
}

/* Host candidate foundation: FNV-1a of the address, so equal bases share one. */
static uint32_t foundation(const char *ip)
{
    uint32_t h = 2166136261u;
    for (const char *c = ip; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return h;
}

/* The m= and c= lines.  Only the transport section (the BUNDLE tag, or the
 * data section when nothing is bundled) carries our address: libwebrtc reads
 * candidates only from the tagged section and drops those of the others. */
static void write_mc(struct sb *b, const char *media, const char *proto, const char *fmts, bool tag,
                     const struct sdp_answer_params *p)
{
    const char *ip = tag && p->n_candidates ? p->candidates[0].ip : "0.0.0.0";
    unsigned port = tag && p->n_candidates ? p->candidates[0].port : 9;
    sb_printf(b, "m=%s %u %s %s\r\nc=IN IP%d %s\r\n", media, port, proto, fmts, ip_family(ip), ip);
}

static void write_transport(struct sb *b, const struct sdp_section *s, bool tag,
                            const struct sdp_answer_params *p)
{
    sb_printf(b, "a=mid:%s\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\n"
                 "a=setup:active\r\n",
              s->mid, p->ice_ufrag, p->ice_pwd, p->fingerprint);
    if (!tag)
        return;
    for (size_t i = 0; i < p->n_candidates; i++) {
        const struct sdp_candidate *c = &p->candidates[i];
        uint32_t local_pref = 65535 - (uint32_t)(i < 65535 ? i : 65535);
        uint32_t prio = (126u << 24) | (local_pref << 8) | 255u;
        sb_printf(b, "a=candidate:%lu 1 udp %lu %s %u typ host generation 0\r\n",
                  (unsigned long)foundation(c->ip), (unsigned long)prio, c->ip, (unsigned)c->port);
    }
    sb_printf(b, "a=end-of-candidates\r\n");
}

static void write_data(struct sb *b, const struct sdp_section *s, bool tag,
                       const struct sdp_answer_params *p)
{
    write_mc(b, "application", s->proto, "webrtc-datachannel", tag, p);
    write_transport(b, s, tag, p);
    sb_printf(b, "a=sctp-port:5000\r\na=max-message-size:%lu\r\n", (unsigned long)p->max_message_size);
}

static void write_inactive(struct sb *b, const struct sdp_section *s, bool tag,
                           const struct sdp_answer_params *p)
{
    char pt[8];
    snprintf(pt, sizeof pt, "%d", s->first_pt);
    write_mc(b, s->media, s->proto, pt, tag, p);
    write_transport(b, s, tag, p);
    sb_printf(b, "a=inactive\r\na=rtcp-mux\r\n");
    if (s->rtpmap)
        sb_printf(b, "a=rtpmap:%d %s\r\n", s->first_pt, s->rtpmap);
    if (s->fmtp)
        sb_printf(b, "a=fmtp:%d %s\r\n", s->first_pt, s->fmtp);
}

static void write_rejected(struct sb *b, const struct sdp_section *s)
{
    sb_printf(b, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n", s->media, s->proto,
              s->fmts[0] ? s->fmts : "0", s->mid);
}

char *sdp_build_answer(const struct sdp_offer *o, const struct sdp_answer_params *p)
{
    if (!o || !p || !o->sections || o->data_index >= o->n_sections ||
        !o->sections[o->data_index].is_datachannel || !params_ok(p))
        return NULL;
    struct sb b = {0};
    sb_printf(&b, "v=0\r\no=- %llu %llu IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
              (unsigned long long)p->session_id, (unsigned long long)p->session_version);
    size_t tag = o->data_index; /* first accepted section when bundled */
    if (o->n_bundle) {
        sb_printf(&b, "a=group:BUNDLE");
        for (size_t i = o->n_sections; i-- > 0;)
            if (disposition(o, i) != D_REJECT)
                tag = i;
        for (size_t i = 0; i < o->n_sections; i++)
            if (disposition(o, i) != D_REJECT)
                sb_printf(&b, " %s", o->sections[i].mid);
        sb_printf(&b, "\r\n");
    }
    sb_printf(&b, "a=ice-lite\r\n");
    for (size_t i = 0; i < o->n_sections; i++) {
        const struct sdp_section *s = &o->sections[i];
        switch (disposition(o, i)) {
        case D_DATA:
            write_data(&b, s, i == tag, p);
            break;
        case D_INACTIVE:
            write_inactive(&b, s, i == tag, p);
            break;
        case D_REJECT:
            write_rejected(&b, s);
            break;
        }
    }
    return b.p;
}

/* ------------------------------------------------------------ candidates */

static bool copy_tok(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static bool addr_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '-' || c == '_' || c == '%'))
            return false;
    }
    return n > 0;
}

/* Reads "<key> <value>" extension pairs after the type; keeps tcptype.  A
 * trailing key without a value is ignored. */
static bool parse_extensions(const char *p, struct sdp_cand_info *out)
{
    const char *k, *v;
    size_t kn, vn;
    while ((k = sdp_tok(&p, &kn))) {
        if (!(v = sdp_tok(&p, &vn)))
            break;
        if (sdp_word_eq(k, kn, "tcptype")) {
            if (!sdp_word_eq(v, vn, "active") && !sdp_word_eq(v, vn, "passive") &&
                !sdp_word_eq(v, vn, "so"))
                return false;
            copy_tok(out->tcptype, sizeof out->tcptype, v, vn);
        }
    }
    return true;
}

int sdp_parse_candidate(const char *line, struct sdp_cand_info *out)
{
    if (!line || !out)
        return DC_EPROTO;
    memset(out, 0, sizeof *out);
    if (!strncmp(line, "a=", 2))
        line += 2;
    if (strncmp(line, "candidate:", 10))
        return DC_EPROTO;
    const char *p = line + 10, *t[8];
    size_t n[8];
    for (size_t i = 0; i < 8; i++)
        if (!(t[i] = sdp_tok(&p, &n[i])))
            return DC_EPROTO;
    uint64_t comp, prio, port;
    char fnd[33];
    if (!copy_tok(fnd, sizeof fnd, t[0], n[0]) || !sdp_ice_chars(fnd, 1, 32) ||
        !sdp_num(t[1], n[1], 256, &comp) || comp == 0 || !sdp_num(t[3], n[3], UINT32_MAX, &prio) ||
        !addr_ok(t[4], n[4]) || !copy_tok(out->address, sizeof out->address, t[4], n[4]) ||
        !sdp_num(t[5], n[5], 65535, &port) || !sdp_word_eq(t[6], n[6], "typ"))
        return DC_EPROTO;
    if (sdp_word_eq(t[2], n[2], "udp"))
        strcpy(out->transport, "udp");
    else if (sdp_word_eq(t[2], n[2], "tcp"))
        strcpy(out->transport, "tcp");
    else
        return DC_EPROTO;
    static const char *const types[] = {"host", "srflx", "prflx", "relay"};
    for (size_t i = 0; i < 4 && !out->type[0]; i++)
        if (sdp_word_eq(t[7], n[7], types[i]))
            strcpy(out->type, types[i]);
    if (!out->type[0] || !parse_extensions(p, out))
        return DC_EPROTO;
    memcpy(out->foundation, fnd, sizeof fnd);
    out->component = (uint32_t)comp;
    out->priority = (uint32_t)prio;
    out->port = (uint16_t)port;
    return 0;
}
