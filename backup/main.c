/* neo4j-backup: set up, back up every database, one summary line each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup.h"
#include "log.h"
#include "naming.h"

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
        double started = monotonic_seconds();

        memset(&res, 0, sizeof(res));
        nb_error_clear();
        err = backup_database(&cfg, st, &admin, db, stamp, &res);
        if (err) {
            log_error("[%s] %s", db, nb_errmsg());
            log_info("summary: %s: failed, exit %d (%s)", db, nb_exit_code(err), nb_strerror(err));
            if (status == EXIT_OK)
                status = nb_exit_code(err);
        } else {
            log_info("summary: %s: backed up to %s (%llu bytes, consistency %s) in %.1f s", db,
                     storage_url(st, res.archive), (unsigned long long)res.bytes, res.consistency,
                     monotonic_seconds() - started);
        }
    }
    storage_close(st);
    backup_config_free(&cfg);
    return status;
}
