/* b64.h: base64 encoding and decoding (RFC 4648).
 *
 * b64_decode accepts both the standard and the URL-safe alphabet, with or
 * without '=' padding, and rejects anything else (including whitespace).
 * Output buffers are caller-owned; *_len() gives the size needed. */
#ifndef DC_B64_H
#define DC_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound of decoded size for `n` input chars. */
size_t b64_decoded_max(size_t n);
/* Encoded size without NUL; `padded` adds '=' padding. */
size_t b64_encoded_len(size_t n, bool padded);
/* Returns decoded length, or DC_EINVAL on bad input. `out` needs b64_decoded_max(n). */
long b64_decode(const char *in, size_t n, uint8_t *out);
/* Writes b64_encoded_len(n, padded) chars plus a NUL. */
void b64_encode(const uint8_t *in, size_t n, char *out, bool url, bool padded);

#endif
