#include "archive_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "codec/decode.h"
#include "codec/gzip_par.h"
#include "log.h"
#include "storage/pipeline.h"

#define IO_BUFFER_SIZE (256 * 1024)
/* zstd's multi-threaded jobs: memory is a few times this per worker,
 * whatever the level; libarchive's own zstd filter cannot bound it. */
#define ZSTD_JOB_SIZE      (2 * 1024 * 1024)
#define ZSTD_DEFAULT_LEVEL 3
/* Restore: tar bytes decoded ahead of extraction, in DECODE_CHUNKS chunks. */
#define DECODE_CHUNK_SIZE (256 * 1024)
#define DECODE_CHUNKS     8

/* For `make bench` only: NB_BENCH_LIBARCHIVE_CODEC=1 compresses gzip and
 * decompresses both through libarchive's filters, on one thread, as the
 * tools did before (the bench's "today" cases). */
static bool libarchive_codec(void)
{
    const char *v = getenv("NB_BENCH_LIBARCHIVE_CODEC");
    return v && strcmp(v, "1") == 0;
}

struct stream_ctx {
    EVP_MD_CTX *md;
    struct progress progress;
    uint64_t bytes;
    nb_err err; /* an error of the storage side, kept with its own code */
    struct storage_writer *w;
    struct storage_reader *r;
    char *buf;
    char label[4200];
    ZSTD_CCtx *zstd; /* set when we compress with zstd ourselves */
    char *zbuf;
    size_t zbuf_size;
    struct gzpar *gz;         /* set when we compress gzip ourselves */
    struct storage_reader *d; /* set when we decode ourselves (restore) */
};

static nb_err stream_init(struct stream_ctx *sc, const char *verb, const char *what, uint64_t total)
{
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->label, sizeof(sc->label), "%s %s", verb, what);
    sc->md = EVP_MD_CTX_new();
    if (!sc->md || EVP_DigestInit_ex(sc->md, EVP_sha256(), NULL) != 1)
        return nb_error(NB_ERR_INTERNAL, "unable to start SHA-256 for '%s'", what);
    progress_start(&sc->progress, sc->label, total);
    sc->progress.object = what;
    return NB_OK;
}

static void stream_finish(struct stream_ctx *sc, struct archive_stats *stats)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_DigestFinal_ex(sc->md, digest, &len);
    for (unsigned int i = 0; i < len && i < 32; i++)
        sprintf(stats->sha256 + 2 * i, "%02x", digest[i]);
    stats->archive_bytes = sc->bytes;
}

static void stream_free(struct stream_ctx *sc)
{
    /* The decoding thread hashes: it ends before the hash is freed. */
    if (sc->d)
        sc->d->close(sc->d);
    gzpar_free(sc->gz);
    EVP_MD_CTX_free(sc->md);
    free(sc->buf);
    ZSTD_freeCCtx(sc->zstd);
    free(sc->zbuf);
}

static void stream_account(struct stream_ctx *sc, const void *buf, size_t len)
{
    EVP_DigestUpdate(sc->md, buf, len);
    sc->bytes += len;
    progress_update(&sc->progress, len);
}

/* ---- creating ---------------------------------------------------------- */

/* Bytes of the finished stream: to storage, through the hash. */
static nb_err emit(struct stream_ctx *sc, const void *buf, size_t len)
{
    nb_err err = sc->w->write(sc->w, buf, len);

    if (!err)
        stream_account(sc, buf, len);
    return err;
}

/* Feeds tar bytes to zstd and emits what comes out; ZSTD_e_end finishes
 * the frame. */
static nb_err zstd_feed(struct stream_ctx *sc, const void *buf, size_t len, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {buf, len, 0};

    for (;;) {
        ZSTD_outBuffer out = {sc->zbuf, sc->zbuf_size, 0};
        size_t left = ZSTD_compressStream2(sc->zstd, &out, &in, mode);
        nb_err err;

        if (ZSTD_isError(left))
            return nb_error(NB_ERR_INTERNAL, "zstd failed: %s", ZSTD_getErrorName(left));
        if (out.pos > 0 && (err = emit(sc, sc->zbuf, out.pos)))
            return err;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return NB_OK;
    }
}

static nb_err gzpar_emit(void *ctx, const void *buf, size_t len)
{
    return emit(ctx, buf, len);
}

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
    struct stream_ctx *sc = ctx;

    sc->err = sc->gz     ? gzpar_write(sc->gz, buf, len)
              : sc->zstd ? zstd_feed(sc, buf, len, ZSTD_e_continue)
                         : emit(sc, buf, len);
    if (sc->err) {
        archive_set_error(a, EIO, "%s", nb_errmsg());
        return -1;
    }
    return (la_ssize_t)len;
}

