/* The Google Cloud Storage driver (gs://), over the JSON API. */
#ifndef NB_STORAGE_GCS_H
#define NB_STORAGE_GCS_H

#include <stddef.h>
#include <stdint.h>

#include "auth/gcp.h"
#include "http.h"
#include "storage/storage.h"

extern const struct storage_driver gcs_driver;

/* Internal to the driver (storage.c, read.c, write.c). */

#define GCS_DEFAULT_ENDPOINT "https://storage.googleapis.com"
#define GCS_CHUNK_QUANTUM    (256u << 10) /* resumable chunks are multiples of this */
#define GCS_DEFAULT_CHUNK    (8u << 20)

struct gcs_session {
    char *bucket;
    char *endpoint; /* "https://storage.googleapis.com", or STORAGE_EMULATOR_HOST */
    struct gcp_auth *auth;
    struct http_signer signer; /* bearer tokens from auth's token cache */
    struct http_client *http;  /* sequential requests (metadata, uploads) */
    size_t chunk_size;         /* resumable upload chunk (GCS_CHUNK_SIZE) */
    unsigned list_page_size;   /* objects per list page (GCS_LIST_PAGE_SIZE) */
    unsigned parallel_reads;   /* storage_options.parallel_reads */
};

/* "gs://bucket/key", for messages, into buf. */
const char *gcs_name(const struct gcs_session *gs, const char *key, char *buf, size_t len);
/* endpoint + api + "/b/BUCKET/o" [+ "/" + escaped key] + query (may be "");
 * api is "/storage/v1" or "/upload/storage/v1". malloc'd. */
char *gcs_url(const struct gcs_session *gs, const char *api, const char *key, const char *query);
/* Records why a request on `name` failed (`fmt` is a STORAGE_MSG_* with one
 * %s, the name) from its response, and returns the code: 401/403
 * NB_ERR_AUTH naming the identity, 404 NB_ERR_NOT_FOUND (a missing bucket:
 * NB_ERR_STORAGE saying so), anything else NB_ERR_STORAGE. */
nb_err gcs_fail(const struct gcs_session *gs, const struct http_response *resp, const char *fmt,
                const char *name);
/* As gcs_fail() for a status and an error body already at hand. */
nb_err gcs_fail_status(const struct gcs_session *gs, long status, const char *body, const char *fmt,
                       const char *name);
/* A request with the session's credentials and retries. */
nb_err gcs_call(struct gcs_session *gs, const char *method, const char *url, const char *what,
                const struct curl_slist *headers, const void *body, size_t body_len,
                struct http_response *resp) NB_WARN_UNUSED;

nb_err gcs_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                     struct storage_reader **out);
nb_err gcs_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                      struct storage_writer **out);

#endif
