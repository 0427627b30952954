/* neo4j-restore: its configuration and steps. */
#ifndef NB_RESTORE_H
#define NB_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "location.h"
#include "manifest.h"
#include "neo4j_admin.h"
#include "storage/storage.h"

struct restore_config {
    struct config_target target; /* BUCKET, DATABASE, credentials */
    const char *timestamp;       /* "latest" or a TIMESTAMP */
    bool force_overwrite;
    bool purge_on_complete;
    bool unbind;
    bool missing_skip;
    const char *backup_set_dir; /* NULL or relative to the archive's root */
    const char *data_dir;
    const char *admin_program;
    const char *admin_dialect;
    uid_t owner_uid;
    gid_t owner_gid;
    long lock_timeout; /* RESTORE_LOCK_TIMEOUT, seconds */
};

/* State shared by the databases of one run; storage and neo4j-admin are
 * reached only when a database needs them. */
struct restore_run {
    const struct restore_config *cfg;
    struct storage *storage;
    struct neo4j_admin admin;
    bool admin_ready;
    bool unbound;
    int lock_fd;            /* the DATA_DIR lock, -1 when not held */
    uint64_t fetched_bytes; /* archive bytes of the last database's download */
};

/* lock.c: one restore at a time per DATA_DIR (DATA_DIR/.restore/.lock),
 * waiting up to RESTORE_LOCK_TIMEOUT; NB_ERR_USAGE when another run keeps
 * it. Held until restore_unlock(), which also removes an empty .restore. */
nb_err restore_lock(const struct restore_config *cfg, struct restore_run *run) NB_WARN_UNUSED;
void restore_unlock(const struct restore_config *cfg, struct restore_run *run);

nb_err restore_options(int argc, char **argv, struct restore_config *cfg,
                       bool *exit_now) NB_WARN_UNUSED;
void restore_config_free(struct restore_config *cfg);

/* resolve.c: which archive holds the wanted set. */
struct restore_source {
    char archive[512]; /* relative to the location: DB/DB-TIMESTAMP.tar.gz */
    bool have_manifest;
    struct manifest manifest;
};
nb_err restore_resolve(struct storage *st, const char *db, const char *timestamp,
                       struct restore_source *src) NB_WARN_UNUSED;

/* fetch.c: one stream from storage through SHA-256 into the staging folder. */
nb_err restore_fetch(struct restore_run *run, const char *db, const struct restore_source *src,
                     const char *staging) NB_WARN_UNUSED;

/* install.c: from the verified staging folder into DATA_DIR with neo4j-admin. */
nb_err restore_install(struct restore_run *run, const char *db, const char *staging,
                       bool replace) NB_WARN_UNUSED;

/* Paths under DATA_DIR. */
void restore_path(const struct restore_config *cfg, char *buf, size_t len, const char *fmt,
                  const char *db);

/* What happened to one database, for its summary line. */
enum restore_outcome { OUTCOME_RESTORED, OUTCOME_KEPT, OUTCOME_SKIPPED };

nb_err restore_database(struct restore_run *run, const char *db,
                        enum restore_outcome *outcome) NB_WARN_UNUSED;

#endif
