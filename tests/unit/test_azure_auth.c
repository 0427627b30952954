/* Unit tests of lib/auth/azure.c without a network: which identity, account
 * and endpoint the environment gives, and what the signer adds to a request
 * (Shared Key, SAS in the URL, bearer only over HTTPS). No secret in an
 * identity string or a message. */
#include <stdlib.h>
#include <string.h>

#include "auth/azure.h"
#include "storage/azure/sign.h"
#include "unit.h"

#define KEY                                                                                        \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define SAS "sv=2025-01-05&sr=c&sp=racwdl&se=2030-01-01T00%3A00%3A00Z&sig=SECRETsig%3D"

static const char *const vars[] = {
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_BLOB_ENDPOINT",
    "ACCOUNT_NAME",
    "ACCOUNT_KEY",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_IMDS_ENDPOINT",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

/* Signs method/url with a's signer; the headers added and the URL sent. */
static nb_err sign(struct azure_auth *a, const char *method, const char *url,
                   struct curl_slist **added, char **new_url)
{
    struct http_sign_request req = {.method = method, .url = url};
    nb_err err = azure_sign(a, &req, false, added);

    *new_url = req.new_url;
    return err;
}

static void test_shared_key_from_env(void)
{
    struct azure_auth *a = NULL;
    struct curl_slist *h = NULL;
    char *url = NULL;
    const char *auth;

    clear_env();
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "neo4jbackups", 1);
    setenv("AZURE_STORAGE_ACCOUNT_KEY", KEY, 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_OK);
    if (!a)
        return;
    CHECK(azure_auth_kind(a) == AZURE_AUTH_SHARED_KEY);
    CHECK_STR(azure_auth_account(a), "neo4jbackups");
    CHECK_STR(azure_auth_endpoint(a), "https://neo4jbackups.blob.core.windows.net");
    CHECK(azure_auth_sas(a) == NULL);
    CHECK(strstr(azure_auth_identity(a), "account key") != NULL);
    CHECK(strstr(azure_auth_identity(a), KEY) == NULL);
    CHECK(sign(a, "GET", "https://neo4jbackups.blob.core.windows.net/c/b", &h, &url) == NB_OK);
    CHECK(url == NULL);
    auth = http_slist_get(h, "Authorization");
    CHECK(auth && strncmp(auth, "SharedKey neo4jbackups:", 23) == 0);
    CHECK_STR(http_slist_get(h, "x-ms-version"), AZURE_SERVICE_VERSION);
    CHECK(http_slist_get(h, "x-ms-date") != NULL);
    curl_slist_free_all(h);
    azure_auth_free(a);
}

static void test_sas_goes_in_the_url(void)
{
    struct azure_auth *a = NULL;
    struct curl_slist *h = NULL;
    char *url = NULL;

    clear_env();
    setenv("AZURE_STORAGE_SAS_TOKEN", "?" SAS, 1);
    setenv("AZURE_STORAGE_BLOB_ENDPOINT", "http://127.0.0.1:10000/devstoreaccount1/", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_OK);
    if (!a)
        return;
    CHECK(azure_auth_kind(a) == AZURE_AUTH_SAS);
    /* the account of azurite's path-style endpoint */
    CHECK_STR(azure_auth_account(a), "devstoreaccount1");
    CHECK_STR(azure_auth_endpoint(a), "http://127.0.0.1:10000/devstoreaccount1");
    CHECK_STR(azure_auth_sas(a), SAS);
    CHECK(strstr(azure_auth_identity(a), "SECRET") == NULL);
    CHECK(sign(a, "GET", "http://h/devstoreaccount1/c?restype=container&comp=list", &h, &url) ==
          NB_OK);
    CHECK_STR(url, "http://h/devstoreaccount1/c?restype=container&comp=list&" SAS);
    CHECK(http_slist_get(h, "Authorization") == NULL);
    CHECK_STR(http_slist_get(h, "x-ms-version"), AZURE_SERVICE_VERSION);
    free(url);
    curl_slist_free_all(h);
    h = NULL;
    CHECK(sign(a, "GET", "http://h/devstoreaccount1/c/b", &h, &url) == NB_OK);
    CHECK_STR(url, "http://h/devstoreaccount1/c/b?" SAS);
    free(url);
    curl_slist_free_all(h);
    azure_auth_free(a);
}

