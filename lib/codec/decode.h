/*
 * decode.h: an archive's compressed bytes to its tar bytes, on a pipeline
 * thread.
 *
 * decode_open() reads the object from `inner`, shows every byte it reads
 * (also those after the compressed stream's end) to `tap` on that thread,
 * and decompresses: gzip with ISA-L (every member's CRC-32 and length
 * checked, members may follow each other), zstd with libzstd (frames may
 * follow each other), chosen by the magic bytes; other bytes pass as they
 * are (the tar reader then refuses them). The reader it returns gives the
 * tar bytes through a queue of `chunks` x `chunk_size` bytes (read them
 * with storage_prefetch_next() to avoid a copy); it ends only after the
 * whole object was read and every check passed.
 *
 * A stream that ends inside a member or frame, or fails a check, is
 * NB_ERR_INTEGRITY naming `what`; errors of `inner` keep their code.
 * Bytes after a complete member or frame that start no new one end the
 * tar bytes: they are read and tapped, never decoded.
 */
#ifndef NB_CODEC_DECODE_H
#define NB_CODEC_DECODE_H

#include "storage/storage.h"

/* Called on the decoding thread with each run of the object's bytes. */
typedef void (*decode_tap_fn)(void *ctx, const void *buf, size_t len);

/* inner stays the caller's: close it after the returned reader. */
nb_err decode_open(struct storage_reader *inner, const char *what, decode_tap_fn tap, void *tap_ctx,
                   size_t chunk_size, unsigned chunks, struct storage_reader **out) NB_WARN_UNUSED;

#endif
