#include "server/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"

struct sample {
    char *labels[2 * METRICS_MAX_LABELS];
    size_t n_labels;
    double value;
    struct metrics_hist hist;
};

struct family {
    char *name, *help;
    enum metric_type type;
    struct sample *samples;
    size_t n, cap;
};

struct metrics {
    struct family *fams;
    size_t n, cap;
};

/* ---------- histograms ---------- */

int metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    if (n > METRICS_MAX_BUCKETS || (n && !bounds))
        return DC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            return DC_EINVAL;
    if (n)
        memcpy(h->bounds, bounds, n * sizeof *bounds);
    h->n = n;
    return 0;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    if (i < h->n)
        h->counts[i]++;
    h->count++;
    h->sum += v;
}

/* ---------- registry ---------- */

struct metrics *metrics_new(void)
{
    return util_calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        struct family *f = &m->fams[i];
        for (size_t j = 0; j < f->n; j++)
            for (size_t k = 0; k < f->samples[j].n_labels * 2; k++)
                free(f->samples[j].labels[k]);
        free(f->samples);
        free(f->name);
        free(f->help);
    }
    free(m->fams);
    free(m);
}

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

int metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type)
{
    if (!valid_name(name, true) || type < METRIC_COUNTER || type > METRIC_HISTOGRAM)
        return DC_EINVAL;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->fams[i].name, name))
            return DC_EINVAL;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        struct family *f = util_calloc(m->cap, sizeof *f);
        if (m->n)
            memcpy(f, m->fams, m->n * sizeof *f);
        free(m->fams);
        m->fams = f;
    }
    struct family *f = &m->fams[m->n++];
    memset(f, 0, sizeof *f);
    f->name = util_strdup(name);
    f->help = util_strdup(help ? help : "");
    f->type = type;
    return 0;
}

static int add_sample(struct metrics *m, enum metric_type want, const char *const *labels,
                      size_t n_labels, struct sample **out)
{
    if (m->n == 0 || n_labels > METRICS_MAX_LABELS || (n_labels && !labels))
        return DC_EINVAL;
    struct family *f = &m->fams[m->n - 1];
    if ((want == METRIC_HISTOGRAM) != (f->type == METRIC_HISTOGRAM))
        return DC_EINVAL;
    for (size_t i = 0; i < n_labels; i++) {
        const char *k = labels[2 * i];
        if (!valid_name(k, false) || !strncmp(k, "__", 2) || !labels[2 * i + 1] ||
            (f->type == METRIC_HISTOGRAM && !strcmp(k, "le")))
            return DC_EINVAL;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        struct sample *s = util_calloc(f->cap, sizeof *s);
        if (f->n)
            memcpy(s, f->samples, f->n * sizeof *s);
        free(f->samples);
        f->samples = s;
    }
    struct sample *s = &f->samples[f->n++];
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < 2 * n_labels; i++)
        s->labels[i] = util_strdup(labels[i]);
    s->n_labels = n_labels;
    *out = s;
    return 0;
}

int metrics_sample(struct metrics *m, const char *const *labels, size_t n_labels, double v)
{
    struct sample *s;
    int r = add_sample(m, METRIC_COUNTER, labels, n_labels, &s);
    if (r == 0)
        s->value = v;
    return r;
}

int metrics_histogram(struct metrics *m, const char *const *labels, size_t n_labels,
                      const struct metrics_hist *h)
{
    struct sample *s;
    int r = add_sample(m, METRIC_HISTOGRAM, labels, n_labels, &s);
    if (r == 0)
        s->hist = *h;
    return r;
}

/* ---------- rendering ---------- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = util_malloc(cap);
        if (b->len)
            memcpy(p, b->p, b->len);
        free(b->p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Help text escapes backslash and newline; label values also double quotes. */
static void put_escaped(struct buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(b, "\\\\");
        else if (*s == '\n')
            puts_(b, "\\n");
        else if (quote && *s == '"')
            puts_(b, "\\\"");
        else
            put(b, s, 1);
    }
}

void metrics_format_value(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
    } else {
        snprintf(buf, n, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, n, "%.17g", v);
    }
}

static void put_value(struct buf *b, double v)
{
    char num[40];
    metrics_format_value(v, num, sizeof num);
    puts_(b, num);
}

/* name{k="v",...,extra_k="extra_v"} value */
static void put_line(struct buf *b, const char *name, const char *suffix, const struct sample *s,
                     const char *le, double v)
{
    puts_(b, name);
    puts_(b, suffix);
    if (s->n_labels || le) {
        puts_(b, "{");
        for (size_t i = 0; i < s->n_labels; i++) {
            if (i)
                puts_(b, ",");
            puts_(b, s->labels[2 * i]);
            puts_(b, "=\"");
            put_escaped(b, s->labels[2 * i + 1], true);
            puts_(b, "\"");
        }
        if (le) {
            puts_(b, s->n_labels ? ",le=\"" : "le=\"");
            puts_(b, le);
            puts_(b, "\"");
        }
        puts_(b, "}");
    }
    puts_(b, " ");
    put_value(b, v);
    puts_(b, "\n");
}

static void put_hist(struct buf *b, const char *name, const struct sample *s)
{
    const struct metrics_hist *h = &s->hist;
    uint64_t cum = 0;
    char le[40];
    for (size_t i = 0; i < h->n; i++) {
        cum += h->counts[i];
        metrics_format_value(h->bounds[i], le, sizeof le);
        put_line(b, name, "_bucket", s, le, (double)cum);
    }
    put_line(b, name, "_bucket", s, "+Inf", (double)h->count);
    put_line(b, name, "_sum", s, NULL, h->sum);
    put_line(b, name, "_count", s, NULL, (double)h->count);
}

char *metrics_render(const struct metrics *m, size_t *len)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    struct buf b = {0};
    put(&b, "", 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct family *f = &m->fams[i];
        puts_(&b, "# HELP ");
        puts_(&b, f->name);
        puts_(&b, " ");
        put_escaped(&b, f->help, false);
        puts_(&b, "\n# TYPE ");
        puts_(&b, f->name);
        puts_(&b, " ");
        puts_(&b, types[f->type]);
        puts_(&b, "\n");
        for (size_t j = 0; j < f->n; j++) {
            if (f->type == METRIC_HISTOGRAM)
                put_hist(&b, f->name, &f->samples[j]);
            else
                put_line(&b, f->name, "", &f->samples[j], NULL, f->samples[j].value);
        }
    }
    *len = b.len;
    return b.p;
}
