#include "signaling/query.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Decodes s[0..n) into `out` (room for n+1 bytes). Returns false on a
 * malformed escape or a decoded NUL. */
static bool pct_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < n ? util_hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? util_hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0')
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

char *query_get(const char *query, const char *name)
{
    return query_get_nth(query, name, 0);
}

char *query_get_nth(const char *query, const char *name, unsigned nth)
{
    if (!query || !name)
        return NULL;
    if (*query == '?')
        query++;
    size_t name_len = strlen(name);
    const char *p = query;
    while (*p) {
        size_t pair_len = strcspn(p, "&");
        const char *eq = memchr(p, '=', pair_len);
        size_t key_len = eq ? (size_t)(eq - p) : pair_len;
        if (pair_len > 0) {
            char *key = util_malloc(key_len + 1);
            bool match = pct_decode(p, key_len, key) && strlen(key) == name_len &&
                         memcmp(key, name, name_len) == 0;
            free(key);
            if (match) {
                const char *v = eq ? eq + 1 : p + pair_len;
                size_t v_len = (size_t)(p + pair_len - v);
                char *val = util_malloc(v_len + 1);
                if (pct_decode(v, v_len, val) && nth-- == 0)
                    return val;
                free(val);
            }
        }
        p += pair_len;
        if (*p == '&')
            p++;
    }
    return NULL;
}
