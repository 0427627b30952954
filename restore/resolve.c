/* neo4j-restore: which archive holds the wanted set (DESIGN section 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "naming.h"
#include "restore.h"

/* Reads and checks the manifest `name`; NB_ERR_NOT_FOUND when absent. */
static nb_err load_manifest(struct storage *st, const char *db, const char *name,
                            struct restore_source *src)
{
    char *json = NULL;
    size_t len = 0;
    char url[4200];
    struct storage_info info;
    nb_err err;

    snprintf(url, sizeof(url), "%s", storage_url(st, name));
    err = storage_read_small(st, name, MANIFEST_MAX_BYTES, &json, &len);
    if (err)
        return err;
    err = manifest_parse(json, len, url, &src->manifest);
    free(json);
    if (err)
        return err;
    if (strcmp(src->manifest.database, db) != 0)
        return nb_error(NB_ERR_INTEGRITY, "manifest '%s' describes database '%s', not '%s'", url,
                        src->manifest.database, db);
    snprintf(src->archive, sizeof(src->archive), "%s/%s", db, src->manifest.archive_name);
    if ((err = storage_stat(st, src->archive, &info)))
        return err;
    if (!info.exists)
        return nb_error(NB_ERR_INTEGRITY,
                        "manifest '%s' names the archive '%s', which does not exist: the set is "
                        "incomplete; restore another TIMESTAMP",
                        url, storage_url(st, src->archive));
    src->have_manifest = true;
    log_info("[%s] %s names %s (%llu bytes, sha256 %s, taken %s, consistency %s)", db, url,
             src->manifest.archive_name, (unsigned long long)src->manifest.archive_bytes,
             src->manifest.sha256, src->manifest.timestamp,
             src->manifest.consistency[0] ? src->manifest.consistency : "unknown");
    return NB_OK;
}

/* Sets made by other tools have no manifest: DB-STAMP.tar.gz or .tar.zst. */
static nb_err find_bare_archive(struct storage *st, const char *db, const char *stamp,
                                struct restore_source *src)
{
    static const enum object_kind kinds[] = {OBJECT_ARCHIVE_GZIP, OBJECT_ARCHIVE_ZSTD};
    struct storage_info info;
    nb_err err;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        naming_object(src->archive, sizeof(src->archive), db, stamp, kinds[i]);
        if ((err = storage_stat(st, src->archive, &info)))
            return err;
        if (info.exists) {
            log_warn("[%s] no manifest beside %s (a set made by another tool): reading it "
                     "directly; no checksum can be checked",
                     db, storage_url(st, src->archive));
            return NB_OK;
        }
    }
    src->archive[0] = '\0';
    return NB_ERR_NOT_FOUND;
}

struct stamp_list {
    const char *db;
    char text[1024];
    size_t count;
};

static nb_err collect_stamp(void *ctx, const char *name, uint64_t size)
{
    struct stamp_list *sl = ctx;
    char stamp[NAMING_TIMESTAMP_LEN + 1];
    enum compression c;
    size_t used = strlen(sl->text);

    (void)size;
    if (naming_parse_archive(name, sl->db, stamp, &c) && used + 24 < sizeof(sl->text)) {
        snprintf(sl->text + used, sizeof(sl->text) - used, "%s%s", sl->count ? ", " : "", stamp);
        sl->count++;
    }
    return NB_OK;
}

static nb_err not_found(struct storage *st, const char *db, const char *timestamp)
{
    char folder[128];
    struct stamp_list sl = {.db = db};

    snprintf(folder, sizeof(folder), "%s/%s-", db, db);
    if (storage_list(st, folder, collect_stamp, &sl) != NB_OK)
        snprintf(sl.text, sizeof(sl.text), "(unable to list them)");
    if (strcmp(timestamp, NAMING_LATEST) == 0 || sl.count == 0)
        return nb_error(NB_ERR_NOT_FOUND,
                        "no backup of '%s' in %s (looked for %s-latest.manifest.json and "
                        "%s-latest.tar.gz): check BUCKET and DATABASE, or set "
                        "MISSING_BACKUP=skip to start this database empty",
                        db, storage_url(st, db), db, db);
    return nb_error(NB_ERR_NOT_FOUND, "no backup of '%s' taken at %s in %s; the sets there are: %s",
                    db, timestamp, storage_url(st, db), sl.text);
}

/* A set that `neo4j-backup prune` is removing (DB/DB-STAMP.pruning) is
 * never restored: its archive may vanish mid-download. */
static nb_err refuse_pruned(struct storage *st, const char *db, const char *stamp)
{
    char marker[512];
    struct storage_info info;
    nb_err err;

    snprintf(marker, sizeof(marker), "%s/%s-%s.pruning", db, db, stamp);
    if ((err = storage_stat(st, marker, &info)))
        return err;
    if (info.exists)
        return nb_error(NB_ERR_NOT_FOUND,
                        "the backup of '%s' taken at %s is being removed by neo4j-backup prune "
                        "(%s exists): restore another TIMESTAMP",
                        db, stamp, storage_url(st, marker));
    return NB_OK;
}

nb_err restore_resolve(struct storage *st, const char *db, const char *timestamp,
                       struct restore_source *src)
{
    char manifest[512];
    nb_err err;

    memset(src, 0, sizeof(*src));
    if (strcmp(timestamp, NAMING_LATEST) != 0 && (err = refuse_pruned(st, db, timestamp)))
        return err;
    naming_object(manifest, sizeof(manifest), db, timestamp, OBJECT_MANIFEST);
    err = load_manifest(st, db, manifest, src);
    if (err != NB_ERR_NOT_FOUND) {
        if (!err && strcmp(timestamp, NAMING_LATEST) != 0 &&
            strcmp(src->manifest.timestamp, timestamp) != 0)
            err = nb_error(NB_ERR_INTEGRITY, "manifest '%s' is for %s, not %s",
                           storage_url(st, manifest), src->manifest.timestamp, timestamp);
        if (!err && strcmp(timestamp, NAMING_LATEST) == 0)
            err = refuse_pruned(st, db, src->manifest.timestamp);
        return err;
    }
    nb_error_clear();
    err = find_bare_archive(st, db, timestamp, src);
    if (err == NB_ERR_NOT_FOUND)
        return not_found(st, db, timestamp);
    return err;
}
