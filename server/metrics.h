/* metrics.h: a registry of metric families and its rendering in the
 * Prometheus text exposition format (version 0.0.4).  No I/O, no clock.
 *
 * A scrape builds a fresh registry: metrics_family() declares a family
 * (name, help, type), then metrics_sample() / metrics_histogram() add its
 * samples, each with up to METRICS_MAX_LABELS label pairs.  Samples always
 * belong to the family declared last.  metrics_render() writes the whole
 * registry: "# HELP" and "# TYPE" lines before each family's samples, label
 * values escaped (backslash, double quote, newline), help text escaped
 * (backslash, newline), numbers as integers when integral, otherwise in
 * shortest round-trip form, with NaN, +Inf and -Inf spelled as the format
 * wants.  Histograms render cumulative _bucket lines ending with le="+Inf",
 * then _sum and _count.
 *
 * Histograms that live across scrapes are struct metrics_hist: the owner
 * observes values into it and hands it to metrics_histogram() at scrape time
 * (the registry reads it during the call and keeps no pointer to it).
 *
 * Return codes: 0, DC_EINVAL (invalid metric or label name, more labels
 * than allowed, sample with no family or of the wrong type, duplicate
 * family name).  The registry copies every string it is given. */
#ifndef DC_METRICS_H
#define DC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_LABELS 4
#define METRICS_MAX_BUCKETS 32

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics_hist {
    double bounds[METRICS_MAX_BUCKETS];   /* upper bounds, increasing */
    uint64_t counts[METRICS_MAX_BUCKETS]; /* per bucket, not cumulative */
    size_t n;
    uint64_t count;                       /* every observation (+Inf bucket) */
    double sum;
};

/* bounds must be finite and strictly increasing; n <= METRICS_MAX_BUCKETS.
 * Returns 0 or DC_EINVAL (then h is an empty histogram with no buckets). */
int metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n);
void metrics_hist_observe(struct metrics_hist *h, double v);

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*
 * not starting with "__" and not "le" on histograms. */
int metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type);
/* labels: n_labels pairs as {name0, value0, name1, value1, ...} (NULL when 0). */
int metrics_sample(struct metrics *m, const char *const *labels, size_t n_labels, double v);
int metrics_histogram(struct metrics *m, const char *const *labels, size_t n_labels,
                      const struct metrics_hist *h);

/* The text of the registry (malloc'd, NUL-terminated; *len without the NUL). */
char *metrics_render(const struct metrics *m, size_t *len);

/* The format's spelling of one value into buf (at least 32 bytes). */
void metrics_format_value(double v, char *buf, size_t n);

#endif
