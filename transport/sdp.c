/* sdp.c: the offer parser (see sdp.h). */
#include "transport/sdp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/sdp_internal.h"

#define SDP_MAX_GROUPS 16
#define SDP_MAX_MID 64

/* Transport attributes as written at one level (session or one section). */
struct tr {
    char *ufrag, *pwd, *setup;
    char fp_alg[16];
    uint8_t fp[SDP_FP_MAX];
    size_t fp_len;
};

struct pstate {
    struct sdp_offer *o;
    struct tr sess;
    struct tr *sec; /* parallel to o->sections */
    char *groups[SDP_MAX_GROUPS];
    size_t n_groups;
    bool have_data;
    const char *why;
};

/* ------------------------------------------------------------ small helpers */

const char *sdp_tok(const char **s, size_t *n)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    const char *start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *n = (size_t)(p - start);
    *s = p;
    return start;
}

bool sdp_num(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool sdp_ice_chars(const char *s, size_t min, size_t max)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

bool sdp_word_eq(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* RFC 5888 identification-tag is a token; libwebrtc uses digits. */
static bool mid_ok(const char *s, size_t n)
{
    if (n == 0 || n > SDP_MAX_MID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`{|}~", c)))
            return false;
    }
    return true;
}

static int bad(struct pstate *st, const char *why)
{
    st->why = why;
    return DC_EPROTO;
}

static struct sdp_section *cur(struct pstate *st)
{
    struct sdp_offer *o = st->o;
    return o->n_sections ? &o->sections[o->n_sections - 1] : NULL;
}

static struct tr *cur_tr(struct pstate *st)
{
    return st->o->n_sections ? &st->sec[st->o->n_sections - 1] : &st->sess;
}

/* --------------------------------------------------------------- m= lines */

static enum sdp_kind kind_of(const char *m, size_t n)
{
    if (sdp_word_eq(m, n, "audio"))
        return SDP_AUDIO;
    if (sdp_word_eq(m, n, "video"))
        return SDP_VIDEO;
    if (sdp_word_eq(m, n, "application"))
        return SDP_APPLICATION;
    return SDP_OTHER;
}

/* Joins the remaining tokens of an m= line with single spaces. */
static char *join_fmts(const char *p)
{
    size_t cap = strlen(p) + 1, len = 0, n;
    char *out = util_malloc(cap);
    const char *t;
    while ((t = sdp_tok(&p, &n))) {
        if (len)
            out[len++] = ' ';
        memcpy(out + len, t, n);
        len += n;
    }
    out[len] = '\0';
    return out;
}

static int parse_m(struct pstate *st, const char *v)
{
    struct sdp_offer *o = st->o;
    if (o->n_sections >= SDP_MAX_SECTIONS)
        return bad(st, "too many m= sections");
    size_t mn, pn, prn;
    const char *media = sdp_tok(&v, &mn), *port = sdp_tok(&v, &pn), *proto = sdp_tok(&v, &prn);
    if (!proto)
        return bad(st, "malformed m= line");
    const char *slash = memchr(port, '/', pn);
    uint64_t pv;
    if (!sdp_num(port, slash ? (size_t)(slash - port) : pn, 65535, &pv))
        return bad(st, "malformed m= port");
    struct sdp_section *s = &o->sections[o->n_sections++];
    s->kind = kind_of(media, mn);
    s->media = util_strndup(media, mn);
    s->proto = util_strndup(proto, prn);
    s->fmts = join_fmts(v);
    s->port = (uint16_t)pv;
    s->first_pt = -1;
    bool rtp = strstr(s->proto, "RTP/") != NULL;
    const char *f = s->fmts;
    size_t fn;
    const char *first = sdp_tok(&f, &fn);
    uint64_t pt;
    if (rtp && first && sdp_num(first, fn, 127, &pt))
        s->first_pt = (int)pt;
    s->is_datachannel = s->kind == SDP_APPLICATION &&
                        (!strcmp(s->proto, "UDP/DTLS/SCTP") || !strcmp(s->proto, "TCP/DTLS/SCTP")) &&
                        !strcmp(s->fmts, "webrtc-datachannel");
    s->sctp_port = 5000;
    s->max_message_size = 65536;
    return 0;
}

/* ------------------------------------------------------------ attributes */

/* Expected digest length of a hash named in a fingerprint (RFC 8122), 0 if
 * the name is unknown (then any length up to SDP_FP_MAX is kept). */
static size_t fp_len_of(const char *alg)
{
    static const struct {
        const char *name;
        size_t len;
    } t[] = {{"sha-256", 32}, {"sha-1", 20}, {"sha-224", 28}, {"sha-384", 48},
             {"sha-512", 64}, {"md5", 16},   {"md2", 16}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(alg, t[i].name))
            return t[i].len;
    return 0;
}

static int attr_fingerprint(struct pstate *st, const char *v)
{
    size_t an, hn;
    const char *alg = sdp_tok(&v, &an), *hex = sdp_tok(&v, &hn);
    if (!hex || an >= sizeof st->sess.fp_alg || hn % 3 != 2 || sdp_tok(&v, &(size_t){0}))
        return bad(st, "malformed a=fingerprint");
    char lalg[16];
    for (size_t i = 0; i < an; i++)
        lalg[i] = (char)((alg[i] >= 'A' && alg[i] <= 'Z') ? alg[i] + 32 : alg[i]);
    lalg[an] = '\0';
    uint8_t bytes[SDP_FP_MAX];
    size_t len = 0;
    for (size_t i = 0; i < hn; i += 3) {
        if (len == SDP_FP_MAX || hn - i < 2 || (hn - i > 2 && hex[i + 2] != ':'))
            return bad(st, "malformed a=fingerprint");
        int h = util_hexval(hex[i]), l = util_hexval(hex[i + 1]);
        if (h < 0 || l < 0)
            return bad(st, "malformed a=fingerprint");
        bytes[len++] = (uint8_t)(h << 4 | l);
    }
    size_t want = fp_len_of(lalg);
    if (want && len != want)
        return bad(st, "a=fingerprint has the wrong length for its hash");
    struct tr *t = cur_tr(st);
    /* Keep the first one, but let a later sha-256 replace another hash. */
    if (t->fp_len && (!strcmp(t->fp_alg, "sha-256") || strcmp(lalg, "sha-256")))
        return 0;
    memcpy(t->fp_alg, lalg, an + 1);
    memcpy(t->fp, bytes, len);
    t->fp_len = len;
    return 0;
}

static int attr_cred(struct pstate *st, char **slot, const char *v, size_t min, const char *why)
{
    if (!sdp_ice_chars(v, min, 256))
        return bad(st, why);
    if (!*slot)
        *slot = util_strdup(v);
    return 0;
}

static int attr_setup(struct pstate *st, const char *v)
{
    if (strcmp(v, "actpass") && strcmp(v, "active") && strcmp(v, "passive") && strcmp(v, "holdconn"))
        return bad(st, "malformed a=setup");
    struct tr *t = cur_tr(st);
    if (!t->setup)
        t->setup = util_strdup(v);
    return 0;
}

static int attr_group(struct pstate *st, const char *v)
{
    size_t n;
    const char *sem = sdp_tok(&v, &n);
    if (!sem || !sdp_word_eq(sem, n, "BUNDLE"))
        return 0;
    if (cur(st))
        return 0; /* a=group is a session-level attribute */
    if (st->n_groups == SDP_MAX_GROUPS)
        return bad(st, "too many a=group lines");
    st->groups[st->n_groups++] = util_strdup(v);
    return 0;
}

/* "a=rtpmap:<pt> <rest>" / "a=fmtp:<pt> <rest>": keeps <rest> for first_pt.
 * Malformed lines are refused in RTP sections only: elsewhere a format need
 * not be a payload type. */
static int attr_codec(struct pstate *st, char **slot, const char *v, const char *why)
{
    struct sdp_section *s = cur(st);
    bool rtp = strstr(s->proto, "RTP/") != NULL;
    size_t n;
    const char *pt = sdp_tok(&v, &n);
    uint64_t val;
    if (!pt || !sdp_num(pt, n, 127, &val))
        return rtp ? bad(st, why) : 0;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return rtp ? bad(st, why) : 0;
    if ((int)val == s->first_pt && !*slot)
        *slot = util_strdup(v);
    return 0;
}

static int attr_u32(struct pstate *st, const char *v, uint64_t max, uint64_t *out, const char *why)
{
    if (!sdp_num(v, strlen(v), max, out))
        return bad(st, why);
    return 0;
}

static int attr_media(struct pstate *st, const char *name, const char *v)
{
    struct sdp_section *s = cur(st);
    uint64_t n;
    if (!strcmp(name, "mid")) {
        if (!mid_ok(v, strlen(v)))
            return bad(st, "malformed a=mid");
        if (!s->mid)
            s->mid = util_strdup(v);
    } else if (!strcmp(name, "sendrecv") || !strcmp(name, "sendonly") ||
               !strcmp(name, "recvonly") || !strcmp(name, "inactive")) {
        free(s->direction);
        s->direction = util_strdup(name);
    } else if (!strcmp(name, "bundle-only")) {
        s->bundle_only = true;
    } else if (!strcmp(name, "rtpmap")) {
        return attr_codec(st, &s->rtpmap, v, "malformed a=rtpmap");
    } else if (!strcmp(name, "fmtp")) {
        return attr_codec(st, &s->fmtp, v, "malformed a=fmtp");
    } else if (!strcmp(name, "sctp-port")) {
        if (attr_u32(st, v, 65535, &n, "malformed a=sctp-port") || n == 0)
            return bad(st, "malformed a=sctp-port");
        s->sctp_port = (uint16_t)n;
    } else if (!strcmp(name, "max-message-size")) {
        if (!sdp_num(v, strlen(v), UINT64_MAX, &n))
            return bad(st, "malformed a=max-message-size");
        s->max_message_size = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    return 0;
}

/* `line` is "name" or "name:value" (after "a="), NUL-terminated, writable. */
static int parse_a(struct pstate *st, char *line)
{
    char *colon = strchr(line, ':');
    const char *v = "";
    if (colon) {
        *colon = '\0';
        v = colon + 1;
    }
    struct tr *t = cur_tr(st);
    if (!strcmp(line, "ice-ufrag"))
        return attr_cred(st, &t->ufrag, v, 4, "malformed a=ice-ufrag");
    if (!strcmp(line, "ice-pwd"))
        return attr_cred(st, &t->pwd, v, 22, "malformed a=ice-pwd");
    if (!strcmp(line, "fingerprint"))
        return attr_fingerprint(st, v);
    if (!strcmp(line, "setup"))
        return attr_setup(st, v);
    if (!strcmp(line, "group"))
        return attr_group(st, v);
    if (!strcmp(line, "ice-lite")) {
        if (!cur(st))
            st->o->ice_lite = true;
        return 0;
    }
    return cur(st) ? attr_media(st, line, v) : 0;
}

/* ------------------------------------------------------------ whole offer */

static void parse_origin(struct sdp_offer *o, const char *v)
{
    size_t n;
    const char *user = sdp_tok(&v, &n), *id = user ? sdp_tok(&v, &n) : NULL;
    size_t idn = n;
    const char *ver = id ? sdp_tok(&v, &n) : NULL;
    uint64_t x;
    if (id && sdp_num(id, idn, UINT64_MAX, &x))
        o->session_id = x;
    if (ver && sdp_num(ver, n, UINT64_MAX, &x))
        o->session_version = x;
}

static int parse_line(struct pstate *st, char *line, size_t n, bool first)
{
    if (n < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
        return bad(st, "malformed SDP line");
    if (first != (line[0] == 'v'))
        return bad(st, first ? "SDP does not start with v=" : "repeated v= line");
    char *v = line + 2;
    switch (line[0]) {
    case 'v':
        return strcmp(v, "0") ? bad(st, "unsupported SDP version") : 0;
    case 'o':
        if (!cur(st))
            parse_origin(st->o, v);
        return 0;
    case 'm':
        return parse_m(st, v);
    case 'a':
        return parse_a(st, v);
    default:
        return 0;
    }
}

/* Finds the first group that lists `mid`; fills o->bundle_mids with its mids
 * that name offered sections. */
static int resolve_bundle(struct pstate *st, const char *mid)
{
    struct sdp_offer *o = st->o;
    for (size_t g = 0; g < st->n_groups; g++) {
        const char *p = st->groups[g], *t;
        size_t n;
        bool found = false;
        while (!found && (t = sdp_tok(&p, &n)))
            found = strlen(mid) == n && !memcmp(t, mid, n);
        if (!found)
            continue;
        o->bundle_mids = util_calloc(o->n_sections, sizeof(char *));
        p = st->groups[g];
        while ((t = sdp_tok(&p, &n))) {
            for (size_t i = 0; i < o->n_sections; i++) {
                const char *m = o->sections[i].mid;
                if (strlen(m) != n || memcmp(t, m, n))
                    continue;
                for (size_t k = 0; k < o->n_bundle; k++)
                    if (!strcmp(o->bundle_mids[k], m))
                        return bad(st, "mid listed twice in a=group:BUNDLE");
                o->bundle_mids[o->n_bundle++] = util_strdup(m);
            }
        }
        return 0;
    }
    return 0;
}

enum tr_field { TR_ICE, TR_FP, TR_SETUP };

static bool tr_has(const struct tr *t, enum tr_field f)
{
    if (!t)
        return false;
    switch (f) {
    case TR_ICE:
        return t->ufrag && t->pwd;
    case TR_FP:
        return t->fp_len > 0;
    default:
        return t->setup != NULL;
    }
}

/* The first of own, session-level, BUNDLE tag that carries field f. */
static const struct tr *pick_tr(const struct tr *own, const struct tr *sess, const struct tr *tag,
                                enum tr_field f)
{
    return tr_has(own, f) ? own : tr_has(sess, f) ? sess : tr_has(tag, f) ? tag : NULL;
}

/* Transport of the data section: own, session-level, or the BUNDLE tag's. */
static int resolve_transport(struct pstate *st)
{
    struct sdp_offer *o = st->o;
    const struct tr *own = &st->sec[o->data_index], *tag = NULL;
    if (o->n_bundle)
        for (size_t i = 0; i < o->n_sections && !tag; i++)
            if (!strcmp(o->sections[i].mid, o->bundle_mids[0]))
                tag = &st->sec[i];
    const struct tr *ice = pick_tr(own, &st->sess, tag, TR_ICE);
    const struct tr *fp = pick_tr(own, &st->sess, tag, TR_FP);
    const struct tr *setup = pick_tr(own, &st->sess, tag, TR_SETUP);
    if (!ice)
        return bad(st, "no a=ice-ufrag/a=ice-pwd for the data section");
    if (!fp)
        return bad(st, "no a=fingerprint for the data section");
    o->ice_ufrag = util_strdup(ice->ufrag);
    o->ice_pwd = util_strdup(ice->pwd);
    memcpy(o->fingerprint_alg, fp->fp_alg, sizeof o->fingerprint_alg);
    memcpy(o->fingerprint, fp->fp, fp->fp_len);
    o->fingerprint_len = fp->fp_len;
    o->fingerprint_supported = !strcmp(fp->fp_alg, "sha-256");
    if (setup) {
        if (!strcmp(setup->setup, "active") || !strcmp(setup->setup, "holdconn"))
            return bad(st, "offer's a=setup leaves dcsfu no DTLS client role");
        o->setup = util_strdup(setup->setup);
    }
    return 0;
}

static int finish(struct pstate *st)
{
    struct sdp_offer *o = st->o;
    if (o->n_sections == 0)
        return bad(st, "no m= section");
    bool found = false;
    for (size_t i = 0; i < o->n_sections; i++) {
        struct sdp_section *s = &o->sections[i];
        if (!s->mid)
            return bad(st, "m= section without a=mid");
        for (size_t k = 0; k < i; k++)
            if (!strcmp(o->sections[k].mid, s->mid))
                return bad(st, "repeated a=mid");
        if (!s->direction)
            s->direction = util_strdup("sendrecv");
        s->rejected = s->port == 0 && !s->bundle_only;
        if (!found && s->is_datachannel && !s->rejected) {
            o->data_index = i;
            found = true;
        }
    }
    if (!found)
        return bad(st, "no m=application UDP/DTLS/SCTP webrtc-datachannel section");
    int rc = resolve_bundle(st, o->sections[o->data_index].mid);
    return rc ? rc : resolve_transport(st);
}

static void tr_free(struct tr *t)
{
    free(t->ufrag);
    free(t->pwd);
    free(t->setup);
}

/* Splits into lines and feeds parse_line; checks the byte-level limits. */
static int parse_lines(struct pstate *st, const char *sdp, size_t len)
{
    char buf[SDP_MAX_LINE + 1];
    size_t pos = 0;
    bool first = true;
    while (pos < len) {
        const char *line = sdp + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r')
            n--;
        if (n > SDP_MAX_LINE)
            return bad(st, "SDP line too long");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return bad(st, "control character in SDP");
        }
        if (n == 0)
            continue;
        memcpy(buf, line, n);
        buf[n] = '\0';
        int rc = parse_line(st, buf, n, first);
        if (rc)
            return rc;
        first = false;
    }
    return first ? bad(st, "empty SDP") : 0;
}

int sdp_parse_offer(const char *sdp, size_t len, struct sdp_offer *out, const char **why)
{
    struct pstate st = {.o = out};
    int rc;
    if (!out) {
        if (why)
            *why = "no output";
        return DC_EPROTO;
    }
    memset(out, 0, sizeof *out);
    if (!sdp)
        rc = bad(&st, "no SDP");
    else if (len > SDP_MAX_INPUT)
        rc = bad(&st, "SDP too large");
    else {
        out->sections = util_calloc(SDP_MAX_SECTIONS, sizeof *out->sections);
        st.sec = util_calloc(SDP_MAX_SECTIONS, sizeof *st.sec);
        rc = parse_lines(&st, sdp, len);
        if (!rc)
            rc = finish(&st);
    }
    tr_free(&st.sess);
    for (size_t i = 0; st.sec && i < SDP_MAX_SECTIONS; i++)
        tr_free(&st.sec[i]);
    free(st.sec);
    for (size_t g = 0; g < st.n_groups; g++)
        free(st.groups[g]);
    if (rc && why)
        *why = st.why;
    return rc;
}

void sdp_offer_free(struct sdp_offer *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_sections; i++) {
        struct sdp_section *s = &o->sections[i];
        free(s->media);
        free(s->proto);
        free(s->fmts);
        free(s->mid);
        free(s->direction);
        free(s->rtpmap);
        free(s->fmtp);
    }
    free(o->sections);
    for (size_t i = 0; i < o->n_bundle; i++)
        free(o->bundle_mids[i]);
    free(o->bundle_mids);
    free(o->ice_ufrag);
    free(o->ice_pwd);
    free(o->setup);
    memset(o, 0, sizeof *o);
}
