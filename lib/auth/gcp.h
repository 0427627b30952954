/*
 * gcp.h: OAuth2 access tokens for Google Cloud Storage.
 *
 * Two sources:
 *   - a service-account JSON key: a JWT (RS256, signed with the key's
 *     private key) exchanged at the key's token_uri;
 *   - no key: the metadata server (GKE workload identity), at
 *     metadata.google.internal or GCE_METADATA_HOST (host:port).
 * The token lives in the shared token cache (auth/token_cache.h), which
 * renews it before it expires and once more after a 401.
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

/* The token cache of this identity: its signer is
 * token_cache_bearer_sign ("Authorization: Bearer TOKEN"). */
struct token_cache *gcp_auth_cache(struct gcp_auth *a);

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
#endif
