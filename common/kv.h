/* kv.h: a small ordered string map (participant attributes, room tags).
 *
 * Keys are unique; kv_set replaces the value of an existing key.  The map owns
 * copies of every key and value.  Lookups are linear: maps here hold tens of
 * entries at most. */
#ifndef DC_KV_H
#define DC_KV_H

#include <stddef.h>

struct kv_pair {
    char *key;
    char *value;
};

struct kv {
    struct kv_pair *items;
    size_t n, cap;
};

void kv_init(struct kv *m);
void kv_free(struct kv *m);
void kv_set(struct kv *m, const char *key, const char *value);
const char *kv_get(const struct kv *m, const char *key);
/* Returns 1 if the key was present. */
int kv_del(struct kv *m, const char *key);
void kv_copy(struct kv *dst, const struct kv *src);
/* Sum of key and value lengths (what LiveKit's attribute size limit counts). */
size_t kv_bytes(const struct kv *m);

#endif
