/* neo4j-backup verify: each chosen set through SHA-256 and the archive
 * decoder, writing nothing, compared with its manifest; --deep restores it
 * into a scratch folder with neo4j-restore's code and runs neo4j-admin's
 * consistency check on the result: a restore drill (DESIGN section 11). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../restore/restore.h"
#include "archive_io.h"
#include "commands.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "storage/pipeline.h"

enum {
    OPT_TIMESTAMP,
    OPT_DEEP,
    OPT_SCRATCH_DIR,
    OPT_BACKUP_DIR,
    OPT_NEO4J_ADMIN,
    OPT_NEO4J_ADMIN_DIALECT,
    OPT_COUNT
};

struct verify_ctx {
    struct command_target *t;
    bool deep;
    const char *scratch_base;
    const char *admin_program;
    const char *admin_dialect;
};

/* Streams `archive` through the decoder; compares with m when given. */
static nb_err check_archive(struct storage *st, const char *db, const char *stamp,
                            const char *archive, const struct manifest *m)
{
    struct storage_reader *r = NULL;
    struct archive_stats stats;
    char what[4200];
    struct log_fields f = LOG_FIELDS_NONE;
    double started = monotonic_seconds(), secs;
    nb_err err;

    snprintf(what, sizeof(what), "%s", storage_url(st, archive));
    if ((err = storage_open_read(st, archive, 0, 0, &r)))
        return err == NB_ERR_NOT_FOUND && m
                   ? nb_error(NB_ERR_INTEGRITY,
                              "the manifest of %s at %s names '%s', which does not exist: the set "
                              "is incomplete",
                              db, stamp, what)
                   : err;
    if ((err = storage_prefetch(r, PIPELINE_CHUNK_SIZE, PIPELINE_CHUNKS, &r)))
        return err;
    err = archive_verify(r, m ? m->archive_bytes : r->size, what, &stats);
    r->close(r);
    if (err)
        return err;
    secs = monotonic_seconds() - started;
    f.database = db;
    f.object = what;
    f.bytes = (int64_t)stats.archive_bytes;
    f.rate = secs > 0 ? (double)stats.archive_bytes / secs : 0.0;
    if (!m) {
        log_fields(LOG_WARN, &f,
                   "%s decoded whole (%llu files, %llu bytes) but has no manifest: no checksum "
                   "could be compared (sha256 %s)",
                   what, (unsigned long long)stats.content_files,
                   (unsigned long long)stats.content_bytes, stats.sha256);
        printf("%s %s ok: decoded %llu bytes, %llu files; legacy set, no checksum compared\n", db,
               stamp, (unsigned long long)stats.archive_bytes,
               (unsigned long long)stats.content_files);
        return NB_OK;
    }
    if (stats.archive_bytes != m->archive_bytes)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is %llu bytes but its manifest says %llu: it is truncated "
                        "or damaged",
                        what, (unsigned long long)stats.archive_bytes,
                        (unsigned long long)m->archive_bytes);
    if (strcmp(stats.sha256, m->sha256) != 0)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' has sha256 %s but its manifest says %s: it is damaged", what,
                        stats.sha256, m->sha256);
    if (stats.content_bytes != m->content_bytes || stats.content_files != m->content_files)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' holds %llu files (%llu bytes) but its manifest says %llu "
                        "(%llu bytes)",
                        what, (unsigned long long)stats.content_files,
                        (unsigned long long)stats.content_bytes,
                        (unsigned long long)m->content_files, (unsigned long long)m->content_bytes);
    log_fields(LOG_INFO, &f,
               "[%s] verified %s: %llu bytes, sha256 %s, %llu files as the manifest "
               "says",
               db, what, (unsigned long long)stats.archive_bytes, stats.sha256,
               (unsigned long long)stats.content_files);
    printf("%s %s ok: %llu bytes, sha256 matches the manifest, %llu files\n", db, stamp,
           (unsigned long long)stats.archive_bytes, (unsigned long long)stats.content_files);
    return NB_OK;
}

/* Logs the first lines of each file of neo4j-admin's report folder, so the
 * drill's findings outlive the scratch folder. */
static void log_report(const char *db, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        char path[4400], line[1024];
        FILE *f;
        int n = 0;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        log_warn("[%s] neo4j-admin's report %s:", db, de->d_name);
        while (n++ < 40 && fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            log_warn("[%s]   %s", db, line);
        }
        fclose(f);
    }
    if (d)
        closedir(d);
}

