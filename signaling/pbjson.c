/* pbjson.c: proto3 JSON -> protobuf-c messages (decoding), and the descriptor
 * helpers shared with pbjson_enc.c.
 *
 * Decoding parses with jansson and walks the tree against the message
 * descriptor.  Decoded messages are allocated with malloc, the allocator
 * protobuf_c_message_free_unpacked(.., NULL) frees with, and are kept
 * consistent at every step so that a half-built message can be freed the same
 * way when an error stops decoding. */
#include "signaling/pbjson.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/b64.h"
#include "common/util.h"
#include "signaling/pbjson_internal.h"

/* ------------------------------------------------------------ shared */

/* One step of protoc's json_name rule: '_' is dropped and the following
 * ASCII lower-case letter is upper-cased.  Returns 0 for a dropped char. */
char pbjson_camel_step(char ch, bool *up)
{
    if (ch == '_') {
        *up = true;
        return 0;
    }
    if (*up && ch >= 'a' && ch <= 'z')
        ch = (char)(ch - 'a' + 'A');
    *up = false;
    return ch;
}

/* Storage size of one element of a repeated field of type `t`. */
size_t pbjson_elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default: /* 32-bit integers and enums (int-sized in protobuf-c) */
        return sizeof(int32_t);
    }
}

static bool is_map_key_type(ProtobufCType t)
{
    return t != PROTOBUF_C_TYPE_FLOAT && t != PROTOBUF_C_TYPE_DOUBLE && t != PROTOBUF_C_TYPE_ENUM &&
           t != PROTOBUF_C_TYPE_BYTES && t != PROTOBUF_C_TYPE_MESSAGE;
}

/* protobuf-c 1.4 does not mark map entries, so recognise protoc's layout:
 * `repeated <Parent>.<FieldName>Entry` with fields key = 1 and value = 2,
 * where <FieldName> is the field name in CamelCase.  Returns the entry
 * descriptor, or NULL if `f` is not a map field. */
const ProtobufCMessageDescriptor *pbjson_map_entry(const ProtobufCMessageDescriptor *parent,
                                                  const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0 ||
        e->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
        e->fields[1].label == PROTOBUF_C_LABEL_REPEATED || !is_map_key_type(e->fields[0].type))
        return NULL;
    const char *s = e->short_name;
    bool up = true;
    for (const char *n = f->name; *n; n++) {
        char ch = pbjson_camel_step(*n, &up);
        if (ch && *s++ != ch)
            return NULL;
    }
    if (strcmp(s, "Entry") != 0)
        return NULL;
    size_t pl = strlen(parent->name);
    if (strncmp(e->name, parent->name, pl) != 0 || e->name[pl] != '.' ||
        strcmp(e->name + pl + 1, e->short_name) != 0)
        return NULL;
    return e;
}

/* ------------------------------------------------------------ decoding */

static bool camel_eq(const char *name, const char *key, size_t klen)
{
    size_t i = 0;
    bool up = false;
    for (; *name; name++) {
        char ch = pbjson_camel_step(*name, &up);
        if (!ch)
            continue;
        if (i >= klen || key[i] != ch)
            return false;
        i++;
    }
    return i == klen;
}


struct dctx {
    char *err;
    size_t errlen;
    char path[256]; /* dotted path of the field being decoded */
    size_t plen;
};

static int fail(struct dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct dctx *c, const char *fmt, ...)
{
    if (!c->errlen)
        return -1;
    int n = 0;
    if (c->plen)
        n = snprintf(c->err, c->errlen, "field \"%s\": ", c->path);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static size_t path_push(struct dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct dctx *c, const char *fmt, ...)
{
    size_t old = c->plen;
    if (old + 1 < sizeof c->path) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
        va_end(ap);
        c->plen = strlen(c->path);
    }
    return old;
}

