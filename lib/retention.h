/*
 * retention.h: which backup sets a retention policy keeps (DESIGN section
 * 11), as restic's `forget` decides: a pure function of the sets' stamps
 * and the rules, unit-tested without storage.
 *
 * Sets are given newest first (stamps sort by time). KEEP_LAST keeps the n
 * newest; KEEP_HOURLY/DAILY/WEEKLY/MONTHLY/YEARLY keep the newest set of
 * each of the n newest UTC periods that hold a set (weeks are ISO weeks);
 * KEEP_WITHIN keeps every set taken within the duration before the newest
 * set. A set is kept when any rule keeps it.
 */
#ifndef NB_RETENTION_H
#define NB_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

enum retention_rule {
    RETAIN_LAST,
    RETAIN_HOURLY,
    RETAIN_DAILY,
    RETAIN_WEEKLY,
    RETAIN_MONTHLY,
    RETAIN_YEARLY,
    RETAIN_WITHIN,
    RETAIN_RULES
};

/* The duration of KEEP_WITHIN: calendar months and years, plus seconds. */
struct retention_duration {
    int years, months;
    long seconds;
};

struct retention_policy {
    long count[RETAIN_WITHIN]; /* 0: the rule is off */
    bool within_set;
    struct retention_duration within;
};

/* One decision: `reasons` is a mask of (1 << enum retention_rule); 0 means
 * the policy removes the set. */
struct retention_decision {
    unsigned reasons;
};

/* "KEEP_LAST", ... for messages; "last", "hourly", ... for reasons. */
const char *retention_variable(enum retention_rule r);
const char *retention_reason(enum retention_rule r);

/* True when at least one rule is on. */
bool retention_any(const struct retention_policy *p);

/* Parses a KEEP_WITHIN value: one or more NUMBER UNIT pairs, units y
 * (years), m (months), w, d, h: "36h", "30d", "1y6m", "2w3d12h".
 * NB_ERR_USAGE naming `source` when malformed. */
nb_err retention_parse_duration(const char *text, const char *source,
                                struct retention_duration *out) NB_WARN_UNUSED;

/* Decides for `n` sets taken at times[0..n-1] (UTC, newest first). */
void retention_apply(const struct retention_policy *p, const time_t *times, size_t n,
                     struct retention_decision *out);

/* The reasons as "last, daily" into buf. */
const char *retention_format_reasons(unsigned reasons, char *buf, size_t len);

#endif