/* The restore drill: neo4j-restore's code into a fresh scratch folder, then
 * neo4j-admin's consistency check of what it restored. */
static nb_err drill(struct verify_ctx *v, const char *db, const char *stamp)
{
    char scratch[4200], conf[4300], report[4300], dbs[4300], txns[4300], text[9000];
    struct restore_config rc;
    struct restore_run run;
    struct check_request req;
    struct argv_list argv = {0};
    enum restore_outcome outcome;
    int status = 0;
    nb_err err;

    snprintf(scratch, sizeof(scratch), "%s/verify-%s-XXXXXX", v->scratch_base, db);
    if ((err = fsutil_mkdir_p(v->scratch_base, 0750)))
        return err;
    if (!mkdtemp(scratch))
        return nb_error(NB_ERR_LOCAL_IO,
                        "unable to create a scratch folder in '%s' for the restore drill: check "
                        "SCRATCH_DIR (or BACKUP_DIR) and its free space",
                        v->scratch_base);
    memset(&rc, 0, sizeof(rc));
    rc.target = v->t->target;
    rc.timestamp = stamp;
    rc.force_overwrite = true;
    rc.purge_on_complete = true;
    rc.data_dir = scratch;
    rc.admin_program = v->admin_program;
    rc.admin_dialect = v->admin_dialect;
    rc.owner_uid = geteuid();
    rc.owner_gid = getegid();
    memset(&run, 0, sizeof(run));
    run.cfg = &rc;
    run.storage = v->t->storage;
    log_info("[%s] restore drill of %s into %s", db, stamp, scratch);
    err = restore_database(&run, db, &outcome);
    if (!err) {
        snprintf(conf, sizeof(conf), "%s/drill.conf", scratch);
        snprintf(report, sizeof(report), "%s/report", scratch);
        snprintf(dbs, sizeof(dbs), "%s/databases", scratch);
        snprintf(txns, sizeof(txns), "%s/transactions", scratch);
        snprintf(text, sizeof(text),
                 "# written by neo4j-backup verify --deep\ndbms.directories.data=%s\n"
                 "dbms.directories.transaction.logs.root=%s\n",
                 scratch, txns);
        req = (struct check_request){db, dbs, txns, conf, report};
        err = fsutil_mkdir_p(report, 0750);
        if (!err && run.admin.dialect == DIALECT_44)
            err = fsutil_write_durable(conf, text);
        if (!err)
            err = neo4j_admin_check_restored_argv(&run.admin, &req, &argv);
        if (!err) {
            log_info("[%s] checking the consistency of the restored database", db);
            err = neo4j_admin_run(&argv, NULL, &status);
            argv_free(&argv);
        }
        if (!err && status != 0) {
            log_report(db, report);
            err = nb_error(NB_ERR_CONSISTENCY,
                           "the restore drill of %s at %s restored it, but neo4j-admin's "
                           "consistency check failed (exit %d): the set is not a good restore "
                           "point; see the report above",
                           db, stamp, status);
        }
    }
    if (fsutil_remove_tree(scratch) != NB_OK)
        log_warn("[%s] %s", db, nb_errmsg());
    if (!err)
        printf("%s %s ok: restored and consistent (restore drill)\n", db, stamp);
    return err;
}

static nb_err verify_set(struct verify_ctx *v, struct catalog_db *db, struct catalog_set *s)
{
    struct storage *st = v->t->storage;
    char archive[512];
    nb_err err;

    if (catalog_legacy(s)) {
        naming_object(archive, sizeof(archive), db->name, s->stamp,
                      s->has_zstd ? OBJECT_ARCHIVE_ZSTD : OBJECT_ARCHIVE_GZIP);
        err = check_archive(st, db->name, s->stamp, archive, NULL);
    } else {
        if ((err = catalog_manifest(st, db, s)))
            return err;
        snprintf(archive, sizeof(archive), "%s/%s", db->name, s->manifest.archive_name);
        err = check_archive(st, db->name, s->stamp, archive, &s->manifest);
    }
    if (!err && v->deep)
        err = drill(v, db->name, s->stamp);
    return err;
}

