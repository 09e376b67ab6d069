/* http.h: I/O-free HTTP/1.1 request reader and response builder.
 *
 * The reader takes bytes as they arrive from a socket, split anywhere, and
 * yields one request at a time (on http-parser).  It does no I/O and keeps
 * no clock: idle and slow-client timeouts belong to the caller.
 *
 * Limits: the request line plus all header lines may take at most
 * `max_header_bytes` on the wire (else DC_ETOOBIG, status 431; also 431
 * past HTTP_MAX_HEADERS header lines); the body at most `max_body_bytes`
 * (DC_ETOOBIG, status 413, found from Content-Length before any body byte
 * is read, or while decoding a chunked body).  Chunked request bodies are
 * supported; trailer fields after the last chunk are parsed and dropped.
 * Malformed requests give DC_EPROTO with status 400; a method name longer
 * than 7 characters gives DC_EPROTO with status 501.  A request-target
 * whose path copy does not fit the header budget gives DC_ETOOBIG, 414.
 * After an error the reader stays failed until http_reader_reset; the
 * caller should send the status and close the connection.
 *
 * Memory: for one request a reader holds at most max_header_bytes +
 * HTTP_HEAD_SLACK bytes of strings, max_body_bytes + 1 bytes of body and a
 * fixed-size struct, however the input is split.
 *
 * Ownership: the reader owns the request and every string in it.  They are
 * valid once http_reader_done() is true and until http_reader_reset() or
 * http_reader_free().  `body` is NULL when the request has no body, and is
 * otherwise followed by a NUL byte that body_len does not count. */
#ifndef DC_HTTP_H
#define DC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 100
#define HTTP_HEAD_SLACK 512

struct http_header {
    char *name;
    char *value; /* leading and trailing blanks removed */
};

struct http_request {
    char method[8];  /* "GET", "POST", ... */
    char *url;       /* raw request-target as received */
    char *path;      /* raw (not percent-decoded) path, duplicate leading slashes collapsed */
    char *query;     /* raw text after '?' (fragment excluded), or "" */
    struct http_header *headers;
    size_t n_headers;
    uint8_t *body;
    size_t body_len;
    unsigned short http_major, http_minor;
    bool upgrade;    /* Connection has the "upgrade" token and Upgrade has "websocket" */
    bool keep_alive; /* HTTP/1.1 without "Connection: close", or 1.0 with keep-alive */
};

struct http_reader;

struct http_reader *http_reader_new(size_t max_header_bytes, size_t max_body_bytes);
void http_reader_free(struct http_reader *r);
/* Feeds received bytes.  Returns how many were consumed (>= 0), or DC_ETOOBIG
 * / DC_EPROTO with *status set to the HTTP status to answer (status may be
 * NULL).  Once a request is complete, http_reader_done() is true and the
 * count ends exactly at the end of that request: the remaining bytes are the
 * next pipelined request (feed them after http_reader_reset) or, after an
 * upgrade, WebSocket data.  A done reader consumes nothing (returns 0). */
long http_reader_feed(struct http_reader *r, const uint8_t *data, size_t len, int *status);
bool http_reader_done(const struct http_reader *r);
/* The request being read; its fields are only meaningful once done. */
const struct http_request *http_reader_request(const struct http_reader *r);
/* Static text describing the last error ("" if none), for logs. */
const char *http_reader_error(const struct http_reader *r);
/* Heap bytes the reader holds for the current request (buffers' capacity,
 * not counting the fixed-size reader itself). */
size_t http_reader_mem(const struct http_reader *r);
/* Frees the current request and gets ready for the next keep-alive request. */
void http_reader_reset(struct http_reader *r);

/* First header named `name` (ASCII case-insensitive), or NULL. */
const char *http_header_get(const struct http_request *q, const char *name);
/* True if any header named `name` holds `token` in its comma-separated list
 * (both compared ASCII case-insensitively), e.g. Connection: keep-alive, Upgrade. */
bool http_header_has_token(const struct http_request *q, const char *name, const char *token);

/* Standard reason phrase for `status` ("Unknown" for codes it does not know). */
const char *http_reason(int status);
/* Builds a whole response in one malloc'd buffer (*out_len bytes): the status
 * line, Content-Type if non-NULL, Content-Length (left out for 1xx and 204,
 * which carry no body), `extra_headers` (NULL, or lines each ending in
 * "\r\n"), "Connection: close" when !keep_alive, the blank line, the body.
 * Returns NULL if content_type contains CR or LF, or extra_headers is not a
 * sequence of non-empty CRLF-terminated lines. */
uint8_t *http_response_build(int status, const char *content_type, const char *extra_headers,
                             const void *body, size_t body_len, bool keep_alive, size_t *out_len);

#endif
