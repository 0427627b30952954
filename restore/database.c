/* neo4j-restore: the decisions for one database (DESIGN section 7). */
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "restore.h"

void restore_path(const struct restore_config *cfg, char *buf, size_t len, const char *fmt,
                  const char *db)
{
    char tail[512];

    snprintf(tail, sizeof(tail), fmt, db);
    snprintf(buf, len, "%s/%s", cfg->data_dir, tail);
}

/* Removes the staging folder (.restore itself goes with the lock, when
 * nothing else is in it), so a failed restore leaves DATA_DIR as it found
 * it. Only the holder of the DATA_DIR lock gets here. */
static void purge_staging(const char *staging)
{
    if (fsutil_remove_tree(staging) != NB_OK)
        log_warn("%s", nb_errmsg());
}

static nb_err open_storage(struct restore_run *run)
{
    struct storage_options opts = {.credentials_file = run->cfg->target.credentials};

    if (run->storage)
        return NB_OK;
    return storage_open(&run->cfg->target.loc, &opts, &run->storage);
}

/*
 * The marker DATA_DIR/.restore/DB.restoring means: "the files of DB under
 * DATA_DIR/databases and DATA_DIR/transactions may be neither the database
 * that was there nor the set: do not start on them; restore again". It is
 * written durably just before neo4j-admin may change them, and removed once
 * they are whole again: the set is in place (success), or neo4j-admin
 * failed having changed nothing (the trees' fingerprints before and after
 * are equal), which leaves the previous database as it was, as DESIGN
 * section 7 wants of a failure. So a failed forced restore that touched
 * nothing does not turn into a replacement at the next start without
 * FORCE_OVERWRITE; one that touched something does get redone.
 */
static nb_err replace_database(struct restore_run *run, const char *db, const char *staging,
                               const char *marker, bool replace, bool interrupted,
                               const char *archive)
{
    const struct restore_config *cfg = run->cfg;
    char dbdir[4200], txndir[4200];
    const char *trees[2] = {dbdir, txndir};
    unsigned char before[32], after[32];
    nb_err err, check;

    restore_path(cfg, dbdir, sizeof(dbdir), "databases/%s", db);
    restore_path(cfg, txndir, sizeof(txndir), "transactions/%s", db);
    if ((err = fsutil_tree_fingerprint(trees, 2, before)) ||
        (err = fsutil_write_durable(marker, archive)))
        return err;
    err = restore_install(run, db, staging, replace);
    if (!err)
        return fsutil_unlink_durable(marker);
    /* A marker found at the start stays: those files were half-replaced
     * before this run. */
    if (interrupted)
        return err;
    check = fsutil_tree_fingerprint(trees, 2, after);
    if (check == NB_OK && memcmp(before, after, sizeof(before)) == 0 &&
        fsutil_unlink_durable(marker) == NB_OK) {
        log_info("[%s] the restore changed nothing in %s or %s: the previous state is intact "
                 "and no restore is pending",
                 db, dbdir, txndir);
    } else {
        log_warn("[%s] the restore failed after changing %s: %s stays, so the next start "
                 "restores again",
                 db, dbdir, marker);
    }
    return err;
}

nb_err restore_database(struct restore_run *run, const char *db, enum restore_outcome *outcome)
{
    const struct restore_config *cfg = run->cfg;
    char staging[4200], marker[4200], dbdir[4200], txndir[4200];
    struct restore_source src;
    bool interrupted, exists;
    nb_err err;

    restore_path(cfg, staging, sizeof(staging), ".restore/%s", db);
    restore_path(cfg, marker, sizeof(marker), ".restore/%s.restoring", db);
    restore_path(cfg, dbdir, sizeof(dbdir), "databases/%s", db);
    restore_path(cfg, txndir, sizeof(txndir), "transactions/%s", db);
    interrupted = fsutil_exists(marker);
    exists = fsutil_dir_has_entries(dbdir) || fsutil_dir_has_entries(txndir);

    if (interrupted) {
        log_warn("[%s] a previous restore was interrupted while it replaced the database "
                 "(%s exists): restoring again",
                 db, marker);
    } else if (exists && !cfg->force_overwrite) {
        log_info("[%s] keeping the existing database in %s (FORCE_OVERWRITE=false)", db, dbdir);
        if (fsutil_exists(staging))
            purge_staging(staging);
        *outcome = OUTCOME_KEPT;
        return NB_OK;
    }

    if ((err = open_storage(run)))
        return err;
    err = restore_resolve(run->storage, db, cfg->timestamp, &src);
    if (err == NB_ERR_NOT_FOUND && cfg->missing_skip && !interrupted) {
        log_warn("[%s] %s; MISSING_BACKUP=skip: Neo4j will start this database empty", db,
                 nb_errmsg());
        *outcome = OUTCOME_SKIPPED;
        return NB_OK;
    }
    if (err)
        return err;

    /* Download, checksum and extraction: only the staging folder changes. */
    err = restore_fetch(run, db, &src, staging);
    if (err) {
        purge_staging(staging);
        return err;
    }

    /* From here the database is being replaced: a marker that survives a
     * kill makes the next start do it again. */
    if ((err = replace_database(run, db, staging, marker, exists || interrupted, interrupted,
                                src.archive))) {
        /* The next start downloads again whatever happens: free the room. */
        purge_staging(staging);
        return err;
    }
    if (cfg->purge_on_complete)
        purge_staging(staging);
    else
        log_info("[%s] kept the staging folder %s (PURGE_ON_COMPLETE=false)", db, staging);
    *outcome = OUTCOME_RESTORED;
    return NB_OK;
}
