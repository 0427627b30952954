/*
 * gcp.h: OAuth2 access tokens for Google Cloud Storage.
 *
 * Two sources:
 *   - a service-account JSON key: a JWT (RS256, signed with the key's
 *     private key) exchanged at the key's token_uri;
 *   - no key: the metadata server (GKE workload identity), at
 *     metadata.google.internal or GCE_METADATA_HOST (host:port).
 * The token is cached and fetched again before it expires (a margin of a
 * quarter of its lifetime, at most 5 minutes), so a long transfer that
 * asks for it before every request never sends a stale one; a 401 makes
 * the caller ask for a fresh one once (gcp_auth_apply with refresh).
 *
 * The private key never leaves this file: it is not logged, not put in a
 * message, and its PEM text is wiped once parsed. Messages name the
 * identity (the key's client_email).
 */
#ifndef NB_AUTH_GCP_H
#define NB_AUTH_GCP_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define GCP_SCOPE_READ_WRITE  "https://www.googleapis.com/auth/devstorage.read_write"
#define GCP_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCP_METADATA_HOST     "metadata.google.internal"

struct gcp_auth;

/* Reads the key at credentials_file, or prepares the metadata server when
 * it is NULL. A file that is not a service-account key is NB_ERR_USAGE.
 * Nothing is fetched yet. */
nb_err gcp_auth_new(const char *credentials_file, struct gcp_auth **out) NB_WARN_UNUSED;
void gcp_auth_free(struct gcp_auth *a);

/* Who we are, for messages: the key's client_email, or "the workload
 * identity EMAIL" once the metadata server told it. */
const char *gcp_auth_identity(const struct gcp_auth *a);

/* A valid access token (cached, fetched when missing, near expiry, or when
 * `refresh`). Failures: NB_ERR_AUTH when the identity is refused,
 * NB_ERR_STORAGE when the token endpoint cannot be reached. */
nb_err gcp_auth_token(struct gcp_auth *a, bool refresh, const char **token) NB_WARN_UNUSED;

/* struct http_auth's apply: appends "Authorization: Bearer TOKEN". */
nb_err gcp_auth_apply(void *ctx, bool refresh, struct curl_slist **headers) NB_WARN_UNUSED;

/* ---- pure helpers (unit-tested) ---- */

/* RFC 4648 section 5, no padding. malloc'd. */
char *gcp_base64url(const void *data, size_t len);
/* {"alg":"RS256","typ":"JWT"[,"kid":KID]} (compact JSON). malloc'd. */
char *gcp_jwt_header(const char *kid);
/* {"iss":..,"scope":..,"aud":..,"iat":IAT,"exp":IAT+LIFETIME}. malloc'd. */
char *gcp_jwt_claims(const char *iss, const char *scope, const char *aud, long long iat,
                     long lifetime);
/* base64url(header) "." base64url(claims) "." base64url(RS256 signature). */
nb_err gcp_jwt_sign(EVP_PKEY *key, const char *header, const char *claims,
                    char **jwt) NB_WARN_UNUSED;
/* {"access_token":..,"expires_in":N,...}: a copy of the token and N.
 * NB_ERR_STORAGE when malformed. */
nb_err gcp_parse_token_response(const char *body, char **token, long *expires_in) NB_WARN_UNUSED;
/* Seconds before expiry at which a token of `lifetime` seconds is renewed. */
double gcp_refresh_margin(double lifetime);
/* The token obtained at `obtained` for `lifetime` seconds is still good to
 * send at `now` (all monotonic seconds). */
bool gcp_token_fresh(double now, double obtained, double lifetime);

#endif
