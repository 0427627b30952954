/* neo4j-backup: archive, manifest, report and latest pointer of one database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup.h"
#include "config.h"
#include "fsutil.h"
#include "log.h"
#include "manifest.h"
#include "naming.h"
#include "storage/pipeline.h"

/* Streams `dir` into the new object `name`; nothing appears under the name
 * unless the whole archive was written, and an object already there is
 * never replaced (NB_ERR_EXISTS: another backup took the name first). */
static nb_err upload_dir(struct storage *st, const char *dir, const char *entry_prefix,
                         const struct archive_create_options *opts, const char *name,
                         struct archive_stats *stats)
{
    struct storage_writer *w = NULL;
    uint64_t bytes = 0, files = 0;
    char what[4200];
    nb_err err;

    snprintf(what, sizeof(what), "%s", storage_url(st, name));
    if ((err = fsutil_tree_size(dir, &bytes, &files)))
        return err;
    /* An upload thread takes the archive while the next bytes compress. */
    if ((err = storage_open_write_new(st, name, bytes, &w)) ||
        (err = storage_write_behind(w, PIPELINE_CHUNK_SIZE, PIPELINE_CHUNKS, &w)))
        return err;
    log_info("uploading %s (%llu files, %llu bytes before %s)", what, (unsigned long long)files,
             (unsigned long long)bytes, compression_name(opts->compression));
    err = archive_create(dir, entry_prefix, opts, w, what, stats);
    if (err) {
        w->abort(w);
        return err;
    }
    return w->commit(w);
}

static nb_err write_manifest(struct storage *st, const struct manifest *m, const char *name)
{
    char *json = NULL;
    nb_err err = manifest_to_json(m, &json);

    if (!err)
        err = storage_write_small_new(st, name, json, strlen(json));
    free(json);
    return err;
}

/* Moves DB-latest to this set: archive first, then the manifest that names
 * the timestamped archive (restore follows the manifest). */
static nb_err move_latest(struct storage *st, const char *db, enum compression c,
                          const char *archive, const char *manifest)
{
    char latest[512], latest_manifest[512], stale[512];
    enum object_kind other = c == COMPRESSION_GZIP ? OBJECT_ARCHIVE_ZSTD : OBJECT_ARCHIVE_GZIP;
    nb_err err;

    naming_object(latest, sizeof(latest), db, NAMING_LATEST, naming_archive_kind(c));
    naming_object(latest_manifest, sizeof(latest_manifest), db, NAMING_LATEST, OBJECT_MANIFEST);
    naming_object(stale, sizeof(stale), db, NAMING_LATEST, other);
    if ((err = storage_copy(st, archive, latest)) ||
        (err = storage_copy(st, manifest, latest_manifest)))
        return err;
    /* A latest copy in the other compression would now be stale. */
    err = storage_remove(st, stale);
    if (err == NB_ERR_NOT_FOUND)
        err = NB_OK;
    if (!err)
        log_info("[%s] %s now points to %s", db, storage_url(st, latest_manifest),
                 naming_basename(archive));
    return err;
}

/* Another run wrote this stamp's set at the same moment (its objects are
 * created exclusively, so exactly one run wins): ours is discarded. */
static nb_err lost_race(struct storage *st, const char *db, const char *stamp, const char *name)
{
    return nb_error(NB_ERR_EXISTS,
                    "the set of '%s' stamped %s was written by another backup at the same moment "
                    "(%s exists): sets are never overwritten, so this run's copy was discarded "
                    "and the other one kept; do not start backups with one BACKUP_TIMESTAMP side "
                    "by side",
                    db, stamp, storage_url(st, name));
}

/* Sets are immutable: a stamp that exists is never written again (checked
 * here to fail early; the exclusive writes below enforce it). */
static nb_err refuse_existing(struct storage *st, const char *name)
{
    struct storage_info info;
    nb_err err = storage_stat(st, name, &info);

    if (!err && info.exists)
        err = nb_error(NB_ERR_USAGE,
                       "%s exists already: sets are never overwritten; run again a second later "
                       "or choose another BACKUP_TIMESTAMP",
                       storage_url(st, name));
    return err;
}

nb_err backup_database(const struct backup_config *cfg, struct storage *st,
                       const struct neo4j_admin *admin, const char *db, const char *stamp,
                       struct backup_result *res)
{
    char set_dir[4096], report_dir[4096], prefix[128];
    char archive[512], manifest_name[512], report[512];
    struct archive_stats stats, rstats;
    struct manifest m;
    time_t now;
    nb_err err;

