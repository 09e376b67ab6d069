/* log.h: leveled logging to stderr, one line per event.
 *
 * Lines look like `ts=... level=info mod=http msg="..." key=value ...`
 * (control characters escaped, so an event is always one line) or, with JSON
 * enabled, one JSON object per line: {"ts":..,"level":..,"mod":..,"msg":..}
 * plus one member per field (`key=value` and `key="quoted value"`; integers
 * become JSON numbers, other values strings; a field named like one of the
 * fixed members gets the prefix "field_").  Fields that do not parse as
 * key=value pairs go into one "fields" string instead.  `ts` is RFC 3339 UTC
 * with milliseconds and is left out under systemd (JOURNAL_STREAM set), whose
 * journal stamps lines itself.  The level is checked before any formatting
 * happens (the macros below).  Never pass tokens, secrets, query strings or
 * Authorization headers. */
#ifndef DC_LOG_H
#define DC_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR, LOG_LVL_OFF };

extern enum log_level log_current_level;

void log_configure(enum log_level level, bool json);
/* Parses "debug", "info", "warn"/"warning", "error"; returns -1 if unknown. */
int log_level_parse(const char *s);
/* "debug", "info", "warn", "error", or "off" for anything else. */
const char *log_level_name(int level);
/* `fields` is a printf format producing `key=value` pairs (may be NULL). */
void log_emit(enum log_level lvl, const char *mod, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG_AT(lvl, mod, msg, ...)                          \
    do {                                                    \
        if ((lvl) >= log_current_level)                     \
            log_emit((lvl), (mod), (msg), __VA_ARGS__);     \
    } while (0)
#define LOGD(mod, msg, ...) LOG_AT(LOG_LVL_DEBUG, mod, msg, __VA_ARGS__)
#define LOGI(mod, msg, ...) LOG_AT(LOG_LVL_INFO, mod, msg, __VA_ARGS__)
#define LOGW(mod, msg, ...) LOG_AT(LOG_LVL_WARN, mod, msg, __VA_ARGS__)
#define LOGE(mod, msg, ...) LOG_AT(LOG_LVL_ERROR, mod, msg, __VA_ARGS__)

#endif
