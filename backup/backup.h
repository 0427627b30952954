/* neo4j-backup: its configuration and steps. */
#ifndef NB_BACKUP_H
#define NB_BACKUP_H

#include <stdbool.h>

#include "archive_io.h"
#include "config.h"
#include "location.h"
#include "neo4j_admin.h"
#include "retention.h"
#include "storage/storage.h"

struct backup_config {
    struct config_target target; /* BUCKET, DATABASE, credentials */
    const char *neo4j_addr;
    const char *heap_size;
    const char *page_cache;
    const char *backup_dir;
    const char *admin_program;
    const char *admin_dialect;
    const char *timestamp; /* NULL: now */
    bool fallback_to_full;
    bool check_consistency;
    bool check_indexes;
    bool check_graph;
    bool check_label_scan_store;
    bool check_property_owners;
    bool remove_existing_files;
    bool remove_backup_files;
    struct archive_create_options archive;
    struct retention_policy retention; /* KEEP_*: prune after each good backup */
};

/* options.c: fills cfg from argv and the environment. */
nb_err backup_options(int argc, char **argv, struct backup_config *cfg,
                      bool *exit_now) NB_WARN_UNUSED;
void backup_config_free(struct backup_config *cfg);

/* What one database's backup produced, for the summary line. */
struct backup_result {
    char archive[512];
    uint64_t bytes;
    char consistency[8];
    uint64_t content_bytes;
};

/* run_admin.c: neo4j-admin backup (and, on 5+, check) into BACKUP_DIR/DB. */
nb_err backup_run_admin(const struct backup_config *cfg, const struct neo4j_admin *admin,
                        const char *db, char *backup_type, size_t type_len, char *consistency,
                        size_t consistency_len) NB_WARN_UNUSED;

/* upload.c: archive, manifest, report and latest pointer for one database. */
nb_err backup_database(const struct backup_config *cfg, struct storage *st,
                       const struct neo4j_admin *admin, const char *db, const char *stamp,
                       struct backup_result *res) NB_WARN_UNUSED;

/* Folders of one database under BACKUP_DIR. */
void backup_set_dir(const struct backup_config *cfg, const char *db, char *buf, size_t len);
void backup_report_dir(const struct backup_config *cfg, const char *db, char *buf, size_t len);

#endif
