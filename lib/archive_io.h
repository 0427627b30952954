/*
 * archive_io.h: backup sets to and from compressed tar streams, through
 * libarchive, with bounded memory.
 *
 * archive_create() walks a folder and streams a tar.gz / tar.zst straight
 * into a storage writer, hashing (SHA-256) as it goes; gzip is compressed
 * by several threads (codec/gzip_par.h). archive_extract() pulls an
 * archive from a storage reader; a decoding thread (codec/decode.h) hashes
 * every byte it reads (also the bytes after the tar's end) and decompresses
 * it, and this thread extracts the tar into a staging folder, refusing
 * anything that could write outside it.
 */
#ifndef NB_ARCHIVE_IO_H
#define NB_ARCHIVE_IO_H

#include <stdint.h>

#include "error.h"
#include "naming.h"
#include "storage/storage.h"

struct archive_stats {
    uint64_t archive_bytes; /* compressed bytes written or read */
    uint64_t content_bytes; /* regular files' bytes */
    uint64_t content_files; /* regular files */
    char sha256[65];        /* of the compressed stream, lowercase hex */
};

struct archive_create_options {
    enum compression compression;
    int level;   /* 0: the compressor's default */
    int threads; /* gzip or zstd compression threads; 0: one */
};

/* Archives src_dir's contents under `entry_prefix` ("backups/neo4j"), into
 * w (which the caller commits or aborts). `what` names the object for
 * progress lines and errors. */
nb_err archive_create(const char *src_dir, const char *entry_prefix,
                      const struct archive_create_options *opts, struct storage_writer *w,
                      const char *what, struct archive_stats *stats) NB_WARN_UNUSED;

/* Extracts the archive read from r into dest_dir (which must exist and be
 * empty). `expected_bytes` (0: unknown) drives the progress percentage.
 * Unsafe entries are NB_ERR_INTEGRITY (also a path that would not fit in
 * PATH_MAX under dest_dir, or a name longer than NAME_MAX); a damaged
 * stream is NB_ERR_INTEGRITY; errors of r keep their code. The caller
 * compares stats->sha256. */
nb_err archive_extract(struct storage_reader *r, const char *dest_dir, uint64_t expected_bytes,
                       const char *what, struct archive_stats *stats) NB_WARN_UNUSED;

/* What extraction may write at most: regular files and their bytes (a
 * manifest's content.files and content.bytes). */
struct archive_limits {
    uint64_t max_files;
    uint64_t max_bytes;
};
/* archive_extract() that stops with NB_ERR_INTEGRITY, before writing the
 * entry, as soon as the archive holds more files or bytes than `limits`
 * (NULL: no limits). */
nb_err archive_extract_bounded(struct storage_reader *r, const char *dest_dir,
                               uint64_t expected_bytes, const struct archive_limits *limits,
                               const char *what, struct archive_stats *stats) NB_WARN_UNUSED;
/* archive_extract() without the disk: reads and decodes every entry (the
 * same safety checks, SHA-256 of the whole object, content counts) and
 * writes nothing anywhere. */
nb_err archive_verify(struct storage_reader *r, uint64_t expected_bytes, const char *what,
                      struct archive_stats *stats) NB_WARN_UNUSED;

#endif