static void test_accounts(void)
{
    struct azure_auth *a = NULL;

    /* the URL's account wins, and must agree with the credentials' */
    clear_env();
    setenv("AZURE_STORAGE_ACCOUNT_KEY", KEY, 1);
    CHECK(azure_auth_new(NULL, "fromurl", &a) == NB_OK);
    if (a)
        CHECK_STR(azure_auth_endpoint(a), "https://fromurl.blob.core.windows.net");
    azure_auth_free(a);
    a = NULL;
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "other", 1);
    CHECK(azure_auth_new(NULL, "fromurl", &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "fromurl") && strstr(nb_errmsg(), "other"));
    CHECK(strstr(nb_errmsg(), KEY) == NULL);
    /* no account anywhere */
    clear_env();
    setenv("AZURE_STORAGE_SAS_TOKEN", SAS, 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "AZURE_STORAGE_ACCOUNT_NAME") != NULL);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
    /* a key that is not base64 */
    clear_env();
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "acct", 1);
    setenv("AZURE_STORAGE_ACCOUNT_KEY", "not*base64*SECRET", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
    /* a connection string's EndpointSuffix */
    clear_env();
    setenv("AZURE_STORAGE_CONNECTION_STRING",
           "DefaultEndpointsProtocol=https;AccountName=sov;AccountKey=" KEY
           ";EndpointSuffix=core.chinacloudapi.cn",
           1);
    a = NULL;
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_OK);
    if (a)
        CHECK_STR(azure_auth_endpoint(a), "https://sov.blob.core.chinacloudapi.cn");
    azure_auth_free(a);
}

static void test_bearer_identities(void)
{
    struct azure_auth *a = NULL;
    struct curl_slist *h = NULL;
    char *url = NULL;

    /* workload identity: all three variables, an https authority */
    clear_env();
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "acct", 1);
    setenv("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/token", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "AZURE_CLIENT_ID") != NULL);
    setenv("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555", 1);
    setenv("AZURE_TENANT_ID", "tenant", 1);
    setenv("AZURE_AUTHORITY_HOST", "http://127.0.0.1:1", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "HTTPS") != NULL);
    setenv("AZURE_AUTHORITY_HOST", "https://127.0.0.1:1/", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_OK);
    if (a) {
        CHECK(azure_auth_kind(a) == AZURE_AUTH_WORKLOAD);
        CHECK(strstr(azure_auth_identity(a), "11111111-2222-3333-4444-555555555555") != NULL);
        /* the token file is read only when a token is needed: over http,
         * nothing is fetched, the request is refused */
        CHECK(sign(a, "GET", "http://h/acct/c", &h, &url) == NB_ERR_USAGE);
        curl_slist_free_all(h);
        free(url);
    }
    azure_auth_free(a);
    a = NULL;
    /* bearer tokens and an http endpoint: refused when the session opens */
    setenv("AZURE_STORAGE_BLOB_ENDPOINT", "http://127.0.0.1:10000/acct", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "HTTPS") != NULL);
    /* managed identity when nothing else applies */
    clear_env();
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "acct", 1);
    setenv("AZURE_IMDS_ENDPOINT", "http://127.0.0.1:1/", 1);
    CHECK(azure_auth_new(NULL, NULL, &a) == NB_OK);
    if (a) {
        CHECK(azure_auth_kind(a) == AZURE_AUTH_MANAGED);
        CHECK(strstr(azure_auth_identity(a), "http://127.0.0.1:1") != NULL);
    }
    azure_auth_free(a);
}

int main(void)
{
    test_shared_key_from_env();
    test_sas_goes_in_the_url();
    test_accounts();
    test_bearer_identities();
    clear_env();
    return unit_report("test_azure_auth");
}
