/* Wrapper around usrsctp's globals; see dep_usrsctp.h.  usrsctp.h is
 * included here and by the association (transport/sctp_internal.h), nowhere
 * else. */
#include "transport/dep_usrsctp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <usrsctp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

/* The library declares this only when built with SCTP_DEBUG, but exports it. */
int usrsctp_sysctl_set_sctp_debug_on(uint32_t value);

/* Chunks an association may hold queued (usrsctp's default is 512, which
 * makes a burst of small messages fail with EWOULDBLOCK long before the
 * send buffer is full). */
#define MAX_CHUNKS_ON_QUEUE 8192

/* Retransmission timer, in ms.  usrsctp's defaults (initial 3 s, minimum
 * 1 s, maximum 60 s) suit long-lived transfers on slow paths; with random
 * loss of 20-30 % its doubling timer reaches tens of seconds and a data
 * channel stalls.  WebRTC's own SCTP (dcSCTP) starts at 500 ms with a
 * 400 ms floor (above the peer's 200 ms delayed SACK) and libwebrtc caps
 * the back-off at a few seconds; these follow it. */
#define RTO_INITIAL_MS 1000
#define RTO_MIN_MS 400
#define RTO_MAX_MS 1000
/* Consecutive retransmissions before the association (or its only path) is
 * given up.  At RTO_MAX_MS the default 10 ends it after about 25 s of
 * total silence; the ICE consent timeout (30 s) ends a vanished peer
 * anyway, so a lossy but live path is allowed more. */
#define ASSOC_RTX_MAX 20
#define PATH_RTX_MAX 20

struct reg_slot {
    uintptr_t id; /* 0: empty */
    void *obj;
    dep_usrsctp_output_fn out;
};

static struct {
    unsigned refs;
    bool initialized;
    bool shut_down; /* usrsctp_finish done: no second life (see header) */
    bool have_time;
    uint64_t last_ms;
    unsigned in_output;
    uintptr_t next_id;
    struct reg_slot *slots;
    size_t cap, count; /* cap is a power of two, or 0 */
} g;

/* ---- registry: open addressing, linear probing, backward-shift delete ---- */

static size_t slot_of(uintptr_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

static struct reg_slot *reg_find(uintptr_t id)
{
    if (!id || !g.cap)
        return NULL;
    for (size_t i = slot_of(id, g.cap);; i = (i + 1) & (g.cap - 1)) {
        if (g.slots[i].id == id)
            return &g.slots[i];
        if (!g.slots[i].id)
            return NULL;
    }
}

static void reg_put(struct reg_slot s)
{
    size_t i = slot_of(s.id, g.cap);
    while (g.slots[i].id)
        i = (i + 1) & (g.cap - 1);
    g.slots[i] = s;
    g.count++;
}

static void reg_grow(void)
{
    struct reg_slot *old = g.slots;
    size_t oldcap = g.cap;
    g.cap = oldcap ? oldcap * 2 : 64;
    g.slots = util_calloc(g.cap, sizeof *g.slots);
    g.count = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].id)
            reg_put(old[i]);
    free(old);
}

static void reg_delete(struct reg_slot *s)
{
    size_t mask = g.cap - 1, i = (size_t)(s - g.slots), j = i;
    g.slots[i].id = 0;
    g.count--;
    for (;;) {
        j = (j + 1) & mask;
        if (!g.slots[j].id)
            return;
        size_t k = slot_of(g.slots[j].id, g.cap);
        /* Move j back into the hole at i unless its home k lies in (i, j]. */
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            g.slots[i] = g.slots[j];
            g.slots[j].id = 0;
            i = j;
        }
    }
}

/* ---- usrsctp global callbacks -------------------------------------------- */

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
    (void)tos;
    (void)set_df;
    struct reg_slot *s = reg_find((uintptr_t)addr);
    if (!s || !s->out)
        return -1; /* the association is gone: drop the packet */
    g.in_output++;
    s->out(s->obj, buf, len);
    g.in_output--;
    return 0;
}

