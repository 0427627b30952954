/*
 * pipeline.h: a thread between a stream and its storage, with a bounded
 * queue of chunks, so fetching overlaps extraction (restore) and uploading
 * overlaps compression (backup), whatever the driver. Memory: `chunks` x
 * `chunk_size` bytes, whatever the object's size.
 *
 * Both wrappers take ownership of the inner stream: closing, committing or
 * aborting the wrapper does the same to the inner one. Errors of the inner
 * stream come out of the wrapper with their code and message, after the
 * bytes that preceded them.
 */
#ifndef NB_STORAGE_PIPELINE_H
#define NB_STORAGE_PIPELINE_H

#include "storage/storage.h"

#define PIPELINE_CHUNK_SIZE (1024 * 1024)
#define PIPELINE_CHUNKS     4

nb_err storage_prefetch(struct storage_reader *inner, size_t chunk_size, unsigned chunks,
                        struct storage_reader **out) NB_WARN_UNUSED;
/* What the thread of storage_prefetch_source() runs. fill() puts up to
 * `len` bytes into buf; fewer only at the end of the stream (then it is not
 * called again); bytes before an error are kept (*got). close() frees the
 * source; it is called once, after the thread has ended. */
struct chunk_source {
    nb_err (*fill)(struct chunk_source *s, void *buf, size_t len, size_t *got);
    void (*close)(struct chunk_source *s);
};

/* A prefetching reader over any source (storage_prefetch() is one over a
 * storage reader): the source runs on the reader's thread. `size` becomes
 * the reader's size (0: unknown). Takes ownership of src. */
nb_err storage_prefetch_source(struct chunk_source *src, uint64_t size, size_t chunk_size,
                               unsigned chunks, struct storage_reader **out) NB_WARN_UNUSED;

/* Zero-copy reading of a prefetching reader: lends the next chunk's unread
 * bytes (*len 0 at the end), valid until the next read, next or close. */
nb_err storage_prefetch_next(struct storage_reader *r, const void **buf,
                             size_t *len) NB_WARN_UNUSED;

nb_err storage_write_behind(struct storage_writer *inner, size_t chunk_size, unsigned chunks,
                            struct storage_writer **out) NB_WARN_UNUSED;

#endif
