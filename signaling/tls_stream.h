/* tls_stream.h: the server side of TLS 1.2 over a byte stream, with no I/O.
 *
 * What it does: parses a certificate chain and its private key into shared
 * credentials (tls_creds), and runs one TLS server session per connection
 * (tls_stream) on mbedTLS 2.28 through memory buffers: ciphertext from the
 * socket goes in with tls_stream_feed(), decrypted bytes come out through
 * on_data, and every byte for the socket (handshake flights, records, alerts)
 * goes out through `write`.  TLS 1.2 only (mbedTLS 2.28 has no TLS 1.3
 * server), ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, no
 * renegotiation, no session tickets, no client certificates.
 *
 * What it does not do: sockets, timers or reading files.  Timeouts are the
 * caller's (a stalled handshake is closed by the caller's idle timer).
 *
 * Ownership: tls_creds is reference counted.  tls_creds_new returns one
 * reference; each stream takes its own, so a caller may drop its reference
 * (e.g. on a certificate reload) while older streams live on with the
 * credentials they started with.  Streams are freed by tls_stream_free,
 * never from inside one of their own callbacks.
 *
 * Memory: a stream holds mbedTLS's two record buffers (about 16 KiB each)
 * and nothing that grows with input: ciphertext is consumed as it is fed.
 *
 * Callbacks run synchronously inside tls_stream_feed/send/close.  on_data may
 * call tls_stream_send and tls_stream_close on the same stream.
 *
 * Return codes: 0; DC_EPROTO (fatal TLS error or bad input: the connection
 * must be closed; see tls_stream_failure); DC_ECLOSED (the peer sent
 * close_notify, or the stream was closed); DC_EAGAIN (send before the
 * handshake has completed); DC_ECONFIG (credentials rejected, with a message
 * in err); DC_ENOMEM. */
#ifndef DC_TLS_STREAM_H
#define DC_TLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_creds;
struct tls_stream;

/* cert_pem: one or more PEM certificates, the server's own first, then the
 * chain; key_pem: its unencrypted private key (RSA or EC, PKCS#1, SEC1 or
 * PKCS#8).  The key must match the first certificate.  Neither buffer needs
 * to be NUL-terminated; both are copied.  err gets a one-line reason. */
int tls_creds_new(struct tls_creds **out, const char *cert_pem, size_t cert_len, const char *key_pem,
                  size_t key_len, char *err, size_t errlen);
/* Drops one reference; the last one frees.  NULL is fine. */
void tls_creds_release(struct tls_creds *c);
/* The leaf certificate's end of validity as Unix seconds. */
int64_t tls_creds_not_after(const struct tls_creds *c);
/* The leaf certificate's subject, e.g. "CN=sfu.example.org"; owned by c. */
const char *tls_creds_subject(const struct tls_creds *c);

struct tls_stream_callbacks {
    /* Bytes for the peer (ciphertext).  Required. */
    void (*write)(void *ctx, const uint8_t *data, size_t len);
    /* Application bytes from the peer.  Required. */
    void (*on_data)(void *ctx, const uint8_t *data, size_t len);
};

/* Why a stream failed (tls_stream_failure), for counting and logging. */
enum tls_failure {
    TLS_FAIL_NONE,
    TLS_FAIL_PLAINTEXT, /* the first bytes were a plaintext HTTP request */
    TLS_FAIL_HANDSHAKE, /* handshake refused: first byte not a handshake record, bad
                         * ClientHello, no shared cipher, an alert from the client... */
    TLS_FAIL_RECORD,    /* a record after the handshake did not decrypt or parse */
};

/* A new server session using creds (takes a reference).  Never NULL
 * (aborts on out-of-memory like util_malloc), unless mbedTLS refuses the
 * set-up, then NULL. */
struct tls_stream *tls_stream_new(struct tls_creds *creds, const struct tls_stream_callbacks *cb,
                                  void *ctx);
void tls_stream_free(struct tls_stream *t);

/* Feeds ciphertext from the peer; drives the handshake, then hands every
 * complete record's plaintext to on_data.  Partial records are kept inside
 * mbedTLS until the rest arrives.  Returns 0, DC_EPROTO or DC_ECLOSED; after
 * a non-zero return every later call returns the same code. */
int tls_stream_feed(struct tls_stream *t, const uint8_t *data, size_t len);
/* Encrypts len bytes (split into records of at most 16 KiB) and writes them.
 * Returns 0, DC_EAGAIN before the handshake is done, DC_ECLOSED after close,
 * DC_EPROTO on an mbedTLS failure. */
int tls_stream_send(struct tls_stream *t, const uint8_t *data, size_t len);
/* Writes a close_notify alert once (if the handshake is done); later sends
 * return DC_ECLOSED. */
void tls_stream_close(struct tls_stream *t);

bool tls_stream_established(const struct tls_stream *t);
enum tls_failure tls_stream_failure(const struct tls_stream *t);
/* mbedTLS's error text of the failure ("" if none). */
const char *tls_stream_error(const struct tls_stream *t);
/* The negotiated cipher suite's name, or "" before the handshake is done. */
const char *tls_stream_ciphersuite(const struct tls_stream *t);

#endif
