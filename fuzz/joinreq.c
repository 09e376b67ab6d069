/* joinreq.c: fuzz target for join_request decoding (signaling/joinreq).
 *
 * Input: byte 0 picks the form: even, the value of /rtc/v1's join_request
 * parameter (base64 of a WrappedJoinRequest, maybe gzip inside); odd, the
 * query string of /rtc (v0).  The rest is that text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "signaling/joinreq.h"
#include "signaling/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    if (size < 1)
        return 0;
    int v0 = data[0] & 1;
    data++, size--;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    Livekit__JoinRequest *req = NULL;
    const char *why = NULL;
    int rc = v0 ? joinreq_from_query_v0(s, &req, &why)
                : joinreq_decode_v1(s, size, 64 * 1024, &req, &why);
    if ((rc == 0) != (req != NULL))
        __builtin_trap();
    if (req)
        livekit__join_request__free_unpacked(req, NULL);
    if (v0) {
        free(query_get(s, "access_token"));
        free(query_get(s, "join_request"));
    }
    free(s);
    return 0;
}
