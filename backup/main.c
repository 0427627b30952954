/* neo4j-backup: set up, back up every database, one summary line each; or
 * run one of the commands (list, verify, prune). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup.h"
#include "commands.h"
#include "log.h"
#include "metrics.h"
#include "naming.h"

static void record_metrics(const char *db, time_t started_at, double secs, nb_err err,
                           const struct backup_result *res)
{
    metrics_set("neo4j_backup_last_run_timestamp_seconds", db, (double)started_at);
    metrics_set("neo4j_backup_success", db, err ? 0 : 1);
    metrics_set("neo4j_backup_exit_code", db, err ? nb_exit_code(err) : 0);
    metrics_set("neo4j_backup_duration_seconds", db, secs);
    if (!err) {
        metrics_set("neo4j_backup_last_success_timestamp_seconds", db, (double)time(NULL));
        metrics_set("neo4j_backup_archive_bytes", db, (double)res->bytes);
        metrics_set("neo4j_backup_content_bytes", db, (double)res->content_bytes);
    }
}

/* After latest moved: the KEEP_* rules for this database. */
static nb_err prune_after_backup(const struct backup_config *cfg, struct storage *st,
                                 const char *db)
{
    struct catalog cat;
    char *dbs[] = {(char *)db};
    nb_err err;

    if (!retention_any(&cfg->retention))
        return NB_OK;
    err = catalog_load(st, dbs, 1, &cat);
    if (err)
        return err;
    err = prune_database(st, &cat.dbs[0], &cfg->retention, false);
    catalog_free(&cat);
    return err;
}

int main(int argc, char **argv)
{
    struct backup_config cfg;
    struct neo4j_admin admin;
    struct storage_options sopts = {0};
    struct storage *st = NULL;
    char stamp[NAMING_TIMESTAMP_LEN + 1];
    bool exit_now = false;
    int status = EXIT_OK;
    nb_err err;

    memset(&admin, 0, sizeof(admin));
    log_init("neo4j-backup");
    if ((err = log_check_format())) {
        log_error("%s", nb_errmsg());
        return nb_exit_code(err);
    }
    if (argc > 1 && argv[1][0] != '-') {
        const struct backup_command *c = backup_command_find(argv[1]);
        if (!c) {
            log_error("unknown command '%s': the commands are %s (none takes a backup); see "
                      "neo4j-backup --help",
                      argv[1], backup_command_names());
            return EXIT_USAGE;
        }
        return c->exec(argc - 1, argv + 1);
    }
    metrics_init("neo4j-backup");
    err = backup_options(argc, argv, &cfg, &exit_now);
    if (err || exit_now) {
        if (err)
            log_error("%s", nb_errmsg());
        backup_config_free(&cfg);
        return err ? nb_exit_code(err) : EXIT_OK;
    }
    sopts.credentials_file = cfg.target.credentials;
    err = neo4j_admin_detect(&admin, cfg.admin_program, cfg.admin_dialect);
    if (!err)
        err = storage_open(&cfg.target.loc, &sopts, &st);
    if (err) {
        log_error("%s", nb_errmsg());
        for (size_t i = 0; i < cfg.target.n_databases; i++)
            record_metrics(cfg.target.databases[i], time(NULL), 0, err, NULL);
        metrics_publish();
        backup_config_free(&cfg);
        return nb_exit_code(err);
    }
    /* One stamp for the run: TIMESTAMP=X restores a matching neo4j and system. */
    if (cfg.timestamp)
        snprintf(stamp, sizeof(stamp), "%s", cfg.timestamp);
    else
        naming_timestamp(time(NULL), stamp);
    log_info("backing up %zu database(s) from %s to %s as %s (neo4j-admin %s, dialect %s)",
             cfg.target.n_databases, cfg.neo4j_addr, cfg.target.loc.display, stamp, admin.version,
             dialect_name(admin.dialect));

    for (size_t i = 0; i < cfg.target.n_databases; i++) {
        const char *db = cfg.target.databases[i];
        struct backup_result res;
        struct log_fields f = LOG_FIELDS_NONE;
        double started = monotonic_seconds();
        time_t started_at = time(NULL);

        memset(&res, 0, sizeof(res));
        nb_error_clear();
        err = backup_database(&cfg, st, &admin, db, stamp, &res);
        record_metrics(db, started_at, monotonic_seconds() - started, err, &res);
        f.database = db;
        f.exit_code = err ? nb_exit_code(err) : 0;
        if (err) {
            log_error("[%s] %s", db, nb_errmsg());
            log_fields(LOG_INFO, &f, "summary: %s: failed, exit %d (%s)", db, nb_exit_code(err),
                       nb_strerror(err));
            if (status == EXIT_OK)
                status = nb_exit_code(err);
            continue;
        }
        f.object = storage_url(st, res.archive);
        f.bytes = (int64_t)res.bytes;
        log_fields(LOG_INFO, &f,
                   "summary: %s: backed up to %s (%llu bytes, consistency %s) in %.1f s", db,
                   f.object, (unsigned long long)res.bytes, res.consistency,
                   monotonic_seconds() - started);
        /* The backup is done and counts as such; a failed prune is its own
         * failure, reported but leaving the new set in place. */
        nb_error_clear();
        if ((err = prune_after_backup(&cfg, st, db))) {
            log_error("[%s] prune after the backup: %s", db, nb_errmsg());
            if (status == EXIT_OK)
                status = nb_exit_code(err);
        }
    }
    metrics_publish();
    storage_close(st);
    backup_config_free(&cfg);
    return status;
}
