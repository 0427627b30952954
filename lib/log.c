#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *program_name = "neo4j-backup";
static enum log_level min_level = LOG_INFO;
static double progress_interval = 5.0;

void log_init(const char *program)
{
    const char *iv = getenv("PROGRESS_INTERVAL");
    const char *lvl = getenv("LOG_LEVEL");

    program_name = program;
    if (iv && *iv) {
        char *end;
        double v = strtod(iv, &end);
        if (*end == '\0' && v >= 0)
            progress_interval = v;
    }
    if (lvl && strcmp(lvl, "debug") == 0)
        min_level = LOG_DEBUG;
    /* Line-buffered stderr keeps lines whole when neo4j-admin shares it. */
    setvbuf(stderr, NULL, _IOLBF, 0);
}

void log_set_level(enum log_level level)
{
    min_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char stamp[32];
    char line[4096];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (level < min_level)
        return;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s: %s\n", stamp, program_name, names[level], line);
}

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    unsigned u = 0;

    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
    memset(p, 0, sizeof(*p));
    p->what = what;
    p->total = total;
    p->started = monotonic_seconds();
    p->last_log = p->started;
    p->interval = progress_interval;
}

static void progress_log(struct progress *p, double now)
{
    char done[32], rate[32];
    double secs = now - p->started;
    uint64_t bps = secs > 0 ? (uint64_t)((double)p->done / secs) : 0;

    format_bytes(p->done, done, sizeof(done));
    format_bytes(bps, rate, sizeof(rate));
    if (p->total)
        log_info("%s: %s (%.0f%%) at %s/s", p->what, done,
                 100.0 * (double)p->done / (double)p->total, rate);
    else
        log_info("%s: %s at %s/s", p->what, done, rate);
}

void progress_update(struct progress *p, uint64_t add)
{
    double now;

    p->done += add;
    now = monotonic_seconds();
    if (now - p->last_log >= p->interval) {
        p->last_log = now;
        progress_log(p, now);
    }
}

void progress_finish(struct progress *p)
{
    progress_log(p, monotonic_seconds());
}
