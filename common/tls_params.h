/* tls_params.h: the cipher suites and key-exchange groups that dcsfu's TLS
 * (signaling, signaling/tls_stream.c) and DTLS (data plane, transport/dtls.c)
 * sessions negotiate, in preference order, as mbedTLS configuration arrays
 * (zero- and MBEDTLS_ECP_DP_NONE-terminated).  ECDHE only, AEAD only:
 * AES-GCM first (AES-NI makes it the cheapest here), then ChaCha20-Poly1305.
 * The groups are also the curves accepted in a peer's certificate. */
#ifndef DC_TLS_PARAMS_H
#define DC_TLS_PARAMS_H

#include <mbedtls/ecp.h>

extern const int tls_params_suites[];
extern const mbedtls_ecp_group_id tls_params_curves[];

#endif
