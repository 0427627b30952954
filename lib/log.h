/*
 * log.h: one line per step on stderr.
 *
 *   2026-11-24T13:05:00Z neo4j-restore info: [neo4j] downloading ...
 *
 * LOG_FORMAT=json (DESIGN section 12) makes each line one JSON object:
 *
 *   {"time":"2026-11-24T13:05:00Z","level":"info","program":"neo4j-restore",
 *    "msg":"downloading ...","database":"neo4j"}
 *
 * with `database` taken from a leading "[DB] " of the message or given in
 * struct log_fields, and `object`, `bytes`, `rate`, `exit_code` when the
 * caller gives them (progress lines and summaries do).
 *
 * Secrets never reach these functions: callers log names, never contents.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Reads LOG_LEVEL, LOG_FORMAT and PROGRESS_INTERVAL. */
void log_init(const char *program);
/* NB_ERR_USAGE when LOG_FORMAT is neither text nor json (text is used
 * meanwhile); programs call it once after log_init(). */
nb_err log_check_format(void) NB_WARN_UNUSED;
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) NB_PRINTF(2, 3);

/* Structured fields of one line; unset ones are NULL or negative. */
struct log_fields {
    const char *database;
    const char *object;
    int64_t bytes;
    double rate; /* bytes per second */
    int exit_code;
};
#define LOG_FIELDS_NONE                                                                            \
    {                                                                                              \
        NULL, NULL, -1, -1.0, -1                                                                   \
    }
void log_fields(enum log_level level, const struct log_fields *f, const char *fmt, ...)
    NB_PRINTF(3, 4);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * Progress of a long transfer: progress_update() logs a line at most every
 * `interval` seconds (PROGRESS_INTERVAL, default 5; 0 logs every update)
 * with bytes, rate and, when the total is known, the percentage.
 */
struct progress {
    const char *what;   /* "downloading neo4j/neo4j-...tar.gz" */
    const char *object; /* the object alone, for JSON logs; may be NULL */
    uint64_t total;     /* 0 when unknown */
    uint64_t done;
    double started; /* monotonic seconds */
    double last_log;
    double interval;
};

double monotonic_seconds(void);
void progress_start(struct progress *p, const char *what, uint64_t total);
void progress_update(struct progress *p, uint64_t add);
void progress_finish(struct progress *p);
/* "12.3 MiB" into buf. */
const char *format_bytes(uint64_t bytes, char *buf, size_t len);

#endif