static nb_err start_zstd(struct stream_ctx *sc, const struct archive_create_options *o)
{
    int level = o->level ? o->level : ZSTD_DEFAULT_LEVEL;

    sc->zstd = ZSTD_createCCtx();
    sc->zbuf_size = ZSTD_CStreamOutSize();
    sc->zbuf = malloc(sc->zbuf_size);
    if (!sc->zstd || !sc->zbuf)
        return NB_ERR_NOMEM;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(sc->zstd, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(sc->zstd, ZSTD_c_checksumFlag, 1)))
        return nb_error(NB_ERR_USAGE, "zstd level %d is not supported", level);
    if (o->threads > 1 &&
        !ZSTD_isError(ZSTD_CCtx_setParameter(sc->zstd, ZSTD_c_nbWorkers, o->threads)))
        (void)ZSTD_CCtx_setParameter(sc->zstd, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
    return NB_OK;
}

/* gzip through our parallel compressor (gzip_par.h), zstd through
 * libzstd (start_zstd); libarchive writes plain tar. */
static nb_err set_compression(struct archive *a, struct stream_ctx *sc,
                              const struct archive_create_options *o)
{
    char opt[16];
    int r;

    if (o->compression == COMPRESSION_ZSTD)
        return start_zstd(sc, o);
    if (!libarchive_codec())
        return gzpar_new(o->level, o->threads, gzpar_emit, sc, &sc->gz);
    r = archive_write_add_filter_gzip(a);
    if (r == ARCHIVE_OK && o->level) {
        snprintf(opt, sizeof(opt), "%d", o->level);
        r = archive_write_set_filter_option(a, "gzip", "compression-level", opt);
    }
    if (r != ARCHIVE_OK)
        return nb_error(NB_ERR_USAGE, "gzip level %d is not supported: %s", o->level,
                        archive_error_string(a));
    return NB_OK;
}

/* Copies one entry's data from disk into the archive. */
static nb_err copy_entry_data(struct archive *disk, struct archive *out, char *buf,
                              const char *path)
{
    for (;;) {
        la_ssize_t n = archive_read_data(disk, buf, IO_BUFFER_SIZE);
        if (n == 0)
            return NB_OK;
        if (n < 0)
            return nb_error(NB_ERR_LOCAL_IO, "unable to read '%s': %s", path,
                            archive_error_string(disk));
        if (archive_write_data(out, buf, (size_t)n) != n)
            return NB_ERR_STORAGE; /* message set below from the archive */
    }
}

nb_err archive_create(const char *src_dir, const char *entry_prefix,
                      const struct archive_create_options *opts, struct storage_writer *w,
                      const char *what, struct archive_stats *stats)
{
    struct archive *out = archive_write_new();
    struct archive *disk = archive_read_disk_new();
    struct archive_entry *entry = NULL;
    struct stream_ctx sc;
    size_t srclen = strlen(src_dir);
    nb_err err;
    int r;

    memset(stats, 0, sizeof(*stats));
    err = stream_init(&sc, "uploading", what, 0);
    if (err)
        goto out;
    sc.w = w;
    sc.buf = malloc(IO_BUFFER_SIZE);
    if (!out || !disk || !sc.buf) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    err = set_compression(out, &sc, opts);
    if (err)
        goto out;
    archive_write_set_format_pax_restricted(out);
    archive_write_set_bytes_per_block(out, 64 * 1024);
    archive_write_set_bytes_in_last_block(out, 1);
    if (archive_write_open2(out, &sc, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
        err = nb_error(NB_ERR_STORAGE, "unable to start the archive '%s': %s", what,
                       archive_error_string(out));
        goto out;
    }
    archive_read_disk_set_symlink_physical(disk);
    archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                             ARCHIVE_READDISK_NO_FFLAGS);
    if (archive_read_disk_open(disk, src_dir) != ARCHIVE_OK) {
        err = nb_error(NB_ERR_LOCAL_IO, "unable to read the backup folder '%s': %s", src_dir,
                       archive_error_string(disk));
        goto out;
    }
    entry = archive_entry_new();
    while ((r = archive_read_next_header2(disk, entry)) == ARCHIVE_OK) {
        const char *src = archive_entry_sourcepath(entry);
        char name[4096];

        snprintf(name, sizeof(name), "%s%s", entry_prefix, src + srclen);
        archive_entry_set_pathname(entry, name);
        archive_entry_set_uname(entry, NULL);
        archive_entry_set_gname(entry, NULL);
        archive_read_disk_descend(disk);
        if (archive_write_header(out, entry) != ARCHIVE_OK) {
            err = sc.err ? sc.err
                         : nb_error(NB_ERR_LOCAL_IO, "unable to archive '%s': %s", src,
                                    archive_error_string(out));
            goto out;
        }
        if (archive_entry_filetype(entry) == AE_IFREG) {
            err = copy_entry_data(disk, out, sc.buf, src);
            if (err == NB_ERR_STORAGE)
                err = sc.err ? sc.err
                             : nb_error(NB_ERR_STORAGE, "unable to archive '%s': %s", src,
                                        archive_error_string(out));
            if (err)
                goto out;
            stats->content_bytes += (uint64_t)archive_entry_size(entry);
            stats->content_files++;
        }
        archive_entry_clear(entry);
    }
    if (r != ARCHIVE_EOF) {
        err = nb_error(NB_ERR_LOCAL_IO, "unable to read the backup folder '%s': %s", src_dir,
                       archive_error_string(disk));
        goto out;
    }
    if (archive_write_close(out) != ARCHIVE_OK) {
        err = sc.err ? sc.err
                     : nb_error(NB_ERR_STORAGE, "unable to finish the archive '%s': %s", what,
                                archive_error_string(out));
        goto out;
    }
    if (sc.zstd && (err = zstd_feed(&sc, NULL, 0, ZSTD_e_end)))
        goto out;
    if (sc.gz && (err = gzpar_finish(sc.gz)))
        goto out;
    progress_finish(&sc.progress);
    stream_finish(&sc, stats);
out:
    archive_entry_free(entry);
    archive_read_free(disk);
    archive_write_free(out);
    stream_free(&sc);
    return err;
}

