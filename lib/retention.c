#include "retention.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variables[RETAIN_RULES] = {
    "KEEP_LAST",    "KEEP_HOURLY", "KEEP_DAILY",  "KEEP_WEEKLY",
    "KEEP_MONTHLY", "KEEP_YEARLY", "KEEP_WITHIN",
};
static const char *const reasons[RETAIN_RULES] = {
    "last", "hourly", "daily", "weekly", "monthly", "yearly", "within",
};

const char *retention_variable(enum retention_rule r)
{
    return variables[r];
}

const char *retention_reason(enum retention_rule r)
{
    return reasons[r];
}

bool retention_any(const struct retention_policy *p)
{
    for (int r = 0; r < RETAIN_WITHIN; r++) {
        if (p->count[r] > 0)
            return true;
    }
    return p->within_set;
}

nb_err retention_parse_duration(const char *text, const char *source,
                                struct retention_duration *out)
{
    const char *p = text;

    memset(out, 0, sizeof(*out));
    if (!*p)
        goto bad;
    while (*p) {
        char *end;
        long v;

        if (!isdigit((unsigned char)*p))
            goto bad;
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno || v > 100000)
            goto bad;
        switch (*end) {
        case 'y':
            out->years += (int)v;
            break;
        case 'm':
            out->months += (int)v;
            break;
        case 'w':
            out->seconds += v * 7 * 86400;
            break;
        case 'd':
            out->seconds += v * 86400;
            break;
        case 'h':
            out->seconds += v * 3600;
            break;
        default:
            goto bad;
        }
        p = end + 1;
    }
    return NB_OK;
bad:
    return nb_error(NB_ERR_USAGE,
                    "%s is '%s': write a duration such as 36h, 30d, 2w or 1y6m (units y, m, w, "
                    "d, h)",
                    source, text);
}

/* newest minus the duration, calendar-aware for months and years. */
static time_t within_limit(time_t newest, const struct retention_duration *d)
{
    struct tm tm;

    gmtime_r(&newest, &tm);
    tm.tm_year -= d->years;
    tm.tm_mon -= d->months;
    return timegm(&tm) - d->seconds;
}

/* The UTC period of `t` for a calendar rule, as one number. */
static long period_key(enum retention_rule r, time_t t)
{
    struct tm tm;
    char week[16];

    gmtime_r(&t, &tm);
    switch (r) {
    case RETAIN_HOURLY:
        return (((long)tm.tm_year * 100 + tm.tm_mon) * 100 + tm.tm_mday) * 100 + tm.tm_hour;
    case RETAIN_DAILY:
        return ((long)tm.tm_year * 100 + tm.tm_mon) * 100 + tm.tm_mday;
    case RETAIN_WEEKLY:
        /* ISO 8601 week-based year and week, as restic's ISOWeek(). */
        strftime(week, sizeof(week), "%G%V", &tm);
        return strtol(week, NULL, 10);
    case RETAIN_MONTHLY:
        return (long)tm.tm_year * 100 + tm.tm_mon;
    case RETAIN_YEARLY:
        return tm.tm_year;
    default:
        return 0;
    }
}

void retention_apply(const struct retention_policy *p, const time_t *times, size_t n,
                     struct retention_decision *out)
{
    long left[RETAIN_WITHIN];
    long last[RETAIN_WITHIN];
    time_t limit = 0;

    for (int r = 0; r < RETAIN_WITHIN; r++) {
        left[r] = p->count[r];
        last[r] = -1;
    }
    if (n && p->within_set)
        limit = within_limit(times[0], &p->within);
    for (size_t i = 0; i < n; i++) {
        out[i].reasons = 0;
        if (left[RETAIN_LAST] > 0) {
            out[i].reasons |= 1u << RETAIN_LAST;
            left[RETAIN_LAST]--;
        }
        for (int r = RETAIN_HOURLY; r < RETAIN_WITHIN; r++) {
            long key;
            if (left[r] <= 0)
                continue;
            key = period_key((enum retention_rule)r, times[i]);
            if (key != last[r]) {
                out[i].reasons |= 1u << r;
                last[r] = key;
                left[r]--;
            }
        }
        if (p->within_set && times[i] > limit)
            out[i].reasons |= 1u << RETAIN_WITHIN;
    }
}

const char *retention_format_reasons(unsigned mask, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int r = 0; r < RETAIN_RULES; r++) {
        if (mask & (1u << r)) {
            int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", reasons[r]);
            if (w < 0 || (size_t)w >= len - used)
                break;
            used += (size_t)w;
        }
    }
    return buf;
}
