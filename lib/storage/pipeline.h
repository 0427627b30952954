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
nb_err storage_write_behind(struct storage_writer *inner, size_t chunk_size, unsigned chunks,
                            struct storage_writer **out) NB_WARN_UNUSED;

#endif
