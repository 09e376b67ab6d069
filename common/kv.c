#include "common/kv.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void kv_init(struct kv *m)
{
    memset(m, 0, sizeof *m);
}

void kv_free(struct kv *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].key);
        free(m->items[i].value);
    }
    free(m->items);
    kv_init(m);
}

static struct kv_pair *kv_find(const struct kv *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->items[i].key, key))
            return &m->items[i];
    return NULL;
}

void kv_set(struct kv *m, const char *key, const char *value)
{
    struct kv_pair *p = kv_find(m, key);
    if (p) {
        char *v = util_strdup(value);
        free(p->value);
        p->value = v;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->items = util_realloc(m->items, m->cap * sizeof *m->items);
    }
    m->items[m->n].key = util_strdup(key);
    m->items[m->n].value = util_strdup(value);
    m->n++;
}

const char *kv_get(const struct kv *m, const char *key)
{
    struct kv_pair *p = kv_find(m, key);
    return p ? p->value : NULL;
}

int kv_del(struct kv *m, const char *key)
{
    struct kv_pair *p = kv_find(m, key);
    if (!p)
        return 0;
    free(p->key);
    free(p->value);
    size_t i = (size_t)(p - m->items);
    memmove(&m->items[i], &m->items[i + 1], (m->n - i - 1) * sizeof *p);
    m->n--;
    return 1;
}

void kv_copy(struct kv *dst, const struct kv *src)
{
    kv_free(dst);
    for (size_t i = 0; i < src->n; i++)
        kv_set(dst, src->items[i].key, src->items[i].value);
}

size_t kv_bytes(const struct kv *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += strlen(m->items[i].key) + strlen(m->items[i].value);
    return n;
}
