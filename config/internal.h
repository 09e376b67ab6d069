/* internal.h: helpers shared by config/config.c, config/yaml.c and
 * config/cli.c.  Not part of the module's API: only config/ includes it.
 *
 * Key lists built here are owned by the caller (config_keys_free).  Parsers
 * return 0 or -1 and never log; callers turn -1 into a DC_ECONFIG message. */
#ifndef DC_CONFIG_INTERNAL_H
#define DC_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* snprintf into err (no-op when errlen is 0); returns DC_ECONFIG. */
int config_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes s (len bytes) into out as a quoted, escaped, possibly shortened
 * string: "abc", "a\x01b", "very long...".  Never prints more than ~48 chars. */
void config_quote(char *out, size_t outlen, const char *s, size_t len);

/* Decimal integer in [min, max]; no sign, spaces or trailing junk. */
int config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A UDP port "N" or a LiveKit range "N-M" (then *is_range is set and *out = N). */
int config_parse_udp_port(const char *s, int *out, bool *is_range);
/* An IPv4 or IPv6 literal. */
bool config_ip_valid(const char *s);
/* rtc.node_ip: one IP literal or "v4,v6". */
bool config_node_ip_valid(const char *s);

void config_keys_free(struct config_key *keys, size_t n);
/* Adds or replaces key -> secret in *keys (copies both strings). */
void config_keys_put(struct config_key **keys, size_t *n, const char *key, const char *secret);
/* Parses a YAML document that is a map of key -> secret (--keys, LIVEKIT_KEYS,
 * key_file).  On success *keys and *n hold the new list (an empty document gives
 * none).  Messages name `source` and the line. */
int config_keys_from_yaml(const char *text, size_t len, const char *source, struct config_key **keys,
                          size_t *n, char *err, size_t errlen);

#endif
