/*
 * http_read.h: the one streamed ranged GET of the cloud drivers.
 *
 * Every driver's open_read() is this reader with the driver's URL, signer,
 * version pin and error mapping: a pull model over curl's multi interface
 * (memory: one 256 KiB ring whatever the object's size) that resumes a cut
 * transfer with "Range: bytes=N-" from the first byte not yet received,
 * pinned to the version the first answer named, with http_retry_next()'s
 * retries. No byte is returned twice or skipped; an object replaced
 * during the read fails the read rather than mixing two versions.
 *
 * With spec.parallel > 1, a large object is read by that many concurrent
 * ranged GETs of 4 MiB chunks, every one pinned to the first answer's
 * version, into a reorder window of parallel + 1 chunks that read() hands
 * over in order: for links where one connection is slower than the
 * decoder.
 */
#ifndef NB_STORAGE_HTTP_READ_H
#define NB_STORAGE_HTTP_READ_H

#include <stdint.h>

#include "http.h"
#include "storage/storage.h"

/* The provider's mapping of a refused request (status, error body) to an
 * nb_err with a message built from `fmt` (a STORAGE_MSG_* with one %s) and
 * `name`: which object, which identity, what to do. */
typedef nb_err (*http_fail_fn)(void *ctx, long status, const char *body, const char *fmt,
                               const char *name);

struct http_read_spec {
    const char *url;  /* the object's GET URL (may carry a query) */
    const char *name; /* "gs://bucket/key", for messages */
    const struct http_signer *signer;
    uint64_t offset;
    uint64_t length; /* 0: to the end */
    /* The version pin: the first answer's header `pin_header` (e.g.
     * "x-goog-generation", "ETag") pins every later request, as the query
     * parameter `pin_query` (e.g. "generation"; digits only) when set, else
     * as "If-Match". NULL: no pin. */
    const char *pin_header;
    const char *pin_query;
    http_fail_fn fail;
    void *fail_ctx;
    /* Concurrent ranged GETs (PARALLEL_READS; 0 or 1: one stream). The
     * signer and fail must then be thread-safe. */
    unsigned parallel;
};

/* Opens the read: the first request is sent and its answer checked (a
 * missing object is the driver's NB_ERR_NOT_FOUND). The spec's strings are
 * copied; signer and fail_ctx must outlive the reader. */
nb_err http_read_open(const struct http_read_spec *spec,
                      struct storage_reader **out) NB_WARN_UNUSED;

#endif