static void path_pop(struct dctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* JSON number grammar over s[0..n); *integral is false if it has a fraction
 * or an exponent. */
static bool num_syntax(const char *s, size_t n, bool *integral)
{
    size_t i = 0, st;
    *integral = true;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else {
        for (st = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == st)
            return false;
    }
    if (i < n && s[i] == '.') {
        *integral = false;
        for (st = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == st)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integral = false;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (st = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == st)
            return false;
    }
    return i == n;
}

/* Reads an integral JSON number or numeric string as sign and magnitude. */
static int int_get(struct dctx *c, json_t *v, const char *tname, bool *neg, uint64_t *mag)
{
    double d;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        *neg = x < 0;
        *mag = *neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        return 0;
    }
    if (json_is_real(v)) {
        d = json_real_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool integral;
        if (!num_syntax(s, json_string_length(v), &integral))
            return fail(c, "invalid %s string", tname);
        if (integral) {
            uint64_t m = 0;
            *neg = s[0] == '-';
            for (const char *q = s + *neg; *q; q++) {
                unsigned dg = (unsigned)(*q - '0');
                if (m > (UINT64_MAX - dg) / 10)
                    return fail(c, "integer out of range for %s", tname);
                m = m * 10 + dg;
            }
            *mag = m;
            return 0;
        }
        d = strtod(s, NULL);
    } else {
        return fail(c, "expected number");
    }
    if (isfinite(d) && d != trunc(d))
        return fail(c, "expected integer");
    if (!isfinite(d) || fabs(d) >= 18446744073709551616.0)
        return fail(c, "integer out of range for %s", tname);
    *neg = d < 0;
    *mag = (uint64_t)fabs(d);
    return 0;
}

static int dec_sint(struct dctx *c, json_t *v, int64_t min, int64_t max, const char *tname,
                    int64_t *out)
{
    bool neg;
    uint64_t mag;
    if (int_get(c, v, tname, &neg, &mag))
        return -1;
    if (!neg || mag == 0) {
        if (mag > (uint64_t)max)
            return fail(c, "integer out of range for %s", tname);
        *out = (int64_t)mag;
    } else {
        if (mag - 1 > (uint64_t)(-(min + 1)))
            return fail(c, "integer out of range for %s", tname);
        *out = -(int64_t)(mag - 1) - 1;
    }
    return 0;
}

static int dec_uint(struct dctx *c, json_t *v, uint64_t max, const char *tname, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    if (int_get(c, v, tname, &neg, &mag))
        return -1;
    if ((neg && mag) || mag > max)
        return fail(c, "integer out of range for %s", tname);
    *out = mag;
    return 0;
}

static int dec_real(struct dctx *c, json_t *v, bool is_float, double *out)
{
    const char *tname = is_float ? "float" : "double";
    double d;
    if (json_is_integer(v)) {
        d = (double)json_integer_value(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        bool integral;
        if (n == 3 && !memcmp(s, "NaN", 3)) {
            *out = NAN;
            return 0;
        }
        if ((n == 8 && !memcmp(s, "Infinity", 8)) || (n == 9 && !memcmp(s, "-Infinity", 9))) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        if (!num_syntax(s, n, &integral))
            return fail(c, "invalid %s string", tname);
        d = strtod(s, NULL);
    } else {
        return fail(c, "expected number");
    }
    if (!isfinite(d) || (is_float && fabs(d) > FLT_MAX))
        return fail(c, "number out of range for %s", tname);
    *out = d;
    return 0;
}

static int dec_enum(struct dctx *c, const ProtobufCEnumDescriptor *ed, json_t *v, int32_t *out)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        const ProtobufCEnumValue *ev =
            strlen(s) == n ? protobuf_c_enum_descriptor_get_value_by_name(ed, s) : NULL;
        if (ev) {
            *out = ev->value;
            return 0;
        }
        bool printable = n <= 64;
        for (size_t i = 0; printable && i < n; i++)
            printable = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\';
        return printable ? fail(c, "unknown enum value \"%s\"", s) : fail(c, "unknown enum value");
    }
    if (!json_is_number(v))
        return fail(c, "expected enum name or number");
    int64_t x;
    if (dec_sint(c, v, INT32_MIN, INT32_MAX, "enum", &x))
        return -1;
    *out = (int32_t)x;
    return 0;
}

