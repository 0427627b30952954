/*
 * azure.h: Azure storage identities and the Blob service request signer.
 *
 * The first source that applies (DESIGN section 10):
 *   1. the credentials file (CREDENTIALS_FILE, /credentials/credentials):
 *      KEY=VALUE lines, with or without `export`, parsed and never executed
 *      (storage/azure/credentials.h): a connection string
 *      (AZURE_STORAGE_CONNECTION_STRING), an account key (ACCOUNT_KEY or
 *      AZURE_STORAGE_ACCOUNT_KEY, with ACCOUNT_NAME or
 *      AZURE_STORAGE_ACCOUNT_NAME) or a SAS token (AZURE_STORAGE_SAS_TOKEN);
 *   2. the same names as environment variables;
 *   3. workload identity: AZURE_CLIENT_ID + AZURE_TENANT_ID +
 *      AZURE_FEDERATED_TOKEN_FILE, the file's token exchanged as a client
 *      assertion at AZURE_AUTHORITY_HOST (default
 *      https://login.microsoftonline.com)/TENANT/oauth2/v2.0/token for
 *      https://storage.azure.com/.default, read again at each renewal;
 *   4. managed identity through IMDS (AZURE_IMDS_ENDPOINT overrides
 *      http://169.254.169.254; AZURE_CLIENT_ID picks a user-assigned one).
 * Tokens live in the shared token cache (token_cache.h). Bearer tokens go
 * only over HTTPS. The account comes from the URL, the credentials or
 * AZURE_STORAGE_ACCOUNT_NAME; the endpoint from a connection string's
 * BlobEndpoint (or EndpointSuffix), AZURE_STORAGE_BLOB_ENDPOINT, else
 * https://ACCOUNT.blob.core.windows.net. Messages name the account and the
 * kind of identity, never a key, a SAS signature or a token.
 */
#ifndef NB_AUTH_AZURE_H
#define NB_AUTH_AZURE_H

#include <stdbool.h>

#include "error.h"
#include "http.h"

#define AZURE_AUTHORITY_DEFAULT "https://login.microsoftonline.com"
#define AZURE_IMDS_DEFAULT      "http://169.254.169.254"
#define AZURE_STORAGE_SCOPE     "https://storage.azure.com/.default"
#define AZURE_STORAGE_RESOURCE  "https://storage.azure.com/"

enum azure_auth_kind {
    AZURE_AUTH_SHARED_KEY,
    AZURE_AUTH_SAS,
    AZURE_AUTH_WORKLOAD,
    AZURE_AUTH_MANAGED,
};

struct azure_auth;

/* Picks the identity, the account and the endpoint (nothing fetched yet).
 * url_account: the account the BUCKET URL names, or NULL. */
nb_err azure_auth_new(const char *credentials_file, const char *url_account,
                      struct azure_auth **out) NB_WARN_UNUSED;
void azure_auth_free(struct azure_auth *a);

enum azure_auth_kind azure_auth_kind(const struct azure_auth *a);
/* "the account key (from the credentials file F)", "the SAS token (from
 * the environment)", "workload identity C (tenant T)", "the managed
 * identity (IMDS E)": for messages. */
const char *azure_auth_identity(const struct azure_auth *a);
/* The storage account ("" when no source names one and the endpoint was
 * given). */
const char *azure_auth_account(const struct azure_auth *a);
/* The Blob service endpoint, scheme://host[:port][/path], no trailing '/'. */
const char *azure_auth_endpoint(const struct azure_auth *a);
/* The SAS token (no '?') when the identity is one, else NULL: a Copy
 * Blob's source needs it too. */
const char *azure_auth_sas(const struct azure_auth *a);

/* struct http_signer's sign over an azure_auth (ctx): x-ms-version and
 * x-ms-date on every request, then Shared Key (Authorization: SharedKey),
 * the SAS appended to the URL (req->new_url), or a bearer token. */
nb_err azure_sign(void *ctx, struct http_sign_request *req, bool refresh,
                  struct curl_slist **headers) NB_WARN_UNUSED;

#endif
