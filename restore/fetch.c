/* neo4j-restore: one stream from storage through SHA-256 and libarchive into
 * the staging folder; nothing else under DATA_DIR is written here. */
#include <stdio.h>
#include <string.h>

#include "archive_io.h"
#include "fsutil.h"
#include "log.h"
#include "restore.h"
#include "storage/pipeline.h"

/* Free space must hold what extraction writes, each file rounded up to a
 * block (DESIGN section 4: content.bytes). manifest_parse() bounds both
 * numbers, and the sum is checked anyway. */
static nb_err check_space(const struct restore_config *cfg, const char *db,
                          const struct manifest *m)
{
    uint64_t avail = 0, blocks = 0, need = 0;
    char a[32], n[32];
    nb_err err;

    if (__builtin_mul_overflow(m->content_files, (uint64_t)4096, &blocks) ||
        __builtin_add_overflow(m->content_bytes, blocks, &need))
        return nb_error(NB_ERR_INTEGRITY, "the manifest of '%s' holds sizes out of range", db);
    if ((err = fsutil_free_bytes(cfg->data_dir, &avail)))
        return err;
    if (avail < need)
        return nb_error(NB_ERR_NO_SPACE,
                        "DATA_DIR %s has %s free but restoring '%s' needs %s (%llu files): grow "
                        "the volume; nothing was changed",
                        cfg->data_dir, format_bytes(avail, a, sizeof(a)), db,
                        format_bytes(need, n, sizeof(n)), (unsigned long long)m->content_files);
    return NB_OK;
}

static nb_err verify(struct storage *st, const char *db, const struct restore_source *src,
                     const struct archive_stats *stats)
{
    const struct manifest *m = &src->manifest;

    if (!src->have_manifest) {
        log_warn("[%s] %s read without a manifest: sha256 %s could not be checked", db,
                 storage_url(st, src->archive), stats->sha256);
        return NB_OK;
    }
    if (stats->archive_bytes != m->archive_bytes)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is %llu bytes but its manifest says %llu: it is truncated "
                        "or damaged; nothing under DATA_DIR was changed",
                        storage_url(st, src->archive), (unsigned long long)stats->archive_bytes,
                        (unsigned long long)m->archive_bytes);
    if (strcmp(stats->sha256, m->sha256) != 0)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' has sha256 %s but its manifest says %s: it is damaged; "
                        "nothing under DATA_DIR was changed",
                        storage_url(st, src->archive), stats->sha256, m->sha256);
    log_info("[%s] verified %s: %llu bytes, sha256 %s", db, src->manifest.archive_name,
             (unsigned long long)stats->archive_bytes, stats->sha256);
    return NB_OK;
}

/* What is on disk is what the archive listed, and what the manifest says
 * it holds: the checksum covered the download, this covers the files left
 * in the staging folder. */
static nb_err verify_staging(const char *db, const struct restore_source *src,
                             const struct archive_stats *stats, const char *staging)
{
    const struct manifest *m = &src->manifest;
    uint64_t bytes = 0, files = 0;
    nb_err err = fsutil_tree_size(staging, &bytes, &files);

    if (err)
        return err;
    if (bytes != stats->content_bytes || files != stats->content_files)
        return nb_error(NB_ERR_INTEGRITY,
                        "the staging folder %s holds %llu files (%llu bytes) but the archive "
                        "listed %llu files (%llu bytes): something else changed it; nothing "
                        "under DATA_DIR was changed",
                        staging, (unsigned long long)files, (unsigned long long)bytes,
                        (unsigned long long)stats->content_files,
                        (unsigned long long)stats->content_bytes);
    if (src->have_manifest && m->have_content &&
        (m->content_bytes != stats->content_bytes || m->content_files != stats->content_files))
        return nb_error(NB_ERR_INTEGRITY,
                        "the archive of '%s' holds %llu files (%llu bytes) but its manifest says "
                        "%llu files (%llu bytes): the set is damaged; nothing under DATA_DIR was "
                        "changed",
                        db, (unsigned long long)stats->content_files,
                        (unsigned long long)stats->content_bytes,
                        (unsigned long long)m->content_files, (unsigned long long)m->content_bytes);
    return NB_OK;
}

nb_err restore_fetch(struct restore_run *run, const char *db, const struct restore_source *src,
                     const char *staging)
{
    struct storage *st = run->storage;
    struct storage_reader *r = NULL;
    struct archive_stats stats;
    struct archive_limits limits;
    char what[4200];
    nb_err err;

    if (src->have_manifest && (err = check_space(run->cfg, db, &src->manifest)))
        return err;
    if ((err = fsutil_remove_tree(staging)) || (err = fsutil_mkdir_p(staging, 0750)))
        return err;
    snprintf(what, sizeof(what), "%s", storage_url(st, src->archive));
    log_info("[%s] downloading %s into %s", db, what, staging);
    /* A download thread keeps up to PIPELINE_CHUNKS MiB ahead of extraction. */
    if ((err = storage_open_read(st, src->archive, 0, 0, &r)) ||
        (err = storage_prefetch(r, PIPELINE_CHUNK_SIZE, PIPELINE_CHUNKS, &r)))
        return err;
    /* A manifest's content bounds what extraction may write: an archive
     * holding more stops before it fills DATA_DIR. */
    limits.max_files = src->manifest.content_files;
    limits.max_bytes = src->manifest.content_bytes;
    err = archive_extract_bounded(
        r, staging, src->have_manifest ? src->manifest.archive_bytes : r->size,
        src->have_manifest && src->manifest.have_content ? &limits : NULL, what, &stats);
    r->close(r);
    run->fetched_bytes = stats.archive_bytes;
    if (err == NB_ERR_INTEGRITY) {
        /* A damaged stream is caught while decoding, before the checksum. */
        char msg[1900];
        snprintf(msg, sizeof(msg), "%s", nb_errmsg());
        err = nb_error(err, "%s; nothing under DATA_DIR was changed", msg);
    }
    if (!err)
        err = verify(st, db, src, &stats);
    if (!err)
        err = verify_staging(db, src, &stats, staging);
    if (!err)
        log_info("[%s] staged %llu files (%llu bytes)", db, (unsigned long long)stats.content_files,
                 (unsigned long long)stats.content_bytes);
    return err;
}
