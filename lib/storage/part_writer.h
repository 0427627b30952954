/*
 * part_writer.h: the one part writer of the cloud drivers.
 *
 * A storage_writer that buffers the stream into parts of bounded size and
 * hands each full part to the driver: GCS resumable chunks, S3 multipart
 * parts, Azure blocks. The driver says only how its store takes a part;
 * the buffering, the part size and its growth live here.
 *
 * - Part size: the store's default, raised so that the size hint fits in
 *   the store's part-count limit (with a margin), rounded up to the
 *   store's quantum, capped at its maximum part.
 * - Growth: once the stream outgrows its hint (or has none) and the parts
 *   left could not hold as much again as was sent, the part size doubles:
 *   any stream fits in max_parts, and memory grows only with a stream far
 *   larger than announced.
 * - A full part is sent only when more bytes arrive, so the last part is
 *   never empty; an object that never fills a part goes up whole at commit
 *   (put_whole), in one request.
 * - Memory: one part buffer (it starts small and grows to the part size);
 *   with limits.parallel > 1 and a driver whose parts may go side by side,
 *   parallel + 1 parts: after the first part, full parts go to that many
 *   upload threads while the stream fills the next.
 * - On any failure, and on abort(), the driver's abort discards what was
 *   sent: nothing becomes visible under the name.
 */
#ifndef NB_STORAGE_PART_WRITER_H
#define NB_STORAGE_PART_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

struct part_limits {
    size_t default_part; /* the part size without a hint */
    size_t min_part;     /* every part but the last is at least this */
    size_t max_part;
    size_t quantum;     /* parts but the last are multiples of this (1: any) */
    unsigned max_parts; /* 0: no limit */
    unsigned parallel;  /* parts sent at once (PARALLEL_UPLOADS) when ops->parallel; 0, 1: one */
};

struct part_ops {
    /* The whole object in one request (it never filled a part). */
    nb_err (*put_whole)(void *ctx, const void *buf, size_t len);
    /* Part `number` (1-based), `len` bytes at object offset `offset`, in
     * order; `final` on the last (offset + len is then the object's size).
     * The driver starts its upload (session, multipart) on the first. */
    nb_err (*put_part)(void *ctx, unsigned number, uint64_t offset, const void *buf, size_t len,
                       bool final);
    /* After the final part: makes the object visible (S3's
     * CompleteMultipartUpload, Azure's Put Block List). Optional. */
    nb_err (*complete)(void *ctx, unsigned parts, uint64_t total);
    /* Discards whatever was sent (cancel the session, abort the multipart
     * upload). Called after a failure or an abort, never after success. */
    void (*abort)(void *ctx);
    /* Frees ctx. Always called, last. */
    void (*free)(void *ctx);
    /* put_part may run on several threads at once, parts out of order
     * (all but the first and the final part): S3 parts, Azure blocks. */
    bool parallel;
};

/* A writer over `ops`/`ctx` (which it owns from now on, also on failure). */
nb_err part_writer_new(const struct part_limits *limits, uint64_t size_hint,
                       const struct part_ops *ops, void *ctx, const char *name,
                       struct storage_writer **out) NB_WARN_UNUSED;

/* ---- pure helpers (unit-tested) ---- */

/* The first part size for a stream of `size_hint` bytes (0: unknown). */
size_t part_size_for(const struct part_limits *l, uint64_t size_hint);
/* The part size after `parts` parts holding `sent` bytes were sent at
 * `part_size`. */
size_t part_size_next(const struct part_limits *l, uint64_t size_hint, unsigned parts,
                      uint64_t sent, size_t part_size);

#endif
