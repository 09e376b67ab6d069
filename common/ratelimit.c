/* ratelimit.c: per-address token buckets in an open-addressing table
 * (linear probing, at most half full); see common/ratelimit.h. */
#include "common/ratelimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/util.h"

#define MILLI 1000u /* bucket levels are kept in thousandths of a token */

struct rl_entry {
    uint64_t tokens;  /* thousandths of a token */
    uint64_t last_ms; /* when tokens was last brought up to date */
    uint8_t key[8];
    uint8_t len;      /* 0: free slot */
};

struct ratelimit {
    uint32_t rate;
    size_t max, n, mask;
    struct rl_entry *slots;
    uint64_t seed;
    uint64_t untracked;
    uint64_t swept_ms;
    bool swept;
};

/* The table key of sa's address: 4 bytes (IPv4) or 8 (an IPv6 /64), 0 if
 * the family is neither. */
static size_t addr_key(const struct sockaddr *sa, uint8_t key[8])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (!memcmp(a, mapped, sizeof mapped)) {
        memcpy(key, a + 12, 4);
        return 4;
    }
    memcpy(key, a, 8);
    return 8;
}

struct ratelimit *ratelimit_new(uint32_t rate, size_t max_addrs)
{
    if (rate == 0)
        return NULL;
    struct ratelimit *rl = util_calloc(1, sizeof *rl);
    rl->rate = rate;
    rl->max = max_addrs ? max_addrs : 1;
    size_t cap = 4;
    while (cap < 2 * rl->max)
        cap *= 2;
    rl->mask = cap - 1;
    rl->slots = util_calloc(cap, sizeof *rl->slots);
    util_random_bytes(&rl->seed, sizeof rl->seed);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    free(rl->slots);
    free(rl);
}

/* The slot holding key, or the free slot where it would go. */
static struct rl_entry *slot_for(struct ratelimit *rl, const uint8_t *key, size_t len)
{
    size_t i = (size_t)hmap_hash(rl->seed, key, len) & rl->mask;
    for (;;) {
        struct rl_entry *e = &rl->slots[i];
        if (!e->len || (e->len == len && !memcmp(e->key, key, len)))
            return e;
        i = (i + 1) & rl->mask;
    }
}

/* Brings e's bucket up to now: `rate` tokens per 1000 ms, up to `rate`. */
static void refill(const struct ratelimit *rl, struct rl_entry *e, uint64_t now_ms)
{
    uint64_t full = (uint64_t)rl->rate * MILLI;
    if (now_ms > e->last_ms) {
        uint64_t dt = now_ms - e->last_ms;
        e->tokens = dt >= MILLI ? full : e->tokens + dt * rl->rate;
        if (e->tokens > full)
            e->tokens = full;
    }
    e->last_ms = now_ms;
}

/* Drops every entry whose bucket is full again, by rebuilding the table. */
static void sweep(struct ratelimit *rl, uint64_t now_ms)
{
    struct rl_entry *old = rl->slots;
    size_t cap = rl->mask + 1;
    rl->slots = util_calloc(cap, sizeof *rl->slots);
    rl->n = 0;
    for (size_t i = 0; i < cap; i++) {
        struct rl_entry *e = &old[i];
        if (!e->len)
            continue;
        refill(rl, e, now_ms);
        if (e->tokens >= (uint64_t)rl->rate * MILLI)
            continue;
        *slot_for(rl, e->key, e->len) = *e;
        rl->n++;
    }
    free(old);
    rl->swept = true;
    rl->swept_ms = now_ms;
}

bool ratelimit_allow(struct ratelimit *rl, const struct sockaddr *sa, uint64_t now_ms)
{
    uint8_t key[8];
    size_t len = rl && sa ? addr_key(sa, key) : 0;
    if (!len)
        return true;
    struct rl_entry *e = slot_for(rl, key, len);
    if (!e->len) {
        if (rl->n >= rl->max) {
            if (!rl->swept || now_ms - rl->swept_ms >= RATELIMIT_SWEEP_MS || now_ms < rl->swept_ms)
                sweep(rl, now_ms);
            if (rl->n >= rl->max) {
                rl->untracked++;
                return true;
            }
            e = slot_for(rl, key, len);
        }
        memcpy(e->key, key, len);
        e->len = (uint8_t)len;
        e->tokens = (uint64_t)rl->rate * MILLI;
        e->last_ms = now_ms;
        rl->n++;
    }
    refill(rl, e, now_ms);
    if (e->tokens < MILLI)
        return false;
    e->tokens -= MILLI;
    return true;
}

size_t ratelimit_size(const struct ratelimit *rl)
{
    return rl ? rl->n : 0;
}

uint64_t ratelimit_untracked(const struct ratelimit *rl)
{
    return rl ? rl->untracked : 0;
}
