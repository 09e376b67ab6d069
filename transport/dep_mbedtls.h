/* dep_mbedtls.h: the one place that sets up mbedTLS state shared by transport/.
 *
 * Provides the random generator that every mbedTLS operation in dcsfu uses (a
 * CTR_DRBG seeded from getrandom(2) on first use), a debug hook that sends
 * mbedTLS's own trace lines to the dcsfu log, and error-code formatting.
 * This header does not include mbedTLS headers; the signatures match
 * mbedTLS's f_rng and f_dbg callback types so they can be passed directly.
 *
 * Single-threaded (dcsfu runs one loop); nothing here is freed: the DRBG
 * holds no heap memory. */
#ifndef DC_DEP_MBEDTLS_H
#define DC_DEP_MBEDTLS_H

#include <stddef.h>

/* mbedTLS f_rng: fills `out` with `len` random bytes; returns 0, or an mbedTLS
 * error code if the generator could not be seeded or refused the request.
 * `ctx` is ignored (pass NULL). */
int dep_mbedtls_rng(void *ctx, unsigned char *out, size_t len);

/* mbedTLS f_dbg for mbedtls_ssl_conf_dbg: logs at debug level, module "mbedtls". */
void dep_mbedtls_dbg(void *ctx, int level, const char *file, int line, const char *msg);

/* Sets mbedTLS's global debug threshold (0 = off, 4 = everything).  Only lines
 * from sessions configured with dep_mbedtls_dbg and only when the dcsfu log
 * level is debug are printed. */
void dep_mbedtls_set_debug(int level);
/* The level last set (0: tracing off; sessions then install no trace hook,
 * which spares mbedTLS formatting work on every record). */
int dep_mbedtls_debug_level(void);

/* Writes mbedTLS's text for `ret` (e.g. "SSL - The peer notified us that the
 * connection is going to be closed") into `buf`; returns buf. */
const char *dep_mbedtls_strerror(int ret, char *buf, size_t cap);

#endif