static void debug_printf(const char *fmt, ...)
{
    if (log_current_level > LOG_LVL_DEBUG)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '"' || *p == '\n')
            *p = '\'';
    LOGD("usrsctp", "debug", "text=\"%s\"", buf);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void lib_init(void)
{
    usrsctp_init_nothreads(0, conn_output, debug_printf);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(MAX_CHUNKS_ON_QUEUE);
    usrsctp_sysctl_set_sctp_rto_initial_default(RTO_INITIAL_MS);
    usrsctp_sysctl_set_sctp_rto_min_default(RTO_MIN_MS);
    usrsctp_sysctl_set_sctp_rto_max_default(RTO_MAX_MS);
    usrsctp_sysctl_set_sctp_init_rto_max_default(RTO_MAX_MS);
    usrsctp_sysctl_set_sctp_assoc_rtx_max_default(ASSOC_RTX_MAX);
    usrsctp_sysctl_set_sctp_path_rtx_max_default(PATH_RTX_MAX);
    g.initialized = true;
    g.have_time = false;
    LOGD("sctp", "usrsctp initialised", NULL);
}

int dep_usrsctp_acquire(void)
{
    if (g.shut_down)
        return DC_ECLOSED;
    if (!g.initialized)
        lib_init();
    g.refs++;
    return 0;
}

void dep_usrsctp_release(void)
{
    if (g.refs > 0)
        g.refs--;
}

unsigned dep_usrsctp_refs(void) { return g.refs; }

bool dep_usrsctp_initialized(void) { return g.initialized; }

/* usrsctp_finish refuses while an endpoint is still listed, and closed
 * endpoints can linger: the iterator thread may hold references on them,
 * and usrsctp frees them on its INPKILL timer, which only our ticks
 * advance.  So: drive the timers, give the iterator time, and retry. */
int dep_usrsctp_shutdown(unsigned max_ms)
{
    if (!g.initialized)
        return 0;
    if (g.refs > 0)
        return DC_EINVAL;
    for (unsigned i = 0; i <= max_ms; i++) {
        if (usrsctp_finish() == 0) {
            g.initialized = false;
            g.shut_down = true;
            free(g.slots);
            g.slots = NULL;
            g.cap = g.count = 0;
            LOGD("sctp", "usrsctp finished", NULL);
            return 0;
        }
        usrsctp_handle_timers(1);
        nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 1000000}, NULL);
    }
    LOGW("sctp", "usrsctp_finish still refused", "waited_ms=%u", max_ms);
    return DC_EAGAIN;
}

uintptr_t dep_usrsctp_register(void *obj, dep_usrsctp_output_fn out)
{
    if ((g.count + 1) * 2 > g.cap)
        reg_grow();
    do {
        g.next_id++;
    } while (g.next_id == 0 || reg_find(g.next_id));
    uintptr_t id = g.next_id;
    reg_put((struct reg_slot){.id = id, .obj = obj, .out = out});
    usrsctp_register_address((void *)id);
    return id;
}

void *dep_usrsctp_lookup(uintptr_t id)
{
    struct reg_slot *s = reg_find(id);
    return s ? s->obj : NULL;
}

void dep_usrsctp_unregister(uintptr_t id)
{
    struct reg_slot *s = reg_find(id);
    if (!s)
        return;
    usrsctp_deregister_address((void *)id);
    reg_delete(s);
}

void dep_usrsctp_tick(uint64_t now_ms)
{
    if (!g.initialized)
        return;
    uint64_t elapsed = g.have_time && now_ms > g.last_ms ? now_ms - g.last_ms : 0;
    g.last_ms = now_ms;
    g.have_time = true;
    if (elapsed > UINT32_MAX)
        elapsed = UINT32_MAX;
    usrsctp_handle_timers((uint32_t)elapsed);
}

void dep_usrsctp_set_debug(bool on)
{
    if (g.initialized)
        usrsctp_sysctl_set_sctp_debug_on(on ? 0xffffffffu : 0);
}

bool dep_usrsctp_in_output(void) { return g.in_output > 0; }
