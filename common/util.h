/* util.h: small helpers shared by every module: random ids, clock, strings.
 *
 * util_random_bytes uses getrandom(2), or util_random_source when a test or
 * fuzz target sets it (deterministic runs; never set in the server).  util_new_sid writes `prefix` followed
 * by 12 characters of [A-Za-z0-9] (LiveKit's id format: RM_, PA_, EV_ ...).
 * util_now_ms/util_wall_ms read clocks and are only for server/ glue code:
 * protocol cores take the time as an argument. */
#ifndef DC_UTIL_H
#define DC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_SID_MAX 24

void util_random_bytes(void *buf, size_t n);
extern void (*util_random_source)(void *buf, size_t n); /* NULL: getrandom(2) */
void util_new_sid(char out[UTIL_SID_MAX], const char *prefix);
uint64_t util_now_ms(void);  /* monotonic */
int64_t util_wall_ms(void);  /* unix epoch milliseconds */
/* strdup that returns NULL for NULL and never fails silently (aborts on OOM). */
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);
void *util_malloc(size_t n);
void *util_calloc(size_t n, size_t sz);
void *util_realloc(void *p, size_t n);
/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). */
bool util_utf8_valid(const uint8_t *s, size_t n);
/* Value of one hex digit, or -1. */
int util_hexval(char c);
/* Constant-time comparison of two byte strings of equal length. */
bool util_ct_equal(const void *a, const void *b, size_t n);

#endif
