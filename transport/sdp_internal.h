/* sdp_internal.h: helpers shared by sdp.c (offer parser) and sdp_answer.c
 * (answer builder, candidate parser).  Not part of the module's API. */
#ifndef DC_SDP_INTERNAL_H
#define DC_SDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Next run of non-space characters at *s; advances *s past it.  Returns the
 * start and sets *n, or NULL when only spaces are left. */
const char *sdp_tok(const char **s, size_t *n);
/* Decimal digits only (1..20 of them), value <= max. */
bool sdp_num(const char *s, size_t n, uint64_t max, uint64_t *out);
/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839), length in [min, max]. */
bool sdp_ice_chars(const char *s, size_t min, size_t max);
/* Case-insensitive comparison of s[0..n) with the NUL-terminated word. */
bool sdp_word_eq(const char *s, size_t n, const char *word);

#endif
