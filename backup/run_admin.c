/* neo4j-backup: running neo4j-admin backup (and check on 5+) for one database. */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "fsutil.h"
#include "log.h"

void backup_set_dir(const struct backup_config *cfg, const char *db, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", cfg->backup_dir, db);
}

void backup_report_dir(const struct backup_config *cfg, const char *db, char *buf, size_t len)
{
    snprintf(buf, len, "%s/.reports/%s", cfg->backup_dir, db);
}

static nb_err run(const struct argv_list *argv, const struct backup_config *cfg, int *status)
{
    char heap[128];
    char *env[] = {heap, NULL};

    snprintf(heap, sizeof(heap), "HEAP_SIZE=%s", cfg->heap_size);
    return neo4j_admin_run(argv, env, status);
}

nb_err backup_run_admin(const struct backup_config *cfg, const struct neo4j_admin *admin,
                        const char *db, char *backup_type, size_t type_len, char *consistency,
                        size_t consistency_len)
{
    char set_dir[4096], report_dir[4096];
    struct argv_list argv = {0};
    struct backup_request req;
    bool incremental;
    int status = 0;
    nb_err err;

    backup_set_dir(cfg, db, set_dir, sizeof(set_dir));
    backup_report_dir(cfg, db, report_dir, sizeof(report_dir));
    if (cfg->remove_existing_files && (err = fsutil_remove_tree(set_dir)))
        return err;
    /* 4.4 requires --backup-dir to exist. */
    if ((err = fsutil_mkdir_p(cfg->backup_dir, 0755)) || (err = fsutil_remove_tree(report_dir)) ||
        (err = fsutil_mkdir_p(report_dir, 0755)))
        return err;
    incremental = fsutil_dir_has_entries(set_dir);
    memset(&req, 0, sizeof(req));
    req.database = db;
    req.backup_dir = admin->dialect == DIALECT_44 ? cfg->backup_dir : set_dir;
    req.from = cfg->neo4j_addr;
    req.pagecache = cfg->page_cache;
    req.report_dir = report_dir;
    req.fallback_to_full = cfg->fallback_to_full;
    req.check_consistency = cfg->check_consistency;
    req.check_graph = cfg->check_graph;
    req.check_indexes = cfg->check_indexes;
    req.check_label_scan_store = cfg->check_label_scan_store;
    req.check_property_owners = cfg->check_property_owners;
    /* 5+: a folder without artifacts gets a full backup; else AUTO falls
     * back to full like FALLBACK_TO_FULL=true, DIFF refuses to. */
    req.type = !incremental ? "FULL" : cfg->fallback_to_full ? "AUTO" : "DIFF";
    snprintf(backup_type, type_len, "%s",
             admin->dialect == DIALECT_5 ? req.type
             : incremental               ? "INCREMENTAL"
                                         : "FULL");
    if (admin->dialect == DIALECT_5 && (err = fsutil_mkdir_p(set_dir, 0755)))
        return err;

    log_info("[%s] backing up from %s into %s (%s)", db, cfg->neo4j_addr, set_dir, backup_type);
    err = neo4j_admin_backup_argv(admin, &req, &argv);
    if (!err)
        err = run(&argv, cfg, &status);
    argv_free(&argv);
    if (err)
        return err;

    snprintf(consistency, consistency_len, "%s", cfg->check_consistency ? "passed" : "skipped");
    if (admin->dialect == DIALECT_44) {
        /* 4.4: 2 = backup done, check could not run; 3 = inconsistencies. */
        if (status == 2 || status == 3) {
            snprintf(consistency, consistency_len, "failed");
            log_warn("[%s] neo4j-admin backup exited %d: the backup was taken but its consistency "
                     "check %s",
                     db, status, status == 2 ? "could not run" : "found inconsistencies");
            return NB_OK;
        }
        if (status != 0)
            return nb_error(NB_ERR_ADMIN,
                            "neo4j-admin backup of '%s' from %s failed (exit %d): see its output "
                            "above; check NEO4J_ADDR and that the backup port is open",
                            db, cfg->neo4j_addr, status);
        return NB_OK;
    }
    if (status != 0)
        return nb_error(NB_ERR_ADMIN,
                        "neo4j-admin database backup of '%s' from %s failed (exit %d): see its "
                        "output above; check NEO4J_ADDR and that the backup port is open",
                        db, cfg->neo4j_addr, status);
    if (!cfg->check_consistency)
        return NB_OK;
    log_info("[%s] checking the consistency of the new backup", db);
    err = neo4j_admin_check_argv(admin, &req, &argv);
    if (!err)
        err = run(&argv, cfg, &status);
    argv_free(&argv);
    if (err)
        return err;
    if (status != 0) {
        snprintf(consistency, consistency_len, "failed");
        log_warn("[%s] neo4j-admin database check exited %d: the backup is inconsistent", db,
                 status);
    }
    return NB_OK;
}
