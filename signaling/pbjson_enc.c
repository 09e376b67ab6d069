/* pbjson_enc.c: protobuf-c messages -> proto3 JSON text (pbjson_encode).
 *
 * Writes the JSON text directly rather than through a jansson tree, so that
 * field order, number formatting (shortest round-trip form of floats) and the
 * repair of invalid UTF-8 are under our control. */
#include "signaling/pbjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/util.h"
#include "signaling/pbjson_internal.h"

struct jbuf {
    char *p;
    size_t len, cap;
};

static void jb_reserve(struct jbuf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t c = b->cap ? b->cap : 256;
    while (c < b->len + n + 1)
        c *= 2;
    b->p = util_realloc(b->p, c);
    b->cap = c;
}

static void jb_putn(struct jbuf *b, const char *s, size_t n)
{
    jb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_puts(struct jbuf *b, const char *s)
{
    jb_putn(b, s, strlen(s));
}

static void jb_putc(struct jbuf *b, char c)
{
    jb_putn(b, &c, 1);
}

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        jb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of the valid UTF-8 sequence at `s` (NUL-terminated), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], cp, min;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void jb_string(struct jbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    jb_putc(b, '"');
    while (*s) {
        unsigned c = *s;
        size_t n = 1;
        if (c == '"' || c == '\\') {
            jb_putc(b, '\\');
            jb_putc(b, (char)c);
        } else if (c < 0x20) {
            const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                            : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (esc)
                jb_puts(b, esc);
            else
                jb_printf(b, "\\u%04x", c);
        } else if ((n = utf8_seq(s)) == 0) {
            jb_puts(b, "\\ufffd");
            n = 1;
        } else {
            jb_putn(b, (const char *)s, n);
        }
        s += n;
    }
    jb_putc(b, '"');
}

/* Shortest decimal form that reads back as the same value. */
static void jb_real(struct jbuf *b, double v, bool is_float)
{
    if (isnan(v)) {
        jb_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        jb_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        double back = strtod(tmp, NULL);
        if (is_float ? (float)back == (float)v : back == v)
            break;
    }
    jb_puts(b, tmp);
}

static void jb_bytes(struct jbuf *b, const ProtobufCBinaryData *bd)
{
    size_t len = bd->data ? bd->len : 0;
    size_t n = b64_encoded_len(len, true);
    jb_reserve(b, n + 2);
    b->p[b->len++] = '"';
    b64_encode(bd->data, len, b->p + b->len, false, true);
    b->len += n;
    jb_putc(b, '"');
}

static void jb_key(struct jbuf *b, const char *name, int flags, bool *first)
{
    if (!*first)
        jb_putc(b, ',');
    *first = false;
    jb_putc(b, '"');
    if (flags & PBJSON_PROTO_NAMES) {
        jb_puts(b, name);
    } else {
        bool up = false;
        for (; *name; name++) {
            char ch = pbjson_camel_step(*name, &up);
            if (ch)
                jb_putc(b, ch);
        }
    }
    jb_puts(b, "\":");
}

static int enc_message(struct jbuf *b, const ProtobufCMessage *m, int flags, int depth);

/* Encodes the value stored at `p` (one element for repeated fields). */
static int enc_value(struct jbuf *b, const ProtobufCFieldDescriptor *f, const void *p, int flags,
                     int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        jb_printf(b, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        jb_printf(b, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        jb_printf(b, "\"%" PRId64 "\"", *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        jb_printf(b, "\"%" PRIu64 "\"", *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        jb_real(b, *(const float *)p, true);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        jb_real(b, *(const double *)p, false);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        jb_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = *(const int32_t *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev)
            jb_string(b, ev->name);
        else
            jb_printf(b, "%" PRId32, v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        jb_string(b, s ? s : "");
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        jb_bytes(b, p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (!sub) {
            jb_puts(b, "{}");
            break;
        }
        return enc_message(b, sub, flags, depth + 1);
    }
    default:
        return -1;
    }
    return 0;
}

static int enc_map_entry(struct jbuf *b, const ProtobufCMessageDescriptor *e,
                         const ProtobufCMessage *en, int flags, int depth)
{
    const ProtobufCFieldDescriptor *kf = &e->fields[0], *vf = &e->fields[1];
    if (!en)
        return -1;
    const void *kp = pbjson_member(en, kf->offset);
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        enc_value(b, kf, kp, flags, depth); /* already quoted */
        break;
    default:
        jb_putc(b, '"');
        enc_value(b, kf, kp, flags, depth);
        jb_putc(b, '"');
        break;
    }
    jb_putc(b, ':');
    return enc_value(b, vf, pbjson_member(en, vf->offset), flags, depth);
}

static int enc_repeated(struct jbuf *b, const ProtobufCMessageDescriptor *d,
                        const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, int flags,
                        int depth)
{
    size_t n = *(const size_t *)pbjson_member(m, f->quantifier_offset);
    const char *arr = *(char *const *)pbjson_member(m, f->offset);
    const ProtobufCMessageDescriptor *e = pbjson_map_entry(d, f);
    size_t sz = pbjson_elt_size(f->type);
    if (!arr)
        n = 0;
    jb_putc(b, e ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            jb_putc(b, ',');
        const void *p = arr + i * sz;
        int rc = e ? enc_map_entry(b, e, *(ProtobufCMessage *const *)p, flags, depth + 1)
                   : enc_value(b, f, p, flags, depth);
        if (rc)
            return -1;
    }
    jb_putc(b, e ? '}' : ']');
    return 0;
}

static bool is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)p == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)p == 0;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)p;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    default:
        return pbjson_elt_size(f->type) == 8 ? *(const uint64_t *)p == 0 : *(const uint32_t *)p == 0;
    }
}

/* Whether a singular field appears in the output (same rules as packing). */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int flags)
{
    const void *p = pbjson_member(m, f->offset);
    bool ptr_type = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*(const uint32_t *)pbjson_member(m, f->quantifier_offset) != f->id)
            return false;
        return !ptr_type || (*(void *const *)p != NULL && *(void *const *)p != f->default_value);
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)p != NULL;
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return true;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
        return ptr_type ? *(void *const *)p != NULL
                        : *(const protobuf_c_boolean *)pbjson_member(m, f->quantifier_offset);
    return (flags & PBJSON_EMIT_DEFAULTS) || !is_zero(f, p);
}

static int enc_message(struct jbuf *b, const ProtobufCMessage *m, int flags, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (depth > PBJSON_MAX_DEPTH || !d || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return -1;
    bool first = true;
    jb_putc(b, '{');
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int rc;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (*(const size_t *)pbjson_member(m, f->quantifier_offset) == 0 &&
                !(flags & PBJSON_EMIT_DEFAULTS))
                continue;
            jb_key(b, f->name, flags, &first);
            rc = enc_repeated(b, d, f, m, flags, depth);
        } else {
            if (!field_present(m, f, flags))
                continue;
            jb_key(b, f->name, flags, &first);
            rc = enc_value(b, f, pbjson_member(m, f->offset), flags, depth);
        }
        if (rc)
            return -1;
    }
    jb_putc(b, '}');
    return 0;
}

char *pbjson_encode(const ProtobufCMessage *msg, int flags)
{
    if (!msg)
        return NULL;
    struct jbuf b = { 0 };
    if (enc_message(&b, msg, flags, 1) != 0) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

