/* ice_lite.c: ICE-lite agent: answers checks, follows nominations. */
#include "transport/ice_lite.h"

#include <netinet/in.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/stun.h"

static const char ICE_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void random_ice_chars(char *out, size_t n)
{
    uint8_t r[64];
    while (n > 0) {
        size_t k = n < sizeof r ? n : sizeof r;
        util_random_bytes(r, k);
        for (size_t i = 0; i < k; i++)
            *out++ = ICE_CHARS[r[i] & 63]; /* 64 symbols: uniform */
        n -= k;
    }
    *out = '\0';
}

static void new_local_creds(struct ice_lite_creds *c)
{
    memset(c, 0, sizeof *c);
    random_ice_chars(c->ufrag, ICE_UFRAG_LEN);
    random_ice_chars(c->pwd, ICE_PWD_LEN);
}

void ice_lite_init(struct ice_lite *a)
{
    memset(a, 0, sizeof *a);
    new_local_creds(&a->cur);
}

static bool valid_ice_string(const char *s, size_t min, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(ICE_CHARS, s[i]))
            return false;
    return true;
}

int ice_lite_set_remote(struct ice_lite *a, const char *ufrag, const char *pwd)
{
    if (!a || !ufrag || !valid_ice_string(ufrag, 1, ICE_REMOTE_MAX) ||
        (pwd && !valid_ice_string(pwd, 0, ICE_REMOTE_MAX)))
        return DC_EINVAL;
    strcpy(a->cur.remote_ufrag, ufrag);
    strcpy(a->cur.remote_pwd, pwd ? pwd : "");
    return 0;
}

void ice_lite_restart(struct ice_lite *a)
{
    /* While a restart is pending, prev keeps the credentials the selected
     * pair is still checked with; a second restart only replaces cur. */
    if (!a->prev_valid) {
        a->prev = a->cur;
        a->prev_valid = true;
    }
    new_local_creds(&a->cur);
}

bool ice_lite_addr_equal(const struct sockaddr *x, const struct sockaddr *y)
{
    if (!x || !y || x->sa_family != y->sa_family)
        return false;
    if (x->sa_family == AF_INET) {
        const struct sockaddr_in *p = (const struct sockaddr_in *)x;
        const struct sockaddr_in *q = (const struct sockaddr_in *)y;
        return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
    }
    if (x->sa_family == AF_INET6) {
        const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)x;
        const struct sockaddr_in6 *q = (const struct sockaddr_in6 *)y;
        return p->sin6_port == q->sin6_port &&
               memcmp(&p->sin6_addr, &q->sin6_addr, sizeof p->sin6_addr) == 0;
    }
    return false;
}

bool ice_lite_consent_expired(const struct ice_lite *a, uint64_t now_ms, uint64_t timeout_ms)
{
    return a->selected && now_ms > a->last_consent_ms && now_ms - a->last_consent_ms > timeout_ms;
}

/* USERNAME is "<c->ufrag>:<remote ufrag>" (the remote part checked once known). */
static bool username_matches(const struct stun_msg *m, const struct ice_lite_creds *c)
{
    size_t lu = strlen(c->ufrag);
    if (!m->username || m->username_len <= lu || memcmp(m->username, c->ufrag, lu) != 0 ||
        m->username[lu] != ':')
        return false;
    if (c->remote_ufrag[0] == '\0')
        return true;
    size_t rlen = m->username_len - lu - 1;
    return rlen == strlen(c->remote_ufrag) &&
           memcmp(m->username + lu + 1, c->remote_ufrag, rlen) == 0;
}

static const struct ice_lite_creds *creds_for(const struct ice_lite *a, const struct stun_msg *m)
{
    if (username_matches(m, &a->cur))
        return &a->cur;
    if (a->prev_valid && username_matches(m, &a->prev))
        return &a->prev;
    return NULL;
}

static void copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst, src,
           src->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

/* The peer nominated `from`. */
static enum ice_event nominate(struct ice_lite *a, const struct sockaddr *from, bool new_creds)
{
    enum ice_event ev = ICE_NONE;
    if (!a->selected) {
        ev = ICE_SELECTED;
        a->stats.selections++;
    } else if (!ice_lite_addr_equal(from, (const struct sockaddr *)&a->selected_addr)) {
        ev = ICE_MOVED;
        a->stats.moves++;
    }
    if (ev != ICE_NONE) {
        copy_addr(&a->selected_addr, from);
        a->selected = true;
    }
    if (new_creds && a->prev_valid) { /* restart completed */
        memset(&a->prev, 0, sizeof a->prev);
        a->prev_valid = false;
    }
    return ev;
}

/* Authenticated request that is refused with an error response. */
static int answer_error(struct ice_lite *a, const struct stun_msg *m, int code, const char *key,
                        uint8_t *resp, size_t cap)
{
    size_t len = stun_build_error(resp, cap, m->tid, m->method, code,
                                  code == STUN_ERR_UNKNOWN_ATTRIBUTE ? m->unknown : NULL,
                                  code == STUN_ERR_UNKNOWN_ATTRIBUTE ? m->n_unknown : 0,
                                  (const uint8_t *)key, strlen(key));
    if (len == 0)
        a->stats.dropped_no_room++;
    return (int)len;
}

int ice_lite_on_stun(struct ice_lite *a, uint64_t now_ms, const uint8_t *b, size_t n,
                     const struct sockaddr *from, uint8_t *resp, size_t cap,
                     enum ice_event *ev)
{
    if (ev)
        *ev = ICE_NONE;
    if (!a)
        return 0;
    struct stun_msg m;
    if (!from || (from->sa_family != AF_INET && from->sa_family != AF_INET6) ||
        stun_parse(b, n, &m) < 0) {
        a->stats.dropped_malformed++;
        return 0;
    }
    if (m.cls != STUN_CLASS_REQUEST || m.method != STUN_METHOD_BINDING) {
        a->stats.dropped_not_request++;
        return 0;
    }
    const struct ice_lite_creds *c = creds_for(a, &m);
    if (!c) {
        a->stats.dropped_username++;
        return 0;
    }
    const char *key = c->pwd;
    if (!stun_check_integrity(b, n, &m, (const uint8_t *)key, strlen(key))) {
        a->stats.dropped_integrity++;
        return 0;
    }
    if (m.n_unknown > 0) {
        a->stats.unknown_attrs++;
        return answer_error(a, &m, STUN_ERR_UNKNOWN_ATTRIBUTE, key, resp, cap);
    }
    if (m.ice_controlled) { /* we are lite, hence controlled: the peer must control */
        a->stats.role_conflicts++;
        return answer_error(a, &m, STUN_ERR_ROLE_CONFLICT, key, resp, cap);
    }

    size_t len = stun_build_binding_success(resp, cap, m.tid, from, (const uint8_t *)key,
                                            strlen(key));
    if (m.use_candidate) {
        enum ice_event e = nominate(a, from, c == &a->cur);
        if (ev)
            *ev = e;
    }
    if (a->selected && ice_lite_addr_equal(from, (const struct sockaddr *)&a->selected_addr))
        a->last_consent_ms = now_ms;
    if (len == 0) {
        a->stats.dropped_no_room++;
        return 0;
    }
    a->stats.requests_ok++;
    return (int)len;
}
