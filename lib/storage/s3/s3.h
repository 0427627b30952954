/* The S3 driver (s3://): AWS S3 and S3-compatible stores (MinIO, Ceph RGW). */
#ifndef NB_STORAGE_S3_H
#define NB_STORAGE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/aws.h"
#include "http.h"
#include "storage/storage.h"

extern const struct storage_driver s3_driver;

/* Internal to the driver (storage.c, write.c). */

#define S3_MIN_PART       (5u << 20)   /* every part but the last */
#define S3_MAX_PART       (5ull << 30) /* 5 GiB */
#define S3_DEFAULT_PART   (8u << 20)
#define S3_MAX_PARTS      10000u
#define S3_MAX_SINGLE_PUT (5ull * 1000 * 1000 * 1000) /* CopyObject's limit: 5 GB */

struct s3_session {
    char *bucket;
    char *endpoint; /* scheme://host[:port], no trailing '/' */
    bool path_style;
    bool custom_endpoint; /* AWS_ENDPOINT_URL(_S3): an S3-compatible store */
    struct aws_auth *auth;
    struct aws_signer sigv4;
    struct http_signer signer;
    struct http_client *http;
    unsigned max_parts;        /* S3_MAX_PARTS */
    unsigned list_page_size;   /* S3_LIST_PAGE_SIZE (tests), else 1000 */
    unsigned parallel_reads;   /* storage_options.parallel_reads */
    unsigned parallel_uploads; /* storage_options.parallel_uploads */
    const char *sse, *sse_kms_key_id, *storage_class;
};

/* "s3://bucket/key", for messages, into buf. */
const char *s3_name(const struct s3_session *ss, const char *key, char *buf, size_t len);
/* The URL of key (NULL: the bucket) with `query` ("" or "?..."). malloc'd. */
char *s3_url(const struct s3_session *ss, const char *key, const char *query);
/* Records why a request on `name` failed (see gcs_fail) from the answer:
 * 403 names the identity and the refused action, a wrong region names the
 * bucket's region, a missing bucket says so. */
nb_err s3_fail(const struct s3_session *ss, long status, const char *body, const char *headers,
               const char *fmt, const char *name);
/* A request with the session's signer and retries (an expired session
 * token is fetched again once). payload_sha256 NULL: unsigned payload. */
nb_err s3_call(struct s3_session *ss, const char *method, const char *url, const char *what,
               const struct curl_slist *headers, const void *body, size_t body_len,
               struct http_response *resp) NB_WARN_UNUSED;
/* s3_call() on another client (a part upload on its own thread). */
nb_err s3_call_on(struct s3_session *ss, struct http_client *client, const char *method,
                  const char *url, const char *what, const struct curl_slist *headers,
                  const void *body, size_t body_len, struct http_response *resp) NB_WARN_UNUSED;
/* Adds S3_SSE / S3_SSE_KMS_KEY_ID / S3_STORAGE_CLASS headers for a new
 * object. */
nb_err s3_object_headers(const struct s3_session *ss, struct curl_slist **h) NB_WARN_UNUSED;

nb_err s3_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                     struct storage_writer **out);

#endif
