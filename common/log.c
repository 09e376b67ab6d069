#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum log_level log_current_level = LOG_LVL_INFO;
static bool log_json;
static bool log_timestamps = true;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_configure(enum log_level level, bool json)
{
    log_current_level = level;
    log_json = json;
    /* The journal stamps lines itself. */
    log_timestamps = getenv("JOURNAL_STREAM") == NULL;
}

int log_level_parse(const char *s)
{
    if (!s)
        return -1;
    if (!strcasecmp(s, "debug"))
        return LOG_LVL_DEBUG;
    if (!strcasecmp(s, "info"))
        return LOG_LVL_INFO;
    if (!strcasecmp(s, "warn") || !strcasecmp(s, "warning"))
        return LOG_LVL_WARN;
    if (!strcasecmp(s, "error"))
        return LOG_LVL_ERROR;
    return -1;
}

static void format_time(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void log_emit(enum log_level lvl, const char *mod, const char *msg, const char *fields, ...)
{
    char buf[1024] = "";
    if (fields) {
        va_list ap;
        va_start(ap, fields);
        vsnprintf(buf, sizeof buf, fields, ap);
        va_end(ap);
    }
    char ts[40] = "";
    if (log_timestamps)
        format_time(ts, sizeof ts);
    const char *lname = lvl <= LOG_LVL_ERROR ? level_names[lvl] : "off";
    flockfile(stderr);
    if (log_json) {
        fputs("{", stderr);
        if (log_timestamps)
            fprintf(stderr, "\"ts\":\"%s\",", ts);
        fprintf(stderr, "\"level\":\"%s\",\"mod\":\"%s\",\"msg\":\"", lname, mod);
        json_escape(stderr, msg);
        fputs("\",\"fields\":\"", stderr);
        json_escape(stderr, buf);
        fputs("\"}\n", stderr);
    } else {
        if (log_timestamps)
            fprintf(stderr, "ts=%s ", ts);
        fprintf(stderr, "level=%s mod=%s msg=\"%s\"%s%s\n", lname, mod, msg, buf[0] ? " " : "", buf);
    }
    funlockfile(stderr);
}
