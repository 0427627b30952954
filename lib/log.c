#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static const char *program_name = "neo4j-backup";
static enum log_level min_level = LOG_INFO;
static double progress_interval = 5.0;
static bool json_format;
static const char *bad_format;

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
    const char *fmt = getenv("LOG_FORMAT");

    if (lvl && strcmp(lvl, "debug") == 0)
        min_level = LOG_DEBUG;
    json_format = fmt && strcmp(fmt, "json") == 0;
    bad_format = fmt && *fmt && !json_format && strcmp(fmt, "text") != 0 ? fmt : NULL;
    /* Line-buffered stderr keeps lines whole when neo4j-admin shares it. */
    setvbuf(stderr, NULL, _IOLBF, 0);
}

nb_err log_check_format(void)
{
    if (bad_format)
        return nb_error(NB_ERR_USAGE, "LOG_FORMAT '%s' is unknown: use text or json", bad_format);
    return NB_OK;
}

void log_set_level(enum log_level level)
{
    min_level = level;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* One JSON object per line; jansson escapes the strings. */
static void emit_json(enum log_level level, const char *stamp, const struct log_fields *f,
                      const char *msg)
{
    json_t *o = json_object();
    char db[128] = "";
    const char *database = f->database;
    char *line;

    /* "[neo4j] message": the database goes to its own field. */
    if (msg[0] == '[') {
        size_t len = strcspn(msg + 1, "] ");
        if (msg[1 + len] == ']' && msg[2 + len] == ' ' && len > 0 && len < sizeof(db)) {
            memcpy(db, msg + 1, len);
            db[len] = '\0';
            if (!database)
                database = db;
            msg += len + 3;
        }
    }
    if (!o)
        return;
    json_object_set_new(o, "time", json_string(stamp));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "program", json_string(program_name));
    json_object_set_new(o, "msg", json_string(msg));
    if (database)
        json_object_set_new(o, "database", json_string(database));
    if (f->object)
        json_object_set_new(o, "object", json_string(f->object));
    if (f->bytes >= 0)
        json_object_set_new(o, "bytes", json_integer(f->bytes));
    if (f->rate >= 0)
        json_object_set_new(o, "rate", json_real(f->rate));
    if (f->exit_code >= 0)
        json_object_set_new(o, "exit_code", json_integer(f->exit_code));
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

static void emit(enum log_level level, const struct log_fields *f, const char *fmt, va_list ap)
{
    char stamp[32];
    char line[4096];
    time_t now = time(NULL);
    struct tm tm;

    if (level < min_level)
        return;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    vsnprintf(line, sizeof(line), fmt, ap);
    if (json_format)
        emit_json(level, stamp, f, line);
    else
        fprintf(stderr, "%s %s %s: %s\n", stamp, program_name, level_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const struct log_fields none = LOG_FIELDS_NONE;
    va_list ap;

    va_start(ap, fmt);
    emit(level, &none, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level level, const struct log_fields *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(level, f, fmt, ap);
    va_end(ap);
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

    struct log_fields f = LOG_FIELDS_NONE;

    f.object = p->object;
    f.bytes = (int64_t)p->done;
    f.rate = secs > 0 ? (double)p->done / secs : 0.0;
    format_bytes(p->done, done, sizeof(done));
    format_bytes(bps, rate, sizeof(rate));
    if (p->total)
        log_fields(LOG_INFO, &f, "%s: %s (%.0f%%) at %s/s", p->what, done,
                   100.0 * (double)p->done / (double)p->total, rate);
    else
        log_fields(LOG_INFO, &f, "%s: %s at %s/s", p->what, done, rate);
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
