#include "signaling/http.h"

#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/util.h"

/* Which piece of the head the arena is currently receiving. */
enum head_piece { HP_URL, HP_NAME, HP_VALUE };

struct http_reader {
    http_parser p;
    size_t max_head, max_body;
    size_t head_bytes; /* wire bytes given to the parser before the head ended */

    /* All head strings, NUL-terminated, back to back: url, names, values and
     * a path copy.  Offsets, not pointers, until the head is complete. */
    char *arena;
    size_t alen, acap;
    enum head_piece piece;
    size_t url_len;
    size_t name_off[HTTP_MAX_HEADERS], value_off[HTTP_MAX_HEADERS];
    size_t n_headers;
    struct http_header headers[HTTP_MAX_HEADERS];

    uint8_t *body;
    size_t body_len, body_cap;
    uint64_t body_limit;

    bool headers_done, done;
    int err, status;
    const char *errmsg;
    struct http_request req;
};

static int fail(struct http_reader *r, int err, int status, const char *msg)
{
    if (!r->err) {
        r->err = err;
        r->status = status;
        r->errmsg = msg;
    }
    return -1;
}

/* Makes room for n more arena bytes without passing the head budget. */
static int arena_reserve(struct http_reader *r, size_t n)
{
    size_t limit = r->max_head + HTTP_HEAD_SLACK;
    if (n > limit - r->alen)
        return -1;
    if (r->alen + n <= r->acap)
        return 0;
    size_t cap = r->acap ? r->acap : 256;
    while (cap < r->alen + n)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    r->arena = util_realloc(r->arena, cap);
    r->acap = cap;
    return 0;
}

static int arena_put(struct http_reader *r, const char *s, size_t n)
{
    if (arena_reserve(r, n) != 0)
        return fail(r, DC_ETOOBIG, 431, "request head too large");
    memcpy(r->arena + r->alen, s, n);
    r->alen += n;
    return 0;
}

