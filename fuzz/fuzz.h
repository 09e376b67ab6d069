/* fuzz.h: shared by the fuzz targets of fuzz/.
 *
 * Each target defines LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize when
 * it needs one-time set-up).  Targets are deterministic (util_random_bytes
 * is replaced by fuzz_random, a PRNG reset per input), keep no state from
 * one input to the next and free everything they allocate. */
#ifndef DC_FUZZ_H
#define DC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint64_t fuzz_rng_state;

static inline void fuzz_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        fuzz_rng_state = fuzz_rng_state * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (uint8_t)(fuzz_rng_state >> 56);
    }
}

/* Quiet logs and deterministic randomness; call at the start of each input. */
static inline void fuzz_reset(void)
{
    log_current_level = LOG_LVL_OFF;
    fuzz_rng_state = 0x5eed;
    util_random_source = fuzz_random;
}

/* Reads bytes from a script: fuzz_take returns 0 once the script is over. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to `max` bytes: a length byte pair then that many bytes (fewer at the end). */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t max, size_t *len)
{
    size_t want = fuzz_u16(in);
    if (want > max)
        want = max;
    if (want > in->n)
        want = in->n;
    const uint8_t *p = in->p;
    in->p += want;
    in->n -= want;
    *len = want;
    return p;
}

#endif