static int dec_string(struct dctx *c, json_t *v, char **out)
{
    if (!json_is_string(v))
        return fail(c, "expected string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (memchr(s, '\0', n))
        return fail(c, "string contains a NUL character");
    *out = util_strndup(s, n);
    return 0;
}

static int dec_bytes(struct dctx *c, json_t *v, ProtobufCBinaryData *out)
{
    if (!json_is_string(v))
        return fail(c, "expected base64 string");
    size_t n = json_string_length(v);
    if (n == 0) {
        out->data = NULL;
        out->len = 0;
        return 0;
    }
    uint8_t *buf = util_malloc(b64_decoded_max(n));
    long r = b64_decode(json_string_value(v), n, buf);
    if (r < 0) {
        free(buf);
        return fail(c, "invalid base64");
    }
    if (r == 0) {
        free(buf);
        buf = NULL;
    }
    out->data = buf;
    out->len = (size_t)r;
    return 0;
}

static ProtobufCMessage *dec_message(struct dctx *c, const ProtobufCMessageDescriptor *d,
                                     json_t *obj);

/* Integer field types (enums excluded) into their storage at `out`. */
static int dec_int_value(struct dctx *c, ProtobufCType t, json_t *v, void *out)
{
    int64_t s = 0;
    uint64_t u = 0;
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (dec_sint(c, v, INT32_MIN, INT32_MAX, "int32", &s))
            return -1;
        *(int32_t *)out = (int32_t)s;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (dec_sint(c, v, INT64_MIN, INT64_MAX, "int64", &s))
            return -1;
        *(int64_t *)out = s;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (dec_uint(c, v, UINT32_MAX, "uint32", &u))
            return -1;
        *(uint32_t *)out = (uint32_t)u;
        return 0;
    default: /* 64-bit unsigned */
        if (dec_uint(c, v, UINT64_MAX, "uint64", &u))
            return -1;
        *(uint64_t *)out = u;
        return 0;
    }
}

/* Decodes `v` (not null) into the storage of one value of field `f` at `out`.
 * On failure nothing is stored and nothing is left allocated. */
static int dec_value(struct dctx *c, const ProtobufCFieldDescriptor *f, json_t *v, void *out)
{
    double d = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return dec_int_value(c, f->type, v, out);
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (dec_real(c, v, f->type == PROTOBUF_C_TYPE_FLOAT, &d))
            return -1;
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)out = (float)d;
        else
            *(double *)out = d;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(c, "expected boolean");
        *(protobuf_c_boolean *)out = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        return dec_enum(c, f->descriptor, v, out);
    case PROTOBUF_C_TYPE_STRING:
        return dec_string(c, v, out);
    case PROTOBUF_C_TYPE_BYTES:
        return dec_bytes(c, v, out);
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub = dec_message(c, f->descriptor, v);
        if (!sub)
            return -1;
        *(ProtobufCMessage **)out = sub;
        return 0;
    }
    default:
        return fail(c, "unsupported field type");
    }
}

/* Sets a singular field and its presence (oneof case or has_ flag). */
static int dec_singular(struct dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        json_t *v)
{
    bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
    if (oneof && *(uint32_t *)pbjson_member(m, f->quantifier_offset) != 0)
        return fail(c, "another member of the same oneof is already set");
    if (dec_value(c, f, v, pbjson_member(m, f->offset)))
        return -1;
    if (oneof)
        *(uint32_t *)pbjson_member(m, f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)pbjson_member(m, f->quantifier_offset) = 1;
    return 0;
}

/* Counts and arrays are stored before they are filled (zeroed), so that an
 * error part-way leaves a message protobuf-c can free. */
static void *dec_alloc_array(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t n)
{
    void *arr = util_calloc(n, pbjson_elt_size(f->type));
    *(size_t *)pbjson_member(m, f->quantifier_offset) = n;
    *(void **)pbjson_member(m, f->offset) = arr;
    return arr;
}

static int dec_repeated(struct dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        json_t *v)
{
    if (!json_is_array(v))
        return fail(c, "expected array");
    size_t n = json_array_size(v), sz = pbjson_elt_size(f->type);
    if (n == 0)
        return 0;
    char *arr = dec_alloc_array(m, f, n);
    for (size_t i = 0; i < n; i++) {
        json_t *el = json_array_get(v, i);
        size_t old = path_push(c, "[%zu]", i);
        if (json_is_null(el))
            return fail(c, "null is not allowed in an array");
        if (dec_value(c, f, el, arr + i * sz))
            return -1;
        path_pop(c, old);
    }
    return 0;
}

