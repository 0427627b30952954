/*
 * log.h: one line per step on stderr.
 *
 *   2026-11-24T13:05:00Z neo4j-restore info: [neo4j] downloading ...
 *
 * Secrets never reach these functions: callers log names, never contents.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(const char *program);
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) NB_PRINTF(2, 3);

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
    const char *what; /* "downloading neo4j/neo4j-...tar.gz" */
    uint64_t total;   /* 0 when unknown */
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
