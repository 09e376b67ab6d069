/* data.c: fuzz target for DataPacket forwarding (server/rm_data.c).
 *
 * Input: a script of operations on a room of three participants with both
 * data channels open (see fuzz_rm.h), each one byte of opcode then its
 * arguments:
 *   0-3  packet: slot byte, kind byte (bit 0: lossy), length (2 bytes), that
 *        many bytes received on the slot's data channel
 *   4    channel: slot byte, then a byte: bit 0 kind, bit 1 open
 *   5    sender: a byte; bits 0-1 choose what send_data returns from now on
 *        (0, DC_EAGAIN, DC_ECLOSED, DC_ETOOBIG), bit 2 turns batched sends
 *        (rm->batch_sends, flushed by rm_data_flush) on or off
 *   6    writable: slot byte; its channels have room again, then the end of
 *        a loop turn (rm_data_flush)
 *   7    SendData: length and bytes of a serialized SendDataRequest, sent
 *        to room "r" as RoomService would
 * Every packet handed to a receiver must unpack as a DataPacket. */
#include "fuzz/fuzz_rm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_rm_start();
    for (int i = 0; i < FUZZ_SLOTS; i++) {
        if (!F.s[i].p)
            __builtin_trap();
        rm_participant_active(F.rm, F.s[i].p);
        rm_data_channel_state(F.rm, F.s[i].p, 0, true);
        rm_data_channel_state(F.rm, F.s[i].p, 1, true);
    }
    static const int results[] = {0, DC_EAGAIN, DC_ECLOSED, DC_ETOOBIG};
    struct fuzz_in in = {data, size};
    for (int ops = 0; in.n && ops < 512; ops++) {
        uint8_t op = fuzz_u8(&in) & 7;
        int i = op == 5 || op == 7 ? 0 : fuzz_u8(&in) % FUZZ_SLOTS;
        struct participant *p = F.s[i].p;
        size_t len;
        const uint8_t *b;
        switch (op) {
        case 4: {
            uint8_t a = fuzz_u8(&in);
            rm_data_channel_state(F.rm, p, a & 1, (a & 2) != 0);
            break;
        }
        case 5: {
            uint8_t a = fuzz_u8(&in);
            F.send_result = results[a & 3];
            F.rm->batch_sends = (a & 4) != 0;
            break;
        }
        case 6:
            rm_data_writable(F.rm, p);
            rm_data_flush(F.rm);
            break;
        case 7: {
            b = fuzz_bytes(&in, 65536, &len);
            Livekit__SendDataRequest *req = livekit__send_data_request__unpack(NULL, len, b);
            struct room *r = rm_room_find(F.rm, "r");
            if (req && r)
                rm_data_send_request(F.rm, r, req);
            if (req)
                livekit__send_data_request__free_unpacked(req, NULL);
            break;
        }
        default: {
            int kind = fuzz_u8(&in) & 1;
            b = fuzz_bytes(&in, 65536, &len);
            rm_data_received(F.rm, p, kind, b, len);
            break;
        }
        }
    }
    rm_data_flush(F.rm);
    /* Bounded memory: the reliable queues never exceed their limits. */
    if (rm_queued_now(F.rm) > F.rm->queue_max_msgs * FUZZ_SLOTS)
        __builtin_trap();
    fuzz_rm_stop();
    return 0;
}