/* A latest that is only a copy (DB-latest.tar.gz, no manifest). */
static nb_err verify_legacy_latest(struct verify_ctx *v, struct catalog_db *db)
{
    static const enum object_kind kinds[] = {OBJECT_ARCHIVE_GZIP, OBJECT_ARCHIVE_ZSTD};
    struct storage_info info;
    char archive[512];
    nb_err err;

    for (size_t i = 0; i < 2; i++) {
        naming_object(archive, sizeof(archive), db->name, NAMING_LATEST, kinds[i]);
        if ((err = storage_stat(v->t->storage, archive, &info)))
            return err;
        if (!info.exists)
            continue;
        err = check_archive(v->t->storage, db->name, NAMING_LATEST, archive, NULL);
        if (!err && v->deep)
            err = drill(v, db->name, NAMING_LATEST);
        return err;
    }
    return nb_error(NB_ERR_NOT_FOUND, "no latest set of '%s' to verify", db->name);
}

/* Prints the failure of `which` on stdout beside the ok lines. */
static nb_err failed(const char *db, const char *which, nb_err err)
{
    printf("%s %s FAILED: %s\n", db, which, nb_errmsg());
    return err;
}

static nb_err verify_latest(struct verify_ctx *v, struct catalog_db *db)
{
    struct catalog_set *s = db->latest[0] ? catalog_find(db, db->latest) : NULL;

    if (db->latest[0] && !s)
        return nb_error(NB_ERR_INTEGRITY,
                        "%s-latest.manifest.json names %s, whose manifest does not exist", db->name,
                        db->latest);
    if (s && s->marked)
        return nb_error(NB_ERR_INTEGRITY,
                        "%s-latest.manifest.json names %s, which a prune is removing", db->name,
                        db->latest);
    if (!s && db->has_latest_archive)
        return verify_legacy_latest(v, db);
    if (!s)
        return nb_error(NB_ERR_NOT_FOUND, "no latest backup of '%s' in %s to verify", db->name,
                        storage_url(v->t->storage, db->name));
    return verify_set(v, db, s);
}

static nb_err verify_database(struct verify_ctx *v, struct catalog_db *db, const char *which)
{
    size_t done = 0, n_failed = 0;
    nb_err err, first = NB_OK;

    if (strcmp(which, NAMING_LATEST) == 0) {
        err = verify_latest(v, db);
        return err ? failed(db->name, db->latest[0] ? db->latest : which, err) : NB_OK;
    }
    for (size_t i = 0; i < db->n_sets; i++) {
        struct catalog_set *s = &db->sets[i];
        if (s->marked || (strcmp(which, "all") != 0 && strcmp(which, s->stamp) != 0))
            continue;
        done++;
        nb_error_clear();
        err = verify_set(v, db, s);
        if (err) {
            log_error("[%s] %s", db->name, nb_errmsg());
            failed(db->name, s->stamp, err);
            n_failed++;
            if (!first)
                first = err;
        }
    }
    if (done == 0)
        return failed(db->name, which,
                      nb_error(NB_ERR_NOT_FOUND, "no backup of '%s' %s%s in %s to verify", db->name,
                               strcmp(which, "all") == 0 ? "" : "taken at ",
                               strcmp(which, "all") == 0 ? "" : which,
                               storage_url(v->t->storage, db->name)));
    if (first)
        nb_error(first, "%zu of %zu set(s) of '%s' failed verification", n_failed, done, db->name);
    return first;
}

