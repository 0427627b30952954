/*
 * metrics.h: a run's figures for Prometheus (DESIGN section 12).
 *
 * Programs record gauges with metrics_set() (one series per metric and
 * database) and call metrics_publish() once at the end of the run:
 *
 * - METRICS_FILE=path: the samples in the Prometheus text format (0.0.4),
 *   written atomically (temp file, fsync, rename), as node_exporter's
 *   textfile collector reads them;
 * - PUSHGATEWAY_URL=http://host:9091: the same text PUT to
 *   PUSHGATEWAY_URL/metrics/job/JOB/instance/INSTANCE, INSTANCE being
 *   POD_NAME or the host name.
 *
 * Publishing never fails a run: problems are logged as warnings.
 */
#ifndef NB_METRICS_H
#define NB_METRICS_H

#include <stddef.h>

/* Starts a run of `job` ("neo4j-backup", "neo4j-restore"). */
void metrics_init(const char *job);
/* Records (or replaces) the sample of `name` for `database`; `name` must
 * be one of the metrics metrics.c describes. */
void metrics_set(const char *name, const char *database, double value);
/* The samples in the text format; malloc'd. */
char *metrics_render(void);
/* Writes METRICS_FILE and pushes to PUSHGATEWAY_URL when they are set. */
void metrics_publish(void);

#endif
