/* signal.c: fuzz target for SignalRequest handling in the room manager's
 * session state machine (server/rm_signal.c, rm_join.c, room_manager.c).
 *
 * Input: a script of operations on a room of three participants (see
 * fuzz_rm.h), each one byte of opcode then its arguments:
 *   0-3  message: slot byte, length (2 bytes), that many bytes of a
 *        serialized SignalRequest handed to rm_signal_message
 *   4    time: 2 bytes of milliseconds to advance, then rm_tick
 *   5    lost: slot byte; the signal connection of that slot goes away
 *   6    active: slot byte; its peer connection came up
 *   7    join: slot byte, length, bytes of a JoinRequest (empty: none) with
 *        which that slot joins again (replacing its current connection)
 * Unused slots are skipped.  The room manager is created and freed per input. */
#include "fuzz/fuzz_rm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_rm_start();
    struct fuzz_in in = {data, size};
    for (int ops = 0; in.n && ops < 256; ops++) {
        uint8_t op = fuzz_u8(&in) & 7;
        int i = op == 4 ? 0 : fuzz_u8(&in) % FUZZ_SLOTS;
        struct fuzz_slot *s = &F.s[i];
        size_t len;
        const uint8_t *b;
        switch (op) {
        case 4:
            F.now += fuzz_u16(&in);
            rm_tick(F.rm, F.now);
            break;
        case 5:
            if (s->p)
                rm_signal_lost(F.rm, s->p, F.now);
            s->p = NULL;
            break;
        case 6:
            if (s->p)
                rm_participant_active(F.rm, s->p);
            break;
        case 7: {
            b = fuzz_bytes(&in, 65536, &len);
            Livekit__JoinRequest *req = len ? livekit__join_request__unpack(NULL, len, b) : NULL;
            fuzz_join(i, req);
            break;
        }
        default:
            b = fuzz_bytes(&in, 65536, &len);
            if (s->p)
                rm_signal_message(F.rm, s->p, b, len, F.now);
            break;
        }
    }
    rm_tick(F.rm, F.now + 60000);
    fuzz_rm_stop();
    return 0;
}
