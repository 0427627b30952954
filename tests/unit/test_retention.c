/* Unit tests: retention.c, which sets a policy keeps (restic's rules). */
#include <stdlib.h>

#include "naming.h"
#include "retention.h"
#include "unit.h"

static time_t at(const char *stamp)
{
    struct tm tm = {0};
    strptime(stamp, NAMING_TIMESTAMP_FORMAT, &tm);
    return timegm(&tm);
}

/* The reasons of each set as "last|daily" strings, joined by " ; ". */
static void decide(const struct retention_policy *p, const char *const *stamps, size_t n, char *out,
                   size_t len)
{
    time_t times[64] = {0};
    struct retention_decision d[64];
    size_t used = 0;

    for (size_t i = 0; i < n; i++)
        times[i] = at(stamps[i]);
    retention_apply(p, times, n, d);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char r[128];
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " ; " : "",
                                 d[i].reasons ? retention_format_reasons(d[i].reasons, r, sizeof(r))
                                              : "-");
    }
}

static void test_last(void)
{
    static const char *const s[] = {"2026-11-24-13:00:00", "2026-11-24-12:00:00",
                                    "2026-11-24-11:00:00"};
    struct retention_policy p = {0};
    char out[512];

    CHECK(!retention_any(&p));
    p.count[RETAIN_LAST] = 2;
    CHECK(retention_any(&p));
    decide(&p, s, 3, out, sizeof(out));
    CHECK_STR(out, "last ; last ; -");
}

static void test_daily_keeps_newest_of_each_day(void)
{
    static const char *const s[] = {
        "2026-11-24-13:00:00", "2026-11-24-01:00:00", "2026-11-23-23:59:59",
        "2026-11-23-00:00:00", "2026-11-21-10:00:00", "2026-11-20-10:00:00",
    };
    struct retention_policy p = {0};
    char out[512];

    p.count[RETAIN_DAILY] = 3;
    decide(&p, s, 6, out, sizeof(out));
    /* days with a set: 24, 23, 21 (22 has none and does not count) */
    CHECK_STR(out, "daily ; - ; daily ; - ; daily ; -");
}

static void test_weekly_uses_iso_weeks(void)
{
    /* 2027-01-03 is a Sunday in ISO week 2026-W53; 2027-01-04 starts W01. */
    static const char *const s[] = {"2027-01-04-00:00:00", "2027-01-03-23:00:00",
                                    "2026-12-28-00:00:00", "2026-12-27-12:00:00"};
    struct retention_policy p = {0};
    char out[512];

    p.count[RETAIN_WEEKLY] = 10;
    decide(&p, s, 4, out, sizeof(out));
    CHECK_STR(out, "weekly ; weekly ; - ; weekly");
}

static void test_monthly_yearly_hourly_combined(void)
{
    static const char *const s[] = {
        "2026-11-24-13:30:00", "2026-11-24-13:00:00", "2026-11-24-12:00:00",
        "2026-10-01-00:00:00", "2025-12-31-23:00:00", "2025-06-01-00:00:00",
    };
    struct retention_policy p = {0};
    char out[512];

    p.count[RETAIN_HOURLY] = 2;
    p.count[RETAIN_MONTHLY] = 2;
    p.count[RETAIN_YEARLY] = 5;
    decide(&p, s, 6, out, sizeof(out));
    CHECK_STR(out, "hourly, monthly, yearly ; - ; hourly ; monthly ; yearly ; -");
}

static void test_within(void)
{
    static const char *const s[] = {"2026-11-24-12:00:00", "2026-11-23-00:00:01",
                                    "2026-11-23-00:00:00", "2026-10-24-12:00:01"};
    struct retention_policy p = {0};
    char out[512];

    CHECK(retention_parse_duration("36h", "KEEP_WITHIN", &p.within) == NB_OK);
    p.within_set = true;
    decide(&p, s, 4, out, sizeof(out));
    /* strictly newer than newest - 36h = 2026-11-23-00:00:00 */
    CHECK_STR(out, "within ; within ; - ; -");
    CHECK(retention_parse_duration("1m", "KEEP_WITHIN", &p.within) == NB_OK);
    decide(&p, s, 4, out, sizeof(out));
    CHECK_STR(out, "within ; within ; within ; within");
}

static void test_durations(void)
{
    struct retention_duration d;

    CHECK(retention_parse_duration("30d", "KEEP_WITHIN", &d) == NB_OK && d.seconds == 30 * 86400);
    CHECK(retention_parse_duration("1y6m2w3d12h", "KEEP_WITHIN", &d) == NB_OK && d.years == 1 &&
          d.months == 6 && d.seconds == (17 * 86400 + 12 * 3600));
    CHECK(retention_parse_duration("", "KEEP_WITHIN", &d) == NB_ERR_USAGE);
    CHECK(retention_parse_duration("36", "KEEP_WITHIN", &d) == NB_ERR_USAGE);
    CHECK(retention_parse_duration("3x", "KEEP_WITHIN", &d) == NB_ERR_USAGE);
    CHECK(retention_parse_duration("h", "KEEP_WITHIN", &d) == NB_ERR_USAGE);
    CHECK(retention_parse_duration("-3d", "KEEP_WITHIN", &d) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "KEEP_WITHIN") != NULL);
}

int main(void)
{
    test_last();
    test_daily_keeps_newest_of_each_day();
    test_weekly_uses_iso_weeks();
    test_monthly_yearly_hourly_combined();
    test_within();
    test_durations();
    return unit_report("retention");
}
