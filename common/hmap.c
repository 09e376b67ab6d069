#include "common/hmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct hmap_node {
    struct hmap_node *next;
    uint64_t hash;
    void *value;
    size_t len;
    uint8_t key[];
};

uint64_t hmap_hash(uint64_t seed, const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

void hmap_init(struct hmap *m)
{
    memset(m, 0, sizeof *m);
    util_random_bytes(&m->seed, sizeof m->seed);
}

void hmap_free(struct hmap *m)
{
    for (size_t i = 0; i < m->n_buckets; i++) {
        struct hmap_node *n = m->buckets[i];
        while (n) {
            struct hmap_node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->n_buckets = m->n = 0;
}

static struct hmap_node **find(const struct hmap *m, const void *key, size_t len, uint64_t h)
{
    if (!m->n_buckets)
        return NULL;
    struct hmap_node **pp = &m->buckets[h & (m->n_buckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && (*pp)->len == len && !memcmp((*pp)->key, key, len))
            return pp;
    return pp;
}

static void grow(struct hmap *m)
{
    size_t nb = m->n_buckets ? m->n_buckets * 2 : 16;
    struct hmap_node **b = util_calloc(nb, sizeof *b);
    for (size_t i = 0; i < m->n_buckets; i++) {
        struct hmap_node *n = m->buckets[i];
        while (n) {
            struct hmap_node *next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = nb;
}

void hmap_put(struct hmap *m, const void *key, size_t len, void *value)
{
    uint64_t h = hmap_hash(m->seed, key, len);
    struct hmap_node **pp = find(m, key, len, h);
    if (pp && *pp) {
        (*pp)->value = value;
        return;
    }
    if (m->n >= m->n_buckets)
        grow(m);
    struct hmap_node *n = util_malloc(sizeof *n + len);
    n->hash = h;
    n->value = value;
    n->len = len;
    memcpy(n->key, key, len);
    n->next = m->buckets[h & (m->n_buckets - 1)];
    m->buckets[h & (m->n_buckets - 1)] = n;
    m->n++;
}

void *hmap_get(const struct hmap *m, const void *key, size_t len)
{
    struct hmap_node **pp = find(m, key, len, hmap_hash(m->seed, key, len));
    return pp && *pp ? (*pp)->value : NULL;
}

void *hmap_del(struct hmap *m, const void *key, size_t len)
{
    struct hmap_node **pp = find(m, key, len, hmap_hash(m->seed, key, len));
    if (!pp || !*pp)
        return NULL;
    struct hmap_node *n = *pp;
    void *v = n->value;
    *pp = n->next;
    free(n);
    m->n--;
    return v;
}
