/* dcep.c: fuzz target for transport/dcep.
 *
 * Input: one DCEP message.  An OPEN that parses must build back to exactly
 * the same bytes; an ACK must be the single type byte. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fuzz/fuzz.h"
#include "transport/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    (void)dcep_message_type(data, size);
    if (dcep_parse_ack(data, size) == 0 && size != 1)
        __builtin_trap();
    struct dcep_open o;
    if (dcep_parse_open(data, size, &o) != 0)
        return 0;
    if (!dcep_channel_type_valid(o.channel_type) || dcep_open_size(&o) != size)
        __builtin_trap();
    uint8_t *out = malloc(size);
    int n = dcep_build_open(&o, out, size);
    if (n != (int)size || memcmp(out, data, size) != 0)
        __builtin_trap();
    if (size > 0 && dcep_build_open(&o, out, size - 1) != DC_ETOOBIG)
        __builtin_trap();
    free(out);
    return 0;
}