static int dec_map_key(struct dctx *c, ProtobufCMessage *en, const ProtobufCFieldDescriptor *kf,
                       const char *key, size_t klen)
{
    json_t *kj;
    if (kf->type == PROTOBUF_C_TYPE_BOOL) {
        bool t = klen == 4 && !memcmp(key, "true", 4);
        if (!t && !(klen == 5 && !memcmp(key, "false", 5)))
            return fail(c, "invalid map key for bool");
        kj = json_boolean(t);
    } else {
        kj = json_stringn_nocheck(key, klen);
    }
    if (!kj)
        return fail(c, "out of memory");
    int rc = dec_singular(c, en, kf, kj);
    json_decref(kj);
    return rc;
}

static int dec_map(struct dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                   const ProtobufCMessageDescriptor *e, json_t *v)
{
    if (!json_is_object(v))
        return fail(c, "expected object");
    size_t n = json_object_size(v), i = 0;
    if (n == 0)
        return 0;
    ProtobufCMessage **arr = dec_alloc_array(m, f, n);
    for (void *it = json_object_iter(v); it && i < n; it = json_object_iter_next(v, it), i++) {
        ProtobufCMessage *en = util_malloc(e->sizeof_message);
        protobuf_c_message_init(e, en);
        arr[i] = en;
        json_t *val = json_object_iter_value(it);
        if (dec_map_key(c, en, &e->fields[0], json_object_iter_key(it),
                        json_object_iter_key_len(it)))
            return -1;
        if (json_is_null(val))
            return fail(c, "null is not allowed as a map value");
        if (dec_singular(c, en, &e->fields[1], val))
            return -1;
    }
    return 0;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key, size_t klen)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        const char *name = d->fields[i].name;
        if ((strlen(name) == klen && !memcmp(name, key, klen)) || camel_eq(name, key, klen))
            return &d->fields[i];
    }
    return NULL;
}

static int dec_field(struct dctx *c, const ProtobufCMessageDescriptor *d, ProtobufCMessage *m,
                     const ProtobufCFieldDescriptor *f, json_t *v, unsigned char *seen)
{
    size_t idx = (size_t)(f - d->fields);
    if (seen[idx])
        return fail(c, "field is given twice (JSON name and proto name)");
    seen[idx] = 1;
    if (json_is_null(v))
        return 0;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return dec_singular(c, m, f, v);
    const ProtobufCMessageDescriptor *e = pbjson_map_entry(d, f);
    return e ? dec_map(c, m, f, e, v) : dec_repeated(c, m, f, v);
}

static ProtobufCMessage *dec_message(struct dctx *c, const ProtobufCMessageDescriptor *d,
                                     json_t *obj)
{
    if (!json_is_object(obj)) {
        fail(c, "expected object");
        return NULL;
    }
    ProtobufCMessage *m = util_malloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    unsigned char *seen = util_calloc(d->n_fields ? d->n_fields : 1, 1);
    int rc = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        const ProtobufCFieldDescriptor *f = find_field(d, key, klen);
        if (!f)
            continue; /* unknown fields are ignored */
        /* errors name the field as the client spelled it */
        size_t old = path_push(c, c->plen ? ".%.*s" : "%.*s", (int)klen, key);
        rc = dec_field(c, d, m, f, json_object_iter_value(it), seen);
        if (rc)
            break;
        path_pop(c, old);
    }
    free(seen);
    if (rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* Whether objects and arrays nest deeper than PBJSON_MAX_DEPTH. */
static bool too_deep(json_t *v, int depth)
{
    if (!json_is_object(v) && !json_is_array(v))
        return false;
    if (depth > PBJSON_MAX_DEPTH)
        return true;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (too_deep(json_array_get(v, i), depth + 1))
                return true;
        return false;
    }
    for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it))
        if (too_deep(json_object_iter_value(it), depth + 1))
            return true;
    return false;
}

ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json,
                                size_t len, char *err, size_t errlen)
{
    struct dctx c = { .err = err, .errlen = err ? errlen : 0 };
    if (c.errlen)
        err[0] = '\0';
    if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC || (!json && len)) {
        fail(&c, "invalid arguments");
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(json ? json : "", len,
                              JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        fail(&c, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    ProtobufCMessage *m = NULL;
    if (!json_is_object(root))
        fail(&c, "top level must be a JSON object");
    else if (too_deep(root, 1))
        fail(&c, "nesting depth exceeds %d", PBJSON_MAX_DEPTH);
    else
        m = dec_message(&c, desc, root);
    json_decref(root);
    return m;
}
