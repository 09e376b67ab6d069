/* stun.c: STUN parsing, integrity and fingerprint, message building. */
#include "transport/stun.h"

#include <netinet/in.h>
#include <string.h>

#include <mbedtls/md.h>
#include <zlib.h>

#include "common/err.h"
#include "common/util.h"

#define MI_LEN 20       /* HMAC-SHA1 */
#define ATTR_HDR 4

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t rd64(const uint8_t *p) { return ((uint64_t)rd32(p) << 32) | rd32(p + 4); }

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

uint16_t stun_type(uint16_t method, enum stun_class cls)
{
    unsigned c = (unsigned)cls;
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      ((c & 1) << 4) | ((c & 2) << 7));
}

bool stun_is_stun(const uint8_t *b, size_t n)
{
    if (!b || n < STUN_HEADER_LEN || b[0] > 3)
        return false;
    size_t len = rd16(b + 2);
    return (len & 3) == 0 && len + STUN_HEADER_LEN == n && rd32(b + 4) == STUN_MAGIC_COOKIE;
}

/* ---- parsing ------------------------------------------------------------- */

static uint32_t fingerprint_of(const uint8_t *b, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, b, (uInt)n);
    return (uint32_t)c ^ STUN_FINGERPRINT_XOR;
}

/* XOR-MAPPED-ADDRESS value into a sockaddr.  0 or DC_EPROTO. */
static int parse_xor_addr(const uint8_t *v, size_t len, const uint8_t *hdr,
                          struct sockaddr_storage *out)
{
    if (len < 4)
        return DC_EPROTO;
    uint16_t port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
    memset(out, 0, sizeof *out);
    if (v[1] == 0x01 && len == 8) {
        struct sockaddr_in *s = (struct sockaddr_in *)out;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        uint8_t a[4];
        for (int i = 0; i < 4; i++)
            a[i] = v[4 + i] ^ hdr[4 + i];
        memcpy(&s->sin_addr, a, 4);
        return 0;
    }
    if (v[1] == 0x02 && len == 20) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            s->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i]; /* cookie then tid */
        return 0;
    }
    return DC_EPROTO;
}

static bool comprehension_known(uint16_t t)
{
    switch (t) {
    case STUN_ATTR_MAPPED_ADDRESS:
    case STUN_ATTR_USERNAME:
    case STUN_ATTR_MESSAGE_INTEGRITY:
    case STUN_ATTR_ERROR_CODE:
    case STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
    case STUN_ATTR_PRIORITY:
    case STUN_ATTR_USE_CANDIDATE:
        return true;
    default:
        return false;
    }
}

/* One attribute before MESSAGE-INTEGRITY.  0 or DC_EPROTO. */
static int parse_attr(const uint8_t *b, uint16_t t, const uint8_t *v, size_t len,
                      struct stun_msg *m)
{
    switch (t) {
    case STUN_ATTR_USERNAME:
        if (len > STUN_MAX_USERNAME)
            return DC_EPROTO;
        if (!m->username) {
            m->username = v;
            m->username_len = len;
        }
        return 0;
    case STUN_ATTR_PRIORITY:
        if (len != 4)
            return DC_EPROTO;
        if (!m->has_priority) {
            m->has_priority = true;
            m->priority = rd32(v);
        }
        return 0;
    case STUN_ATTR_USE_CANDIDATE:
        if (len != 0)
            return DC_EPROTO;
        m->use_candidate = true;
        return 0;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
        if (len != 8)
            return DC_EPROTO;
        if (!m->ice_controlling && !m->ice_controlled)
            m->tiebreaker = rd64(v);
        if (t == STUN_ATTR_ICE_CONTROLLING)
            m->ice_controlling = true;
        else
            m->ice_controlled = true;
        return 0;
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (m->has_mapped)
            return 0;
        if (parse_xor_addr(v, len, b, &m->mapped) < 0)
            return DC_EPROTO;
        m->has_mapped = true;
        return 0;
    case STUN_ATTR_ERROR_CODE:
        if (len < 4 || (v[2] & 0x07) < 3 || (v[2] & 0x07) > 6 || v[3] > 99)
            return DC_EPROTO;
        if (!m->error_code)
            m->error_code = (v[2] & 0x07) * 100 + v[3];
        return 0;
    default:
        if (t < 0x8000 && !comprehension_known(t) && m->n_unknown < STUN_MAX_UNKNOWN)
            m->unknown[m->n_unknown++] = t;
        return 0;
    }
}