/* ---- extracting -------------------------------------------------------- */

/* The decoding thread's view of every archive byte (decode.h). */
static void decode_tap(void *ctx, const void *buf, size_t len)
{
    stream_account(ctx, buf, len);
}

/* Tar bytes, decoded on the pipeline thread, lent without a copy. */
static la_ssize_t decoded_read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct stream_ctx *sc = ctx;
    size_t got = 0;

    sc->err = storage_prefetch_next(sc->d, buf, &got);
    if (sc->err) {
        archive_set_error(a, EIO, "%s", nb_errmsg());
        return -1;
    }
    return (la_ssize_t)got;
}

/* After the tar's end: the decoder reads the rest of the object (its
 * checksums, and bytes after the compressed stream: the SHA-256 covers
 * the whole object) and checks every member's CRC and length. */
static nb_err drain_decoder(struct stream_ctx *sc)
{
    for (;;) {
        const void *buf;
        size_t got = 0;
        nb_err err = storage_prefetch_next(sc->d, &buf, &got);
        if (err || got == 0)
            return err;
    }
}

/* Where libarchive reads from: our decoder, or (NB_BENCH_LIBARCHIVE_CODEC)
 * the object itself through libarchive's filters. */
static nb_err open_input(struct archive *in, struct stream_ctx *sc, const char *what)
{
    if (libarchive_codec()) {
        archive_read_support_filter_gzip(in);
        archive_read_support_filter_zstd(in);
        return NB_OK;
    }
    archive_read_support_filter_none(in);
    return decode_open(sc->r, what, decode_tap, sc, DECODE_CHUNK_SIZE, DECODE_CHUNKS, &sc->d);
}

/* Hashes what follows the tar's end too: the checksum covers the object. */
static nb_err finish_input(struct stream_ctx *sc)
{
    if (sc->d)
        return drain_decoder(sc);
    for (;;) {
        size_t got = 0;
        nb_err err = sc->r->read(sc->r, sc->buf, IO_BUFFER_SIZE, &got);
        if (err || got == 0)
            return err;
        stream_account(sc, sc->buf, got);
    }
}

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct stream_ctx *sc = ctx;
    size_t got = 0;

    sc->err = sc->r->read(sc->r, sc->buf, IO_BUFFER_SIZE, &got);
    if (sc->err) {
        archive_set_error(a, EIO, "%s", nb_errmsg());
        return -1;
    }
    stream_account(sc, sc->buf, got);
    *buf = sc->buf;
    return (la_ssize_t)got;
}

/* True when `path` has a ".." component. */
static bool has_dotdot(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
        bool starts = p == path || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/';
        if (starts && ends)
            return true;
    }
    return false;
}

/* True when `path`, under a folder of dest_len bytes, fits in PATH_MAX and
 * none of its names is longer than NAME_MAX. */