int cmd_verify(int argc, char **argv)
{
    struct option_def opts[OPT_COUNT] = {
        [OPT_TIMESTAMP] = {"timestamp", "VERIFY_TIMESTAMP", OPTION_STRING, "latest", "WHICH",
                           "latest, all, or one set's TIMESTAMP"},
        [OPT_DEEP] = {"deep", "VERIFY_DEEP", OPTION_BOOL, "false", NULL,
                      "also restore each set into SCRATCH_DIR (as neo4j-restore does) and run "
                      "neo4j-admin's consistency check on it: a restore drill"},
        [OPT_SCRATCH_DIR] = {"scratch-dir", "SCRATCH_DIR", OPTION_STRING, NULL, "DIR",
                             "where --deep restores (a fresh folder inside it, removed "
                             "afterwards); default BACKUP_DIR"},
        [OPT_BACKUP_DIR] = {"backup-dir", "BACKUP_DIR", OPTION_STRING, "/backups", "DIR",
                            "neo4j-backup's working folder"},
        [OPT_NEO4J_ADMIN] = CONFIG_OPTION_NEO4J_ADMIN,
        [OPT_NEO4J_ADMIN_DIALECT] = CONFIG_OPTION_NEO4J_ADMIN_DIALECT,
    };
    struct command_target t;
    struct verify_ctx v;
    struct catalog cat;
    bool exit_now = false;
    const char *which;
    int status = EXIT_OK;
    nb_err err;

    memset(&v, 0, sizeof(v));
    metrics_init("neo4j-verify");
    err = command_setup("verify",
                        "Streams each chosen set through SHA-256 and the archive decoder, "
                        "writing nothing, and\ncompares it with its manifest (exit 5 on any "
                        "mismatch, 3 when there is nothing to\nverify). --deep restores it into "
                        "a scratch folder with neo4j-restore's code and runs\nneo4j-admin's "
                        "consistency check on the result (exit 7 when it fails).",
                        opts, OPT_COUNT, argc, argv, &t, &exit_now);
    if (!err && !exit_now) {
        which = opts[OPT_TIMESTAMP].value;
        if (strcmp(which, "latest") != 0 && strcmp(which, "all") != 0 &&
            !naming_timestamp_valid(which))
            err = nb_error(NB_ERR_USAGE,
                           "--timestamp '%s' is neither latest, all nor a set's timestamp like "
                           "2026-11-24-13:05:00",
                           which);
        else
            err = config_bool(&opts[OPT_DEEP], &v.deep);
    }
    if (!err && !exit_now) {
        v.scratch_base = opts[OPT_SCRATCH_DIR].value && *opts[OPT_SCRATCH_DIR].value
                             ? opts[OPT_SCRATCH_DIR].value
                             : opts[OPT_BACKUP_DIR].value;
        if (v.scratch_base[0] != '/')
            err = nb_error(NB_ERR_USAGE, "the scratch folder '%s' is not an absolute path",
                           v.scratch_base);
    }
    if (err || exit_now) {
        if (err)
            log_error("%s", nb_errmsg());
        command_teardown(&t);
        return err ? nb_exit_code(err) : EXIT_OK;
    }
    v.t = &t;
    v.admin_program = opts[OPT_NEO4J_ADMIN].value;
    v.admin_dialect = opts[OPT_NEO4J_ADMIN_DIALECT].value;
    which = opts[OPT_TIMESTAMP].value;
    err = catalog_load(t.storage, t.target.databases, t.target.n_databases, &cat);
    if (!err && cat.n_dbs == 0)
        err = nb_error(NB_ERR_NOT_FOUND, "no backups in %s to verify: check BUCKET",
                       t.target.loc.display);
    if (err) {
        log_error("%s", nb_errmsg());
        command_teardown(&t);
        return nb_exit_code(err);
    }
    for (size_t i = 0; i < cat.n_dbs; i++) {
        const char *db = cat.dbs[i].name;
        double started = monotonic_seconds();
        time_t now = time(NULL);
        struct log_fields f = LOG_FIELDS_NONE;

        nb_error_clear();
        err = verify_database(&v, &cat.dbs[i], which);
        f.database = db;
        f.exit_code = err ? nb_exit_code(err) : 0;
        if (err) {
            log_error("[%s] %s", db, nb_errmsg());
            log_fields(LOG_INFO, &f, "summary: %s: verify failed, exit %d (%s)", db,
                       nb_exit_code(err), nb_strerror(err));
            if (status == EXIT_OK)
                status = nb_exit_code(err);
        } else {
            log_fields(LOG_INFO, &f, "summary: %s: verified%s in %.1f s", db,
                       v.deep ? " and restored (drill)" : "", monotonic_seconds() - started);
            metrics_set("neo4j_verify_last_success_timestamp_seconds", db, (double)time(NULL));
        }
        metrics_set("neo4j_verify_last_run_timestamp_seconds", db, (double)now);
        metrics_set("neo4j_verify_success", db, err ? 0 : 1);
        metrics_set("neo4j_verify_exit_code", db, f.exit_code);
        metrics_set("neo4j_verify_duration_seconds", db, monotonic_seconds() - started);
        metrics_set("neo4j_verify_deep", db, v.deep ? 1 : 0);
    }
    metrics_publish();
    catalog_free(&cat);
    command_teardown(&t);
    return status;
}
