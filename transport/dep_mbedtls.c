/* dep_mbedtls.c: shared mbedTLS random generator, debug hook and error text. */
#include "transport/dep_mbedtls.h"

#include <stdbool.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/error.h>

#include "common/log.h"
#include "common/util.h"

static mbedtls_ctr_drbg_context drbg;
static bool drbg_ready;

/* Entropy source for the DRBG: the kernel's generator. */
static int entropy_getrandom(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    util_random_bytes(out, len);
    return 0;
}

static int drbg_init(void)
{
    static const unsigned char pers[] = "dcsfu-transport";
    mbedtls_ctr_drbg_init(&drbg);
    int ret = mbedtls_ctr_drbg_seed(&drbg, entropy_getrandom, NULL, pers, sizeof pers - 1);
    if (ret != 0) {
        mbedtls_ctr_drbg_free(&drbg);
        return ret;
    }
    /* Mix fresh kernel entropy in now and then rather than relying on the
     * default (10,000 requests). */
    mbedtls_ctr_drbg_set_reseed_interval(&drbg, 1000);
    drbg_ready = true;
    return 0;
}

int dep_mbedtls_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    if (!drbg_ready) {
        int ret = drbg_init();
        if (ret != 0)
            return ret;
    }
    /* mbedtls_ctr_drbg_random serves at most MBEDTLS_CTR_DRBG_MAX_REQUEST
     * bytes per call. */
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        int ret = mbedtls_ctr_drbg_random(&drbg, out, n);
        if (ret != 0)
            return ret;
        out += n;
        len -= n;
    }
    return 0;
}

void dep_mbedtls_dbg(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void)ctx;
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    LOGD("mbedtls", "trace", "level=%d src=%s:%d text=\"%.*s\"", level, file, line, (int)n, msg);
}

static int debug_level;

void dep_mbedtls_set_debug(int level)
{
    debug_level = level;
    mbedtls_debug_set_threshold(level);
}

int dep_mbedtls_debug_level(void)
{
    return debug_level;
}

const char *dep_mbedtls_strerror(int ret, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    mbedtls_strerror(ret, buf, cap);
    return buf;
}
