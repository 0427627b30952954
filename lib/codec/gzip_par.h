/*
 * gzip_par.h: one standard gzip member, compressed by several threads.
 *
 * The input is cut into chunks of GZPAR_CHUNK bytes; one worker per thread
 * deflates each chunk on its own, primed with the 32 KiB of input before it
 * as dictionary, and ends it on a byte boundary (a sync flush) but the last
 * one, so the chunks' outputs in order are one deflate stream. Their CRC-32s
 * are combined into the trailer. Anything that reads gzip reads the result
 * (gzip -t, GNU tar, Python's tarfile, libarchive).
 *
 * Levels (COMPRESSION_LEVEL for gzip):
 *   1-4  ISA-L levels 0-3: fast, 1 (ISA-L 0) the fastest
 *   5-9  zlib levels 5-9 on the same chunks (pigz-style): smaller, slower
 *   0    GZPAR_DEFAULT_LEVEL (README "Performance" says why)
 * Memory: about 2 x GZPAR_CHUNK per job, 2 x threads + 1 jobs, plus one
 * ISA-L or zlib state per worker.
 */
#ifndef NB_CODEC_GZIP_PAR_H
#define NB_CODEC_GZIP_PAR_H

#include <stddef.h>

#include "error.h"

#define GZPAR_CHUNK         (1024 * 1024)
#define GZPAR_DEFAULT_LEVEL 2
#define GZPAR_MAX_THREADS   64

struct gzpar;

/* Receives the compressed stream, in order, on the thread that calls
 * gzpar_write() and gzpar_finish(). An error stops the compressor. */
typedef nb_err (*gzpar_emit_fn)(void *ctx, const void *buf, size_t len);

/* level 0-9 as above; threads 1 or more (capped at GZPAR_MAX_THREADS). */
nb_err gzpar_new(int level, int threads, gzpar_emit_fn emit, void *emit_ctx,
                 struct gzpar **out) NB_WARN_UNUSED;
nb_err gzpar_write(struct gzpar *g, const void *buf, size_t len) NB_WARN_UNUSED;
/* Compresses what is left and emits the trailer. */
nb_err gzpar_finish(struct gzpar *g) NB_WARN_UNUSED;
/* Stops the workers and frees everything (after finish, or to give up). */
void gzpar_free(struct gzpar *g);

#endif
