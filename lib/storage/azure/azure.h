/* The Azure Blob driver (azb://, https://ACCOUNT.blob.core.windows.net/,
 * container/path with CLOUD_PROVIDER=azure). */
#ifndef NB_STORAGE_AZURE_H
#define NB_STORAGE_AZURE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/azure.h"
#include "http.h"
#include "storage/storage.h"

extern const struct storage_driver azure_driver;

/* Internal to the driver (storage.c, write.c). */

#define AZURE_DEFAULT_BLOCK  (8u << 20)
#define AZURE_PARALLEL_BLOCK (4u << 20)  /* the default with PARALLEL_UPLOADS > 1 */
#define AZURE_MIN_BLOCK      (64u << 10) /* the smallest AZURE_BLOCK_SIZE */
#define AZURE_MAX_BLOCK      (4000ull << 20)
#define AZURE_COPY_TIMEOUT   3600.0 /* seconds a Copy Blob may stay pending */

struct azure_session {
    char *container;
    struct azure_auth *auth;
    struct http_signer signer;
    struct http_client *http;
    size_t block_size;         /* AZURE_BLOCK_SIZE, else AZURE_DEFAULT_BLOCK */
    unsigned max_blocks;       /* AZURE_MAX_BLOCKS */
    unsigned list_page_size;   /* AZURE_LIST_PAGE_SIZE (tests), else 5000 */
    unsigned parallel_reads;   /* storage_options.parallel_reads */
    unsigned parallel_uploads; /* storage_options.parallel_uploads */
};

/* "azb://container/key", for messages, into buf. */
const char *azure_name(const struct azure_session *as, const char *key, char *buf, size_t len);
/* The URL of key (NULL: the container) with `query` ("" or "?..."). malloc'd. */
char *azure_url(const struct azure_session *as, const char *key, const char *query);
/* Records why a request on `name` failed, from the status, the error code
 * (x-ms-error-code or the body's <Code>) and message: a refusal names the
 * identity and the account, a missing container says so. Never a secret. */
nb_err azure_fail(const struct azure_session *as, long status, const char *body,
                  const char *headers, const char *fmt, const char *name);
/* A request with the session's signer and retries. A body is sent with
 * Content-Length and Content-Type (application/octet-stream unless
 * `headers` names one), as Shared Key signs them. */
nb_err azure_call(struct azure_session *as, const char *method, const char *url, const char *what,
                  const struct curl_slist *headers, const void *body, size_t body_len,
                  struct http_response *resp) NB_WARN_UNUSED;
/* azure_call() on another client (a block upload on its own thread). */
nb_err azure_call_on(struct azure_session *as, struct http_client *client, const char *method,
                     const char *url, const char *what, const struct curl_slist *headers,
                     const void *body, size_t body_len, struct http_response *resp) NB_WARN_UNUSED;

nb_err azure_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                        struct storage_writer **out);

#endif