/* Ends the string being received: the url, a name, or a value. */
static int end_piece(struct http_reader *r)
{
    if (r->piece == HP_VALUE) {
        size_t start = r->value_off[r->n_headers - 1];
        while (r->alen > start && (r->arena[r->alen - 1] == ' ' || r->arena[r->alen - 1] == '\t'))
            r->alen--;
        return arena_put(r, "", 1);
    }
    if (arena_put(r, "", 1) != 0)
        return -1;
    if (r->piece == HP_NAME) { /* a name with no value callback: empty value */
        r->value_off[r->n_headers - 1] = r->alen;
        return arena_put(r, "", 1);
    }
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct http_reader *r = p->data;
    if (arena_put(r, at, n) != 0)
        return -1;
    r->url_len += n;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct http_reader *r = p->data;
    if (r->headers_done)
        return 0; /* trailer fields of a chunked body are dropped */
    if (r->piece != HP_NAME) {
        if (end_piece(r) != 0)
            return -1;
        if (r->n_headers == HTTP_MAX_HEADERS)
            return fail(r, DC_ETOOBIG, 431, "too many header fields");
        r->name_off[r->n_headers++] = r->alen;
        r->piece = HP_NAME;
    }
    return arena_put(r, at, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct http_reader *r = p->data;
    if (r->headers_done)
        return 0;
    if (r->piece != HP_VALUE) {
        if (arena_put(r, "", 1) != 0)
            return -1;
        r->value_off[r->n_headers - 1] = r->alen;
        r->piece = HP_VALUE;
    }
    return arena_put(r, at, n);
}

/* Finds path and query inside the url (offsets and lengths). */
static int locate_url_parts(struct http_reader *r, size_t pq[4])
{
    const char *u = r->arena;
    size_t n = r->url_len;
    memset(pq, 0, 4 * sizeof pq[0]);
    if (n > 0 && u[0] == '/') {
        size_t e = 0;
        while (e < n && u[e] != '?' && u[e] != '#')
            e++;
        pq[1] = e;
        if (e < n && u[e] == '?') {
            size_t q = e + 1, qe = q;
            while (qe < n && u[qe] != '#')
                qe++;
            pq[2] = q;
            pq[3] = qe - q;
        }
        return 0;
    }
    struct http_parser_url pu;
    http_parser_url_init(&pu);
    if (http_parser_parse_url(u, n, r->p.method == HTTP_CONNECT, &pu) != 0)
        return fail(r, DC_EPROTO, 400, "bad request-target");
    if (pu.field_set & (1u << UF_PATH)) {
        pq[0] = pu.field_data[UF_PATH].off;
        pq[1] = pu.field_data[UF_PATH].len;
    }
    if (pu.field_set & (1u << UF_QUERY)) {
        pq[2] = pu.field_data[UF_QUERY].off;
        pq[3] = pu.field_data[UF_QUERY].len;
    }
    return 0;
}

/* Returns the arena offset of a NUL-terminated copy of url[off, off+len):
 * the url itself when the piece runs to its end, else a copy. */
static int url_piece(struct http_reader *r, size_t off, size_t len, size_t *out)
{
    if (off + len == r->url_len) {
        *out = off;
        return 0;
    }
    if (arena_reserve(r, len + 1) != 0)
        return fail(r, DC_ETOOBIG, 414, "request-target too long");
    memcpy(r->arena + r->alen, r->arena + off, len);
    *out = r->alen;
    r->alen += len;
    r->arena[r->alen++] = '\0';
    return 0;
}

static int split_url(struct http_reader *r, size_t *path_off, size_t *query_off)
{
    size_t pq[4];
    if (locate_url_parts(r, pq) != 0)
        return -1;
    while (pq[1] > 1 && r->arena[pq[0]] == '/' && r->arena[pq[0] + 1] == '/') {
        pq[0]++;
        pq[1]--;
    }
    if (pq[1] == 0) { /* absolute-form without a path, or "*" */
        if (arena_reserve(r, 2) != 0)
            return fail(r, DC_ETOOBIG, 414, "request-target too long");
        *path_off = r->alen;
        memcpy(r->arena + r->alen, "/", 2);
        r->alen += 2;
    } else if (url_piece(r, pq[0], pq[1], path_off) != 0) {
        return -1;
    }
    if (pq[3] == 0) {
        *query_off = r->url_len; /* the url's own NUL: "" */
        return 0;
    }
    return url_piece(r, pq[2], pq[3], query_off);
}

static int fill_request(struct http_reader *r)
{
    struct http_request *q = &r->req;
    const char *m = http_method_str((enum http_method)r->p.method);
    size_t path_off, query_off;
    if (strlen(m) >= sizeof q->method)
        return fail(r, DC_EPROTO, 501, "method not implemented");
    if (split_url(r, &path_off, &query_off) != 0)
        return -1;
    memcpy(q->method, m, strlen(m) + 1);
    q->url = r->arena;
    q->path = r->arena + path_off;
    q->query = r->arena + query_off;
    for (size_t i = 0; i < r->n_headers; i++) {
        r->headers[i].name = r->arena + r->name_off[i];
        r->headers[i].value = r->arena + r->value_off[i];
    }
    q->headers = r->headers;
    q->n_headers = r->n_headers;
    q->http_major = r->p.http_major;
    q->http_minor = r->p.http_minor;
    q->keep_alive = http_should_keep_alive(&r->p) != 0;
    q->upgrade = http_header_has_token(q, "Connection", "upgrade") &&
                 http_header_has_token(q, "Upgrade", "websocket");
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_reader *r = p->data;
    if (end_piece(r) != 0)
        return -1;
    r->headers_done = true;
    if (fill_request(r) != 0)
        return -1;
    r->body_limit = r->max_body;
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX) {
        if (p->content_length > r->max_body)
            return fail(r, DC_ETOOBIG, 413, "body too large");
        r->body_limit = p->content_length;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct http_reader *r = p->data;
    if (n > r->body_limit - r->body_len)
        return fail(r, DC_ETOOBIG, 413, "body too large");
    size_t need = r->body_len + n + 1; /* + NUL */
    if (need > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap * 2 : 1024;
        if (cap < need)
            cap = need;
        if (cap > r->body_limit + 1)
            cap = (size_t)r->body_limit + 1;
        r->body = util_realloc(r->body, cap);
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, at, n);
    r->body_len += n;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_reader *r = p->data;
    r->done = true;
    if (r->body_len > 0) {
        r->body[r->body_len] = '\0';
        r->req.body = r->body;
        r->req.body_len = r->body_len;
    }
    http_parser_pause(p, 1); /* one request at a time */
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void reader_init(struct http_reader *r)
{
    http_parser_init(&r->p, HTTP_REQUEST);
    r->p.data = r;
    r->head_bytes = 0;
    r->arena = NULL;
    r->alen = r->acap = 0;
    r->piece = HP_URL;
    r->url_len = 0;
    r->n_headers = 0;
    r->body = NULL;
    r->body_len = r->body_cap = 0;
    r->body_limit = 0;
    r->headers_done = r->done = false;
    r->err = r->status = 0;
    r->errmsg = "";
    memset(&r->req, 0, sizeof r->req);
}

struct http_reader *http_reader_new(size_t max_header_bytes, size_t max_body_bytes)
{
    struct http_reader *r = util_calloc(1, sizeof *r);
    r->max_head = max_header_bytes;
    r->max_body = max_body_bytes;
    reader_init(r);
    return r;
}

void http_reader_reset(struct http_reader *r)
{
    free(r->arena);
    free(r->body);
    reader_init(r);
}

void http_reader_free(struct http_reader *r)
{
    if (!r)
        return;
    free(r->arena);
    free(r->body);
    free(r);
}

bool http_reader_done(const struct http_reader *r)
{
    return r->done;
}

const struct http_request *http_reader_request(const struct http_reader *r)
{
    return &r->req;
}

size_t http_reader_mem(const struct http_reader *r)
{
    return r->acap + r->body_cap;
}

const char *http_reader_error(const struct http_reader *r)
{
    return r->errmsg;
}

/* Turns a stopped parse into the reader's error (callback or parser). */
static long parse_error(struct http_reader *r, int *status)
{
    enum http_errno e = HTTP_PARSER_ERRNO(&r->p);
    if (!r->err) {
        if (e == HPE_HEADER_OVERFLOW)
            fail(r, DC_ETOOBIG, 431, "request head too large");
        else if (e == HPE_OK || e == HPE_PAUSED)
            fail(r, DC_EPROTO, 400, "request parse stopped early");
        else
            fail(r, DC_EPROTO, 400, http_errno_description(e));
    }
    if (status)
        *status = r->status;
    return r->err;
}

long http_reader_feed(struct http_reader *r, const uint8_t *data, size_t len, int *status)
{
    size_t off = 0;
    if (status)
        *status = 0;
    if (r->err)
        return parse_error(r, status);
    while (off < len && !r->done) {
        size_t n = len - off;
        bool in_head = !r->headers_done;
        if (in_head && n > r->max_head - r->head_bytes)
            n = r->max_head - r->head_bytes;
        size_t got = http_parser_execute(&r->p, &settings, (const char *)data + off, n);
        off += got;
        if (in_head)
            r->head_bytes += got;
        if (r->err || (HTTP_PARSER_ERRNO(&r->p) != HPE_OK && !r->done))
            return parse_error(r, status);
        if (!r->headers_done && r->head_bytes >= r->max_head) {
            fail(r, DC_ETOOBIG, 431, "request head too large");
            return parse_error(r, status);
        }
        if (got < n && !r->done)
            return parse_error(r, status);
    }
    return (long)off;
}

const char *http_header_get(const struct http_request *q, const char *name)
{
    for (size_t i = 0; i < q->n_headers; i++)
        if (strcasecmp(q->headers[i].name, name) == 0)
            return q->headers[i].value;
    return NULL;
}

static bool list_has_token(const char *s, const char *token)
{
    size_t tl = strlen(token);
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        const char *start = s;
        while (*s && *s != ',')
            s++;
        const char *end = s;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
            return true;
    }
    return false;
}

bool http_header_has_token(const struct http_request *q, const char *name, const char *token)
{
    for (size_t i = 0; i < q->n_headers; i++)
        if (strcasecmp(q->headers[i].name, name) == 0 && list_has_token(q->headers[i].value, token))
            return true;
    return false;
}

const char *http_reason(int status)
{
    const char *s = http_status_str((enum http_status)status);
    return strcmp(s, "<unknown>") == 0 ? "Unknown" : s;
}

/* Non-empty lines, each ending in CRLF, with no other CR or LF. */
static bool extra_headers_ok(const char *s)
{
    size_t line = 0;
    for (; *s; s++) {
        if (*s == '\n')
            return false;
        if (*s == '\r') {
            if (s[1] != '\n' || line == 0)
                return false;
            s++;
            line = 0;
            continue;
        }
        line++;
    }
    return line == 0;
}

uint8_t *http_response_build(int status, const char *content_type, const char *extra_headers,
                             const void *body, size_t body_len, bool keep_alive, size_t *out_len)
{
    bool bodyless = status < 200 || status == 204;
    if (status < 100 || status > 999 || (bodyless && body_len > 0))
        return NULL;
    if (content_type && strpbrk(content_type, "\r\n"))
        return NULL;
    if (extra_headers && !extra_headers_ok(extra_headers))
        return NULL;
    char cl[48] = "";
    if (!bodyless)
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
    const char *ct_name = content_type ? "Content-Type: " : "";
    const char *ct_end = content_type ? "\r\n" : "";
    const char *ct = content_type ? content_type : "";
    const char *reason = http_reason(status);
    int head = snprintf(NULL, 0, "HTTP/1.1 %d %s\r\n%s%s%s%s", status, reason, ct_name, ct, ct_end, cl);
    if (head < 0)
        return NULL;
    const char *conn = keep_alive ? "" : "Connection: close\r\n";
    size_t xl = extra_headers ? strlen(extra_headers) : 0, cnl = strlen(conn);
    size_t total = (size_t)head + xl + cnl + 2 + body_len;
    uint8_t *out = util_malloc(total + 1);
    char *w = (char *)out;
    snprintf(w, (size_t)head + 1, "HTTP/1.1 %d %s\r\n%s%s%s%s", status, reason, ct_name, ct, ct_end, cl);
    w += head;
    memcpy(w, extra_headers ? extra_headers : "", xl);
    w += xl;
    memcpy(w, conn, cnl);
    w += cnl;
    memcpy(w, "\r\n", 2);
    w += 2;
    if (body_len)
        memcpy(w, body, body_len);
    *out_len = total;
    return out;
}
