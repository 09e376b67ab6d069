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

const char *log_level_name(int level)
{
    return level >= LOG_LVL_DEBUG && level <= LOG_LVL_ERROR ? level_names[level] : "off";
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

static void json_escape_n(FILE *f, const char *s, size_t n)
{
    for (const char *end = s + n; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void json_escape(FILE *f, const char *s)
{
    json_escape_n(f, s, strlen(s));
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* A quote at p closes a quoted value when the text ends after it or the next
 * `key=` follows it. */
static bool closes_value(const char *p)
{
    if (!p[1])
        return true;
    if (p[1] != ' ')
        return false;
    const char *t = p + 2;
    while (is_key_char(*t))
        t++;
    return t > p + 2 && *t == '=';
}

/* An integer JSON can carry as a number: -?(0|[1-9][0-9]*), at most 18 digits. */
static bool is_json_int(const char *v, size_t n)
{
    size_t i = n > 0 && v[0] == '-';
    if (i == n || n - i > 18 || (v[i] == '0' && n - i > 1))
        return false;
    for (; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

static void json_member(FILE *f, const char *k, size_t klen, const char *v, size_t vlen, bool quoted)
{
    static const char *const reserved[] = {"ts", "level", "mod", "msg", "fields"};
    const char *prefix = "";
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == klen && !strncmp(k, reserved[i], klen))
            prefix = "field_";
    fprintf(f, ",\"%s%.*s\":", prefix, (int)klen, k);
    if (!quoted && is_json_int(v, vlen)) {
        fprintf(f, "%.*s", (int)vlen, v);
        return;
    }
    fputc('"', f);
    json_escape_n(f, v, vlen);
    fputc('"', f);
}

/* Writes the `key=value key="quoted value"` text as JSON members (f NULL:
 * only checks).  Returns false if the text does not have that shape. */
static bool json_fields(FILE *f, const char *s)
{
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        const char *k = s;
        while (is_key_char(*s))
            s++;
        size_t klen = (size_t)(s - k);
        if (klen == 0 || *s != '=')
            return false;
        const char *v = ++s;
        bool quoted = *s == '"';
        if (quoted) {
            const char *q = s + 1;
            while (*q && !(*q == '"' && closes_value(q)))
                q++;
            if (!*q)
                return false;
            v = s + 1;
            s = q + 1;
        } else {
            while (*s && *s != ' ')
                s++;
        }
        size_t vlen = (size_t)(s - v) - (quoted ? 1 : 0);
        if (f)
            json_member(f, k, klen, v, vlen, quoted);
    }
    return true;
}

/* Text lines stay one line: control characters are written escaped. */
static void text_clean(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
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
    const char *lname = log_level_name(lvl);
    flockfile(stderr);
    if (log_json) {
        fputs("{", stderr);
        if (log_timestamps)
            fprintf(stderr, "\"ts\":\"%s\",", ts);
        fprintf(stderr, "\"level\":\"%s\",\"mod\":\"%s\",\"msg\":\"", lname, mod);
        json_escape(stderr, msg);
        fputc('"', stderr);
        if (buf[0] && json_fields(NULL, buf)) {
            json_fields(stderr, buf);
        } else if (buf[0]) {
            fputs(",\"fields\":\"", stderr);
            json_escape(stderr, buf);
            fputc('"', stderr);
        }
        fputs("}\n", stderr);
    } else {
        if (log_timestamps)
            fprintf(stderr, "ts=%s ", ts);
        fprintf(stderr, "level=%s mod=%s msg=\"", lname, mod);
        text_clean(stderr, msg);
        fputs(buf[0] ? "\" " : "\"", stderr);
        text_clean(stderr, buf);
        fputc('\n', stderr);
    }
    funlockfile(stderr);
}