int stun_parse(const uint8_t *b, size_t n, struct stun_msg *m)
{
    memset(m, 0, sizeof *m);
    if (!stun_is_stun(b, n))
        return DC_EPROTO;
    m->type = rd16(b) & 0x3FFF;
    m->method = (uint16_t)((m->type & 0x000F) | ((m->type & 0x00E0) >> 1) | ((m->type & 0x3E00) >> 2));
    m->cls = (enum stun_class)(((m->type >> 4) & 1) | ((m->type >> 7) & 2));
    memcpy(m->tid, b + 8, STUN_TID_LEN);

    size_t off = STUN_HEADER_LEN;
    while (off < n) {
        if (m->has_fingerprint || n - off < ATTR_HDR)
            return DC_EPROTO; /* FINGERPRINT must be last */
        uint16_t t = rd16(b + off);
        size_t len = rd16(b + off + 2);
        if (pad4(len) > n - off - ATTR_HDR)
            return DC_EPROTO;
        const uint8_t *v = b + off + ATTR_HDR;
        if (t == STUN_ATTR_FINGERPRINT) {
            if (len != 4 || off + ATTR_HDR + 4 != n || rd32(v) != fingerprint_of(b, off))
                return DC_EPROTO;
            m->has_fingerprint = true;
        } else if (m->has_integrity) {
            /* ignored: follows MESSAGE-INTEGRITY */
        } else if (t == STUN_ATTR_MESSAGE_INTEGRITY) {
            if (len != MI_LEN)
                return DC_EPROTO;
            m->has_integrity = true;
            m->integrity_off = off;
        } else if (parse_attr(b, t, v, len, m) < 0) {
            return DC_EPROTO;
        }
        off += ATTR_HDR + pad4(len);
    }
    return 0;
}

/* HMAC-SHA1 over b[0..mi_off) with the header length field set to end at
 * the MESSAGE-INTEGRITY attribute.  0 or DC_EINVAL. */
static int integrity_hmac(const uint8_t *b, size_t mi_off, const uint8_t *key, size_t keylen,
                          uint8_t mac[MI_LEN])
{
    uint8_t hdr[STUN_HEADER_LEN];
    memcpy(hdr, b, STUN_HEADER_LEN);
    wr16(hdr + 2, (uint16_t)(mi_off + ATTR_HDR + MI_LEN - STUN_HEADER_LEN));

    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    int rc = -1;
    if (info && mbedtls_md_setup(&ctx, info, 1) == 0 &&
        mbedtls_md_hmac_starts(&ctx, key ? key : (const uint8_t *)"", keylen) == 0 &&
        mbedtls_md_hmac_update(&ctx, hdr, sizeof hdr) == 0 &&
        mbedtls_md_hmac_update(&ctx, b + STUN_HEADER_LEN, mi_off - STUN_HEADER_LEN) == 0 &&
        mbedtls_md_hmac_finish(&ctx, mac) == 0)
        rc = 0;
    mbedtls_md_free(&ctx);
    return rc == 0 ? 0 : DC_EINVAL;
}

bool stun_check_integrity(const uint8_t *b, size_t n, const struct stun_msg *m,
                          const uint8_t *key, size_t keylen)
{
    if (!b || !m || !m->has_integrity || m->integrity_off < STUN_HEADER_LEN ||
        m->integrity_off > n || n - m->integrity_off < ATTR_HDR + MI_LEN ||
        rd16(b + m->integrity_off) != STUN_ATTR_MESSAGE_INTEGRITY)
        return false;
    uint8_t mac[MI_LEN];
    if (integrity_hmac(b, m->integrity_off, key, keylen, mac) < 0)
        return false;
    return util_ct_equal(mac, b + m->integrity_off + ATTR_HDR, MI_LEN);
}

size_t stun_username_local_ufrag(const struct stun_msg *m, char *out, size_t cap)
{
    if (!m || !m->username || !out || cap == 0)
        return 0;
    const uint8_t *colon = memchr(m->username, ':', m->username_len);
    if (!colon)
        return 0;
    size_t k = (size_t)(colon - m->username);
    if (k == 0 || k >= cap)
        return 0;
    memcpy(out, m->username, k);
    out[k] = '\0';
    return k;
}

/* ---- writer -------------------------------------------------------------- */

static void set_len(struct stun_writer *w, size_t len)
{
    wr16(w->buf + 2, (uint16_t)(len - STUN_HEADER_LEN));
}

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t tid[STUN_TID_LEN])
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->failed = !buf || !tid || cap < STUN_HEADER_LEN;
    if (w->failed)
        return;
    wr16(buf, type & 0x3FFF);
    wr16(buf + 2, 0);
    wr32(buf + 4, STUN_MAGIC_COOKIE);
    memcpy(buf + 8, tid, STUN_TID_LEN);
    w->len = STUN_HEADER_LEN;
}

/* Reserves an attribute of value length len; returns its value pointer. */
static uint8_t *reserve(struct stun_writer *w, uint16_t type, size_t len)
{
    if (w->failed)
        return NULL;
    size_t total = ATTR_HDR + pad4(len);
    if (len > 0xFFFF || total > w->cap - w->len || w->len + total - STUN_HEADER_LEN > 0xFFFF) {
        w->failed = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    wr16(p, type);
    wr16(p + 2, (uint16_t)len);
    memset(p + ATTR_HDR + len, 0, pad4(len) - len);
    w->len += total;
    set_len(w, w->len);
    return p + ATTR_HDR;
}

void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *value, size_t len)
{
    uint8_t *v = reserve(w, type, len);
    if (v && len)
        memcpy(v, value, len);
}