static bool path_fits(const char *path, size_t dest_len)
{
    if (dest_len + 1 + strlen(path) >= PATH_MAX)
        return false;
    while (*path) {
        size_t len = strcspn(path, "/");
        if (len > NAME_MAX)
            return false;
        path += len;
        path += strspn(path, "/");
    }
    return true;
}

/* The rules of DESIGN section 7, checked before libarchive's own. */
static nb_err check_entry(struct archive_entry *e, const char *what, size_t dest_len)
{
    const char *name = archive_entry_pathname(e);
    const char *hard = archive_entry_hardlink(e);
    const char *sym = archive_entry_symlink(e);
    mode_t type = archive_entry_filetype(e);

    if (!name || !*name)
        return nb_error(NB_ERR_INTEGRITY, "archive '%s' holds an entry without a name", what);
    if (!path_fits(name, dest_len) || (hard && !path_fits(hard, dest_len)) ||
        (sym && strlen(sym) >= PATH_MAX))
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is unusable: the entry '%.80s...' (%zu bytes) has a path "
                        "too long for the file system (PATH_MAX %d, NAME_MAX %d under the "
                        "staging folder); Neo4j never writes such names; refusing it",
                        what, name, strlen(name), PATH_MAX, NAME_MAX);
    if (name[0] == '/' || has_dotdot(name))
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is unsafe: entry '%s' would be written outside the staging "
                        "folder; refusing it",
                        what, name);
    if (hard && (hard[0] == '/' || has_dotdot(hard)))
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is unsafe: hard link '%s' leads to '%s', outside the "
                        "staging folder; refusing it",
                        what, name, hard);
    if (type == AE_IFLNK && (!sym || sym[0] == '/' || has_dotdot(sym)))
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is unsafe: symlink '%s' points to '%s', outside its "
                        "folder; refusing it",
                        what, name, sym ? sym : "");
    if (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is unsafe: '%s' is a device, FIFO or socket; refusing it",
                        what, name);
    /* Set-id bits are stripped, never restored. */
    archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
    return NB_OK;
}

static nb_err disk_error(struct archive *disk, const char *name)
{
    int e = archive_errno(disk);
    return nb_error(e == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO, "unable to write '%s': %s",
                    name, archive_error_string(disk));
}

/* Stops an archive that holds more than its manifest says, before the
 * entry is written: the sums cannot overflow (each step is checked
 * against what is left). */
static nb_err check_limits(struct archive_entry *e, const struct archive_limits *limits,
                           const struct archive_stats *stats, const char *what)
{
    la_int64_t size = archive_entry_size(e);

    if (!limits || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
        return NB_OK;
    if (stats->content_files >= limits->max_files)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' holds more files than its manifest's content.files (%llu): "
                        "the manifest is wrong or the archive is not the one it describes; "
                        "stopped before '%s'; nothing under DATA_DIR outside the staging folder "
                        "was changed",
                        what, (unsigned long long)limits->max_files, archive_entry_pathname(e));
    if (size < 0 || stats->content_bytes > limits->max_bytes ||
        (uint64_t)size > limits->max_bytes - stats->content_bytes)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' holds more bytes than its manifest's content.bytes (%llu): "
                        "the manifest is wrong or the archive is not the one it describes; "
                        "stopped before '%s'; nothing under DATA_DIR outside the staging folder "
                        "was changed",
                        what, (unsigned long long)limits->max_bytes, archive_entry_pathname(e));
    return NB_OK;
}

/* Reads every entry with its checks and counts; writes each to `disk`,
 * or nothing when disk is NULL (verify: the decoder and the tar reader
 * still see every byte, as an extraction would). */
static nb_err extract_entries(struct archive *in, struct archive *disk, struct stream_ctx *sc,
                              const char *what, size_t dest_len,
                              const struct archive_limits *limits, struct archive_stats *stats)
{
    struct archive_entry *e;
    int r;

    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        nb_err err = check_entry(e, what, dest_len);
        const void *block;
        size_t len;
        la_int64_t offset;

        if (!err)
            err = check_limits(e, limits, stats, what);
        if (err)
            return err;
        if (disk && archive_write_header(disk, e) != ARCHIVE_OK)
            return archive_errno(disk) == ENOSPC || archive_errno(disk) == EIO ||
                           archive_errno(disk) == EROFS || archive_errno(disk) == EACCES
                       ? disk_error(disk, name)
                       : nb_error(NB_ERR_INTEGRITY, "archive '%s' is unsafe: entry '%s': %s", what,
                                  name, archive_error_string(disk));
        while ((r = archive_read_data_block(in, &block, &len, &offset)) == ARCHIVE_OK) {
            if (disk && archive_write_data_block(disk, block, len, offset) != ARCHIVE_OK)
                return disk_error(disk, name);
        }
        if (r != ARCHIVE_EOF)
            break;
        if (disk && archive_write_finish_entry(disk) != ARCHIVE_OK)
            return disk_error(disk, name);
        if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e)) {
            stats->content_bytes += (uint64_t)archive_entry_size(e);
            stats->content_files++;
        }
    }
    if (r == ARCHIVE_EOF)
        return NB_OK;
    if (sc->err)
        return sc->err;
    return nb_error(NB_ERR_INTEGRITY, "archive '%s' is damaged or truncated: %s", what,
                    archive_error_string(in));
}