    memset(&m, 0, sizeof(m));
    naming_object(archive, sizeof(archive), db, stamp,
                  naming_archive_kind(cfg->archive.compression));
    naming_object(manifest_name, sizeof(manifest_name), db, stamp, OBJECT_MANIFEST);
    if ((err = refuse_existing(st, manifest_name)) || (err = refuse_existing(st, archive)))
        return err;
    backup_set_dir(cfg, db, set_dir, sizeof(set_dir));
    backup_report_dir(cfg, db, report_dir, sizeof(report_dir));
    err = backup_run_admin(cfg, admin, db, m.backup_type, sizeof(m.backup_type), m.consistency,
                           sizeof(m.consistency));
    if (err)
        return err;
    if (!fsutil_dir_has_entries(set_dir))
        return nb_error(NB_ERR_ADMIN,
                        "neo4j-admin reported success but wrote nothing into '%s': check "
                        "BACKUP_DIR and the database name '%s'",
                        set_dir, db);

    snprintf(prefix, sizeof(prefix), "backups/%s", db);
    err = upload_dir(st, set_dir, prefix, &cfg->archive, archive, &stats);
    if (err == NB_ERR_EXISTS)
        return lost_race(st, db, stamp, archive);
    if (err)
        return err;

    snprintf(m.database, sizeof(m.database), "%s", db);
    snprintf(m.timestamp, sizeof(m.timestamp), "%s", stamp);
    snprintf(m.archive_name, sizeof(m.archive_name), "%s", naming_basename(archive));
    m.archive_bytes = stats.archive_bytes;
    memcpy(m.sha256, stats.sha256, sizeof(m.sha256));
    m.compression = cfg->archive.compression;
    m.content_bytes = stats.content_bytes;
    m.content_files = stats.content_files;
    snprintf(m.dialect, sizeof(m.dialect), "%s", dialect_name(admin->dialect));
    snprintf(m.neo4j_version, sizeof(m.neo4j_version), "%s", admin->version);
    snprintf(m.tool_version, sizeof(m.tool_version), "%s", TOOL_VERSION);
    now = time(NULL);
    strftime(m.created, sizeof(m.created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    err = write_manifest(st, &m, manifest_name);
    if (err == NB_ERR_EXISTS) {
        /* The winner wrote the other compression's archive: ours is an
         * orphan that we alone created. */
        if (storage_remove(st, archive) != NB_OK)
            log_warn("[%s] %s", db, nb_errmsg());
        return lost_race(st, db, stamp, manifest_name);
    }
    if (err)
        return err;
    log_info("[%s] wrote %s (%llu bytes, sha256 %s)", db, storage_url(st, archive),
             (unsigned long long)stats.archive_bytes, stats.sha256);

    if (fsutil_dir_has_entries(report_dir)) {
        struct archive_create_options gz = {.compression = COMPRESSION_GZIP};
        naming_object(report, sizeof(report), db, stamp, OBJECT_REPORT);
        snprintf(prefix, sizeof(prefix), "reports/%s", db);
        err = upload_dir(st, report_dir, prefix, &gz, report, &rstats);
        if (err == NB_ERR_EXISTS)
            return lost_race(st, db, stamp, report);
        if (err)
            return err;
        log_info("[%s] uploaded neo4j-admin's report as %s", db, storage_url(st, report));
    }

    snprintf(res->archive, sizeof(res->archive), "%s", archive);
    res->bytes = stats.archive_bytes;
    res->content_bytes = stats.content_bytes;
    snprintf(res->consistency, sizeof(res->consistency), "%s", m.consistency);
    if (strcmp(m.consistency, "failed") == 0)
        return nb_error(NB_ERR_CONSISTENCY,
                        "the consistency check of '%s' failed: the set is kept as %s (its "
                        "manifest says so) but %s-latest was not moved; read the report %s",
                        db, archive, db,
                        fsutil_dir_has_entries(report_dir) ? report : "in neo4j-admin's output");
    if ((err = move_latest(st, db, cfg->archive.compression, archive, manifest_name)))
        return err;
    if (cfg->remove_backup_files) {
        if ((err = fsutil_remove_tree(set_dir)) || (err = fsutil_remove_tree(report_dir)))
            return err;
    }
    return NB_OK;
}
