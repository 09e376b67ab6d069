/* sdp.c: fuzz target for transport/sdp (offer parser, answer builder,
 * candidate parser).
 *
 * Input: an SDP offer.  When it parses, an answer is built from it (and
 * must parse as SDP of its own kind: it starts with "v=0").  Each line is
 * also given to the trickle candidate parser. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "transport/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    struct sdp_offer o;
    const char *why = NULL;
    if (sdp_parse_offer((const char *)data, size, &o, &why) == 0) {
        static const struct sdp_candidate cands[] = {{"10.0.0.1", 7882}, {"2001:db8::1", 7882}};
        struct sdp_answer_params p = {
            .ice_ufrag = "fuzzufrag0000000",
            .ice_pwd = "fuzzpassword00000000000000000000",
            .fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                           "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            .candidates = cands,
            .n_candidates = 2,
            .max_message_size = 262144,
            .session_id = 1,
            .session_version = 2,
        };
        char *answer = sdp_build_answer(&o, &p);
        if (answer && strncmp(answer, "v=0", 3) != 0)
            __builtin_trap();
        free(answer);
    }
    sdp_offer_free(&o);

    /* The candidate parser takes a C string: one line at a time. */
    if (size > SDP_MAX_LINE * 4)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    for (char *line = s, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        struct sdp_cand_info c;
        (void)sdp_parse_candidate(line, &c);
    }
    free(s);
    return 0;
}
