/*
 * aws.h: AWS identities and the SigV4 request signer.
 *
 * The first source that applies (DESIGN section 10):
 *   1. the credentials file (CREDENTIALS_FILE, /credentials/credentials):
 *      an INI file, profile AWS_PROFILE or "default" ("[name]" or
 *      "[profile name]"), aws_access_key_id, aws_secret_access_key,
 *      optional aws_session_token and region;
 *   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   3. IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, exchanged at STS
 *      (AssumeRoleWithWebIdentity; AWS_ENDPOINT_URL_STS overrides the
 *      endpoint), the token file read again at each renewal;
 *   4. EKS Pod Identity / ECS: AWS_CONTAINER_CREDENTIALS_FULL_URI (or
 *      _RELATIVE_URI) with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN;
 *   5. the instance profile through IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides the address; AWS_EC2_METADATA_DISABLED=true turns it off).
 * Temporary credentials live in the shared token cache (token_cache.h):
 * renewed before they expire, also mid-transfer, and once after a refusal.
 * Secrets never reach a message; messages name the access key id.
 */
#ifndef NB_AUTH_AWS_H
#define NB_AUTH_AWS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "http.h"

#define AWS_DEFAULT_REGION   "us-east-1"
#define AWS_IMDS_ENDPOINT    "http://169.254.169.254"
#define AWS_ECS_ENDPOINT     "http://169.254.170.2"
#define AWS_STS_SESSION_NAME "neo4j-backup"

struct aws_auth;

/* Picks the identity (nothing fetched yet) and the region. */
nb_err aws_auth_new(const char *credentials_file, struct aws_auth **out) NB_WARN_UNUSED;
void aws_auth_free(struct aws_auth *a);

/* "access key AKIA... (credentials file, profile default)", "role ARN
 * through web identity", ...: for messages. */
const char *aws_auth_identity(const struct aws_auth *a);
/* AWS_REGION, else AWS_DEFAULT_REGION, else the file's region, else
 * us-east-1. */
const char *aws_auth_region(const struct aws_auth *a);

/* A SigV4 signer for `service` in `region` over a's credentials. Signs
 * every request: x-amz-date, x-amz-content-sha256 (the payload's hash, or
 * UNSIGNED-PAYLOAD), x-amz-security-token, Authorization. */
struct aws_signer {
    struct aws_auth *auth;
    const char *region;
    const char *service;
};
nb_err aws_sign(void *ctx, struct http_sign_request *req, bool refresh,
                struct curl_slist **headers) NB_WARN_UNUSED;

/* ---- pure helpers (unit-tested) ---- */

struct aws_profile {
    char *access_key_id, *secret_access_key, *session_token, *region;
};
/* Reads `profile` of an INI text into out (fields malloc'd; absent ones
 * NULL). false when the profile is not there. */
bool aws_ini_profile(const char *text, const char *profile, struct aws_profile *out);
void aws_profile_clear(struct aws_profile *p);
/* "2026-12-03T07:20:11Z" (also with fractions or +00:00) into Unix
 * seconds; -1 when malformed. */
long long aws_parse_time(const char *iso);

#endif
