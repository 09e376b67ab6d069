/* cert.h: the server's DTLS identity: a self-signed ECDSA P-256 certificate.
 *
 * cert_new creates a fresh key pair and a self-signed X.509 v3 certificate
 * (CN=dcsfu, random positive 128-bit serial, ecdsa-with-SHA256, valid from
 * now - 1 day to now + 30 days, `now` given by the caller) and computes the
 * SHA-256 fingerprint of its DER encoding in the form SDP's a=fingerprint
 * wants: 32 uppercase hex pairs separated by ':' (95 characters).
 *
 * One cert is made at start-up and shared by every DTLS session; it must
 * outlive them.  It is not thread-safe (dcsfu runs one loop): mbedTLS caches
 * precomputed curve tables inside the key on first use.
 *
 * Returns 0 or a negative DC_E* code (DC_EINVAL for a time out of range,
 * DC_EIO if mbedTLS fails).  Nothing here includes mbedTLS headers; the
 * two accessors at the bottom hand the parsed objects to transport/dtls.c
 * (and to tests) as incomplete struct types. */
#ifndef DC_CERT_H
#define DC_CERT_H

#include <stddef.h>
#include <stdint.h>

#define CERT_FP_LEN 32                     /* SHA-256 digest size */
#define CERT_FP_STR_LEN (CERT_FP_LEN * 3 - 1) /* "AB:CD:..." without NUL: 95 */

struct cert;

int cert_new(struct cert **out, int64_t now_unix_s);
void cert_free(struct cert *c);

/* "AB:CD:...:EF", NUL-terminated, CERT_FP_STR_LEN characters; owned by c. */
const char *cert_fingerprint(const struct cert *c);
/* The 32-byte SHA-256 of the certificate's DER; owned by c. */
const uint8_t *cert_fingerprint_raw(const struct cert *c);
/* The certificate's DER encoding; owned by c. */
const uint8_t *cert_der(const struct cert *c, size_t *len);

/* Formats a SHA-256 digest as "AB:CD:..." into out (CERT_FP_STR_LEN + 1 bytes). */
void cert_fingerprint_format(const uint8_t fp[CERT_FP_LEN], char out[CERT_FP_STR_LEN + 1]);
/* Parses the value of an SDP "a=fingerprint:sha-256 <value>": 32 hex pairs
 * separated by ':', either case, surrounding spaces/tabs allowed.
 * Returns 0 or DC_EINVAL. */
int cert_fingerprint_parse(const char *s, uint8_t out[CERT_FP_LEN]);

/* For transport/dtls.c and tests only: the parsed certificate
 * (mbedtls_x509_crt) and its private key (mbedtls_pk_context). */
struct mbedtls_x509_crt;
struct mbedtls_pk_context;
struct mbedtls_x509_crt *cert_mbedtls_crt(const struct cert *c);
struct mbedtls_pk_context *cert_mbedtls_key(const struct cert *c);

#endif
