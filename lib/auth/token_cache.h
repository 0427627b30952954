/*
 * token_cache.h: the one cache of temporary credentials.
 *
 * Every provider's short-lived credentials go through it: Google access
 * tokens (service-account JWT, metadata server), AWS temporary keys (STS
 * web identity, EKS Pod Identity, IMDSv2) and Azure tokens (workload and
 * managed identity). A driver gives a fetch function; the cache calls it
 * when there is no credential yet, when the one it holds is within its
 * renewal margin (a quarter of its lifetime, at most 5 minutes), or when a
 * request was refused (refresh). A long transfer asks before every request,
 * so it never sends a stale credential: renewal happens mid-transfer.
 *
 * Thread-safe: parallel transfers share one cache; token_cache_get() hands
 * out a copy, wiped by auth_token_clear(). Secrets never reach a log line.
 */
#ifndef NB_AUTH_TOKEN_CACHE_H
#define NB_AUTH_TOKEN_CACHE_H

#include <curl/curl.h>
#include <stdbool.h>

#include "error.h"
#include "http.h"

struct auth_token {
    char *token;     /* a bearer token, or an AWS access key id */
    char *secret;    /* an AWS secret access key; NULL for bearer tokens */
    char *session;   /* an AWS session token; NULL when none */
    double lifetime; /* seconds from the fetch; <= 0: does not expire */
};

/* Fetches a new credential into *out (all fields malloc'd). Errors are
 * recorded with nb_error() naming the identity and what to do. */
typedef nb_err (*token_fetch_fn)(void *ctx, struct auth_token *out);
/* Who the credential belongs to, for log lines ("the key of x@y"). */
typedef const char *(*token_identity_fn)(void *ctx);

struct token_cache;

nb_err token_cache_new(token_fetch_fn fetch, token_identity_fn identity, void *ctx,
                       struct token_cache **out) NB_WARN_UNUSED;
void token_cache_free(struct token_cache *c);

/* A copy of a valid credential (see above); clear it with
 * auth_token_clear(). */
nb_err token_cache_get(struct token_cache *c, bool refresh, struct auth_token *out) NB_WARN_UNUSED;

/* A credential that never expires (keys from a file or the environment). */
nb_err token_cache_set_static(struct token_cache *c, const struct auth_token *t) NB_WARN_UNUSED;

/* Wipes and frees the fields of t. */
void auth_token_clear(struct auth_token *t);
/* Deep copy; NB_ERR_NOMEM recorded on failure. */
nb_err auth_token_copy(const struct auth_token *in, struct auth_token *out) NB_WARN_UNUSED;

/* struct http_signer's sign over a cache (ctx): the simplest signer,
 * "Authorization: Bearer TOKEN". */
nb_err token_cache_bearer_sign(void *ctx, struct http_sign_request *req, bool refresh,
                               struct curl_slist **headers) NB_WARN_UNUSED;

/* ---- pure helpers (unit-tested) ---- */

/* Seconds before expiry at which a credential of `lifetime` is renewed. */
double token_refresh_margin(double lifetime);
/* The credential obtained at `obtained` for `lifetime` seconds (<= 0:
 * forever) is still good to send at `now` (monotonic seconds). */
bool token_fresh(double now, double obtained, double lifetime);

#endif
