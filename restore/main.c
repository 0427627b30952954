/* neo4j-restore: set up, restore every database, one summary line each. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "restore.h"

int main(int argc, char **argv)
{
    static const char *const outcomes[] = {
        [OUTCOME_RESTORED] = "restored",
        [OUTCOME_KEPT] = "kept (it exists; FORCE_OVERWRITE=false)",
        [OUTCOME_SKIPPED] = "skipped (no backup; MISSING_BACKUP=skip)",
    };
    struct restore_config cfg;
    struct restore_run run;
    bool exit_now = false;
    int status = EXIT_OK;
    nb_err err;

    log_init("neo4j-restore");
    metrics_init("neo4j-restore");
    if ((err = log_check_format())) {
        log_error("%s", nb_errmsg());
        return nb_exit_code(err);
    }
    err = restore_options(argc, argv, &cfg, &exit_now);
    if (err || exit_now) {
        if (err)
            log_error("%s", nb_errmsg());
        restore_config_free(&cfg);
        return err ? nb_exit_code(err) : EXIT_OK;
    }
    memset(&run, 0, sizeof(run));
    run.cfg = &cfg;
    run.lock_fd = -1;
    log_info("restoring %zu database(s) from %s (%s) into %s", cfg.target.n_databases,
             cfg.target.loc.display, cfg.timestamp, cfg.data_dir);
    /* Nothing under DATA_DIR is read or written before the lock is ours. */
    if ((err = restore_lock(&cfg, &run))) {
        log_error("%s", nb_errmsg());
        restore_config_free(&cfg);
        return nb_exit_code(err);
    }

    for (size_t i = 0; i < cfg.target.n_databases; i++) {
        const char *db = cfg.target.databases[i];
        enum restore_outcome outcome = OUTCOME_RESTORED;
        double started = monotonic_seconds();
        time_t started_at = time(NULL);
        struct log_fields f = LOG_FIELDS_NONE;

        nb_error_clear();
        run.fetched_bytes = 0;
        err = restore_database(&run, db, &outcome);
        f.database = db;
        f.exit_code = err ? nb_exit_code(err) : 0;
        f.bytes = (int64_t)run.fetched_bytes;
        if (err) {
            log_error("[%s] %s", db, nb_errmsg());
            log_fields(LOG_INFO, &f, "summary: %s: failed, exit %d (%s)", db, nb_exit_code(err),
                       nb_strerror(err));
            if (status == EXIT_OK)
                status = nb_exit_code(err);
        } else {
            log_fields(LOG_INFO, &f, "summary: %s: %s in %.1f s", db, outcomes[outcome],
                       monotonic_seconds() - started);
        }
        metrics_set("neo4j_restore_last_run_timestamp_seconds", db, (double)started_at);
        metrics_set("neo4j_restore_success", db, err ? 0 : 1);
        metrics_set("neo4j_restore_exit_code", db, f.exit_code);
        metrics_set("neo4j_restore_duration_seconds", db, monotonic_seconds() - started);
        metrics_set("neo4j_restore_bytes", db, (double)run.fetched_bytes);
    }
    metrics_publish();
    storage_close(run.storage);
    restore_unlock(&cfg, &run);
    restore_config_free(&cfg);
    return status;
}