nb_err archive_extract(struct storage_reader *r, const char *dest_dir, uint64_t expected_bytes,
                       const char *what, struct archive_stats *stats)
{
    return archive_extract_bounded(r, dest_dir, expected_bytes, NULL, what, stats);
}

nb_err archive_extract_bounded(struct storage_reader *r, const char *dest_dir,
                               uint64_t expected_bytes, const struct archive_limits *limits,
                               const char *what, struct archive_stats *stats)
{
    struct archive *in = archive_read_new();
    struct archive *disk = archive_write_disk_new();
    struct stream_ctx sc;
    int cwd = -1;
    nb_err err;

    memset(stats, 0, sizeof(*stats));
    err = stream_init(&sc, "downloading", what, expected_bytes);
    if (err)
        goto out;
    sc.r = r;
    sc.buf = malloc(IO_BUFFER_SIZE);
    if (!in || !disk || !sc.buf) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    if ((err = open_input(in, &sc, what)))
        goto out;
    archive_read_support_format_tar(in);
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                             ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                             ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
                                             ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM);
    /* Entries are relative: extract from inside the staging folder, so the
     * secure flags judge only the archive's part of each path. */
    cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || chdir(dest_dir) != 0) {
        err = nb_error(NB_ERR_LOCAL_IO, "unable to enter the staging folder '%s': %s", dest_dir,
                       strerror(errno));
        goto out;
    }
    if (archive_read_open(in, &sc, NULL, sc.d ? decoded_read_cb : read_cb, NULL) != ARCHIVE_OK) {
        err = sc.err ? sc.err
                     : nb_error(NB_ERR_INTEGRITY, "archive '%s' is not a tar.gz or tar.zst: %s",
                                what, archive_error_string(in));
        goto out;
    }
    err = extract_entries(in, disk, &sc, what, strlen(dest_dir), limits, stats);
    if (err)
        goto out;
    if ((err = finish_input(&sc)))
        goto out;
    if (archive_write_close(disk) != ARCHIVE_OK) {
        err = disk_error(disk, dest_dir);
        goto out;
    }
    progress_finish(&sc.progress);
    stream_finish(&sc, stats);
out:
    if (cwd >= 0) {
        if (fchdir(cwd) != 0 && !err)
            err = nb_error(NB_ERR_LOCAL_IO, "unable to leave '%s'", dest_dir);
        close(cwd);
    }
    archive_read_free(in);
    archive_write_free(disk);
    stream_free(&sc);
    return err;
}

/* ---- verifying: decode everything, write nothing ----------------------- */

nb_err archive_verify(struct storage_reader *r, uint64_t expected_bytes, const char *what,
                      struct archive_stats *stats)
{
    struct archive *in = archive_read_new();
    struct stream_ctx sc;
    nb_err err;

    memset(stats, 0, sizeof(*stats));
    err = stream_init(&sc, "verifying", what, expected_bytes);
    if (err)
        goto out;
    sc.r = r;
    sc.buf = malloc(IO_BUFFER_SIZE);
    if (!in || !sc.buf) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    /* The same decoding as a restore: what verify passes, restore reads. */
    if ((err = open_input(in, &sc, what)))
        goto out;
    archive_read_support_format_tar(in);
    if (archive_read_open(in, &sc, NULL, sc.d ? decoded_read_cb : read_cb, NULL) != ARCHIVE_OK) {
        err = sc.err ? sc.err
                     : nb_error(NB_ERR_INTEGRITY, "archive '%s' is not a tar.gz or tar.zst: %s",
                                what, archive_error_string(in));
        goto out;
    }
    if ((err = extract_entries(in, NULL, &sc, what, 0, NULL, stats)))
        goto out;
    if ((err = finish_input(&sc)))
        goto out;
    progress_finish(&sc.progress);
    stream_finish(&sc, stats);
out:
    archive_read_free(in);
    stream_free(&sc);
    return err;
}
