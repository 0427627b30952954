/*
 * http.h: the small libcurl layer the cloud drivers share.
 *
 * A request is built from struct http_request (method, URL, headers, body)
 * and sent once with http_send(), or with retries with http_call():
 * connection errors, 408, 429 (honouring Retry-After) and 5xx are retried
 * with exponential backoff and jitter, bounded in count and in total time,
 * and each retry is logged (method and `what`, never headers: the
 * Authorization header never reaches a log line). A 401 makes the signer
 * fetch fresh credentials once. Every decision of that loop is
 * http_retry_next(): the one retry loop of every driver, whether the
 * request is a small call, a streamed ranged read (http_read.h) or a part
 * of an upload (storage/part_writer.h).
 *
 * Streamed transfers (a download read as it arrives, an upload sent chunk
 * by chunk) use http_setup() to prepare their own handle and the
 * http_retry_* functions to wait between attempts, so every driver retries
 * the same way.
 */
#ifndef NB_HTTP_H
#define NB_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One attempt of a request, as its signer sees it. */
struct http_sign_request {
    const char *method;
    const char *url;                  /* as the driver built it (query included) */
    const struct curl_slist *headers; /* the driver's headers ("Name: value") */
    const char *payload_sha256;       /* hex SHA-256 of the body; NULL: not signed */
    char *new_url; /* the signer may set a malloc'd replacement URL (a SAS token) */
};

/*
 * The request signer hook. sign() sees the whole request (method, URL with
 * its query, headers, payload hash) and adds what the store needs to
 * *headers (an Authorization header, x-amz-date, ...) or rewrites the URL
 * through req->new_url. `refresh` asks for fresh credentials: the previous
 * attempt was refused with 401. A bearer token is the simplest signer
 * (auth/token_cache.h); SigV4 and Azure Shared Key sign the request; a SAS
 * token changes the URL. Errors are recorded with nb_error(); secrets never
 * reach a message.
 */
struct http_signer {
    nb_err (*sign)(void *ctx, struct http_sign_request *req, bool refresh,
                   struct curl_slist **headers);
    void *ctx;
};

struct http_request {
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *url;
    const char *what;                 /* for logs: "GET gs://bucket/key" */
    const struct curl_slist *headers; /* extra headers, copied per attempt */
    const void *body;                 /* request body, or NULL */
    size_t body_len;
    const char *payload_sha256;       /* for the signer; NULL: unsigned payload */
    const struct http_signer *signer; /* NULL: no credentials */
    bool refresh_auth;                /* ask the signer for new credentials first */
    size_t max_body;                  /* response body kept (0: 4 MiB); the rest is dropped */
};

struct http_response {
    long status; /* 0 when no response arrived */
    char *body;  /* NUL-terminated, malloc'd (may be NULL) */
    size_t body_len;
    bool truncated; /* the body was longer than max_body */
    char *headers;  /* the last response's raw header block, NUL-terminated */
    size_t headers_len;
    CURLcode curl; /* CURLE_OK when a response arrived */
    char curl_error[CURL_ERROR_SIZE];
};

/* Retry bounds. */
struct http_retry_policy {
    unsigned max_retries; /* retries after the first attempt */
    double base;          /* seconds: the first backoff is at most base * 2 */
    double cap;           /* seconds: no single wait is longer */
    double budget;        /* seconds: no retry starts after this much time */
};

/* The state of one sequence of attempts. */
struct http_retry {
    const struct http_retry_policy *policy;
    unsigned retries; /* retries done so far */
    double started;   /* monotonic seconds of the first attempt */
};

/* A handle for sequential requests; it keeps connections alive. */
struct http_client;

nb_err http_client_new(struct http_client **out) NB_WARN_UNUSED;
void http_client_free(struct http_client *c);

/* The default policy (8 retries, 0.25 s base, 30 s cap, 300 s budget). */
const struct http_retry_policy *http_default_policy(void);

/* One attempt. NB_OK when a response arrived, whatever its status; a
 * connection failure is NB_ERR_STORAGE with resp->curl set. Credentials
 * errors of req->signer are returned as recorded. The caller frees resp with
 * http_response_free(). */
nb_err http_send(struct http_client *c, const struct http_request *req,
                 struct http_response *resp) NB_WARN_UNUSED;

/* http_send() with retries (see above). NB_OK with the final response when
 * one arrived (any status, also after the retries ran out); a connection
 * failure that outlasted the retries is NB_ERR_STORAGE naming req->what. */
nb_err http_call(struct http_client *c, const struct http_request *req,
                 const struct http_retry_policy *policy, struct http_response *resp) NB_WARN_UNUSED;

