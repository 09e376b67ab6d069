/* hmap.h: a hash map from byte-string keys to pointers (routing tables:
 * ICE ufrag -> peer, UDP address -> peer, identity -> participant).
 *
 * The map copies keys and does not own values.  Hashing is seeded per map
 * from the system RNG, so remote peers cannot choose colliding keys in
 * advance.  Chained buckets; the table doubles when the load passes 1. */
#ifndef DC_HMAP_H
#define DC_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_node;

struct hmap {
    struct hmap_node **buckets;
    size_t n_buckets, n;
    uint64_t seed;
};

/* The seeded hash of the map (FNV-1a with a final mix), for other tables
 * keyed by outside input (common/ratelimit.c). */
uint64_t hmap_hash(uint64_t seed, const void *key, size_t len);

void hmap_init(struct hmap *m);
void hmap_free(struct hmap *m);
/* Sets key -> value, replacing any previous value. */
void hmap_put(struct hmap *m, const void *key, size_t len, void *value);
void *hmap_get(const struct hmap *m, const void *key, size_t len);
/* Removes the key; returns its value or NULL. */
void *hmap_del(struct hmap *m, const void *key, size_t len);

#endif