void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
    uint8_t *p = reserve(w, type, 4);
    if (p)
        wr32(p, v);
}

void stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t v)
{
    uint8_t *p = reserve(w, type, 8);
    if (p) {
        wr32(p, (uint32_t)(v >> 32));
        wr32(p + 4, (uint32_t)v);
    }
}

void stun_writer_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa)
{
    if (w->failed)
        return;
    const uint8_t *addr = NULL;
    size_t alen = 0;
    uint16_t port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        addr = (const uint8_t *)&s->sin_addr;
        alen = 4;
        port = ntohs(s->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        addr = s->sin6_addr.s6_addr;
        alen = 16;
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
            addr += 12;
            alen = 4;
        }
        port = ntohs(s->sin6_port);
    } else {
        w->failed = true;
        return;
    }
    uint8_t *v = reserve(w, type, 4 + alen);
    if (!v)
        return;
    v[0] = 0;
    v[1] = alen == 4 ? 0x01 : 0x02;
    wr16(v + 2, port ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
    for (size_t i = 0; i < alen; i++)
        v[4 + i] = addr[i] ^ w->buf[4 + i]; /* cookie then tid */
}

void stun_writer_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen)
{
    size_t mi_off = w->len;
    uint8_t *v = reserve(w, STUN_ATTR_MESSAGE_INTEGRITY, MI_LEN);
    if (v && integrity_hmac(w->buf, mi_off, key, keylen, v) < 0)
        w->failed = true;
}

void stun_writer_fingerprint(struct stun_writer *w)
{
    size_t fp_off = w->len;
    uint8_t *v = reserve(w, STUN_ATTR_FINGERPRINT, 4);
    if (v)
        wr32(v, fingerprint_of(w->buf, fp_off));
}

size_t stun_writer_finish(const struct stun_writer *w)
{
    return w->failed ? 0 : w->len;
}

/* ---- builders ------------------------------------------------------------ */

static size_t seal(struct stun_writer *w, const uint8_t *key, size_t keylen)
{
    if (key)
        stun_writer_integrity(w, key, keylen);
    stun_writer_fingerprint(w);
    return stun_writer_finish(w);
}

size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                                  const struct sockaddr *mapped, const uint8_t *key,
                                  size_t keylen)
{
    struct stun_writer w;
    stun_writer_init(&w, out, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), tid);
    stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
    return seal(&w, key, keylen);
}

size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                                  const struct stun_binding_opts *o, const uint8_t *key,
                                  size_t keylen)
{
    struct stun_writer w;
    stun_writer_init(&w, out, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
    if (!o)
        return seal(&w, key, keylen);
    if (o->username) {
        size_t ulen = strlen(o->username);
        if (ulen > STUN_MAX_USERNAME)
            return 0;
        stun_writer_attr(&w, STUN_ATTR_USERNAME, o->username, ulen);
    }
    if (o->priority)
        stun_writer_u32(&w, STUN_ATTR_PRIORITY, o->priority);
    if (o->role == STUN_ROLE_CONTROLLING)
        stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, o->tiebreaker);
    else if (o->role == STUN_ROLE_CONTROLLED)
        stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLED, o->tiebreaker);
    if (o->use_candidate)
        stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    return seal(&w, key, keylen);
}

static const char *reason_of(int code)
{
    switch (code) {
    case 300: return "Try Alternate";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 420: return "Unknown Attribute";
    case 438: return "Stale Nonce";
    case 487: return "Role Conflict";
    case 500: return "Server Error";
    default: return "Error";
    }
}

size_t stun_build_error(uint8_t *out, size_t cap, const uint8_t tid[STUN_TID_LEN],
                        uint16_t method, int code, const uint16_t *unknown, size_t n_unknown,
                        const uint8_t *key, size_t keylen)
{
    if (code < 300 || code > 699 || n_unknown > 0x7FFF || (n_unknown && !unknown))
        return 0;
    struct stun_writer w;
    stun_writer_init(&w, out, cap, stun_type(method, STUN_CLASS_ERROR), tid);
    const char *reason = reason_of(code);
    size_t rlen = strlen(reason);
    uint8_t *v = reserve(&w, STUN_ATTR_ERROR_CODE, 4 + rlen);
    if (v) {
        v[0] = v[1] = 0;
        v[2] = (uint8_t)(code / 100);
        v[3] = (uint8_t)(code % 100);
        memcpy(v + 4, reason, rlen);
    }
    if (n_unknown) {
        v = reserve(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n_unknown);
        for (size_t i = 0; v && i < n_unknown; i++)
            wr16(v + 2 * i, unknown[i]);
    }
    return seal(&w, key, keylen);
}