void http_response_free(struct http_response *resp);

/*
 * For streamed transfers: resets `easy` and sets method, URL, body, the
 * shared timeouts (and CA_BUNDLE), and `headers` plus the signer's
 * (*out_headers, to free with curl_slist_free_all after the transfer).
 */
nb_err http_setup(CURL *easy, const struct http_request *req, bool refresh_auth,
                  struct curl_slist **out_headers) NB_WARN_UNUSED;

/* The extra CA file of CA_BUNDLE (every provider), else `fallback` (e.g.
 * AWS_CA_BUNDLE), else NULL: the system's. Read once per request. */
const char *http_ca_bundle(void);
void http_set_ca_fallback(const char *path);

/* The value of header `name` in a curl_slist of "Name: value" lines; NULL
 * when absent. Points into the list. */
const char *http_slist_get(const struct curl_slist *list, const char *name);
/* Appends "Name: value" to *list (NB_ERR_NOMEM recorded on failure). */
nb_err http_slist_add(struct curl_slist **list, const char *name, const char *value) NB_WARN_UNUSED;

/* Sleeps `seconds` (through signals): the waits of the retry loop and of
 * pollers such as Azure's Copy Blob. */
void http_sleep(double seconds);

/* Starts a sequence of attempts. */
void http_retry_start(struct http_retry *r, const struct http_retry_policy *policy);

/* What to do after an attempt. */
enum http_next {
    HTTP_NEXT_DONE,    /* an answer to hand to the caller (any status) */
    HTTP_NEXT_RETRY,   /* waited (backoff or Retry-After): send it again */
    HTTP_NEXT_REFRESH, /* 401: send it again with fresh credentials (once) */
    HTTP_NEXT_FAIL,    /* a connection failure that is not worth (or out of) retries:
                        * recorded with nb_error() naming `what` */
};

/* The outcome of one attempt: a transport failure (curl != CURLE_OK) or an
 * answer with its status and raw headers (for Retry-After). */
struct http_outcome {
    CURLcode curl;
    const char *curl_error; /* may be NULL or "" */
    long status;
    const char *headers;
};

/*
 * The one retry loop's decision: connection failures that are worth it,
 * 408, 429 and 5xx are retried (Retry-After honoured) within r's policy;
 * the first 401 asks for fresh credentials (*refreshed tracks it: pass
 * NULL when the request carries none); anything else is DONE. When the
 * retries run out on an answer it is DONE (the caller maps the status);
 * on a connection failure it is FAIL.
 */
enum http_next http_retry_next(struct http_retry *r, const char *what, const struct http_outcome *o,
                               bool *refreshed);
/* After a failed attempt (`why`: "HTTP 503", "connection reset..."):
 * logs the retry, waits (backoff with jitter, or `retry_after` seconds when
 * >= 0) and returns true; returns false when the count or the time budget
 * is spent (nothing logged: the caller reports the failure). */
bool http_retry_wait(struct http_retry *r, const char *what, const char *why, double retry_after);

/* ---- pure helpers (unit-tested) ---- */

/* Connection errors, 408, 429 and 5xx are worth another attempt. */
bool http_status_retryable(long status);
bool http_curl_retryable(CURLcode code);
/* The wait before retry number `retry` (0-based): equal jitter over
 * min(cap, base * 2^(retry+1)), i.e. in [d/2, d]; `unit` in [0,1). */
double http_backoff(const struct http_retry_policy *p, unsigned retry, double unit);
/* Retry-After as delta-seconds or an HTTP-date, relative to `now` (Unix
 * seconds). Returns seconds (0 for a date in the past) or -1 when the
 * value cannot be parsed. */
double http_parse_retry_after(const char *value, double now);
/* The value of header `name` (case-insensitive) in a raw header block, into
 * buf (trimmed); false when absent. */
bool http_header_get(const char *block, const char *name, char *buf, size_t len);
/* Percent-encodes everything but RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~), so '/' becomes %2F. malloc'd. */
char *http_escape(const char *s);
/* An object key for a URL path: each '/'-separated segment escaped with
 * http_escape(), the '/' kept (as SigV4 and Shared Key sign it).
 * malloc'd. */
char *http_escape_path(const char *key);
/* "bytes=A-B" (a Range header value or a 308's Range) into its end B;
 * false when absent or malformed. */
bool http_parse_range_end(const char *value, uint64_t *end);
/* "bytes A-B/TOTAL" or "bytes * /TOTAL" (Content-Range) into its parts;
 * *total is UINT64_MAX when '*'. */
bool http_parse_content_range(const char *value, uint64_t *first, uint64_t *last, uint64_t *total);

#endif
