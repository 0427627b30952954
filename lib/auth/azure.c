/* Azure storage identities and the Blob service request signer (see azure.h). */
#include "auth/azure.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/secret_file.h"
#include "auth/token_cache.h"
#include "config.h"
#include "log.h"
#include "storage/azure/credentials.h"
#include "storage/azure/sign.h"

#define AZURE_TOKEN_FILE_MAX (64u << 10)

struct azure_auth {
    enum azure_auth_kind kind;
    char identity[700];
    char *account;  /* "" when unknown */
    char *endpoint; /* no trailing '/' */
    char *key;      /* Shared Key, base64 */
    char *sas;      /* without '?' */
    struct token_cache *cache;
    struct http_client *http;
    /* workload identity */
    char *tenant, *client_id, *token_file, *authority;
    /* managed identity */
    char *imds;
};

/* IMDS is on the node: a few quick retries, not the store's patience. */
static const struct http_retry_policy local_policy = {
    .max_retries = 3,
    .base = 0.25,
    .cap = 2.0,
    .budget = 10.0,
};

static void wipe_free(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* strdup without trailing '/'. */
static char *dup_url(const char *s)
{
    char *d = strdup(s);
    size_t n = d ? strlen(d) : 0;

    while (n && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

enum azure_auth_kind azure_auth_kind(const struct azure_auth *a)
{
    return a->kind;
}

const char *azure_auth_identity(const struct azure_auth *a)
{
    return a->identity;
}

const char *azure_auth_account(const struct azure_auth *a)
{
    return a->account;
}

const char *azure_auth_endpoint(const struct azure_auth *a)
{
    return a->endpoint;
}

const char *azure_auth_sas(const struct azure_auth *a)
{
    return a->kind == AZURE_AUTH_SAS ? a->sas : NULL;
}

static const char *identity_of(void *ctx)
{
    return azure_auth_identity(ctx);
}

/* ---- tokens ---- */

/* expires_in as a JSON number or a string of digits (IMDS). */
static double json_seconds(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return 0;
}

/* The access token and lifetime of an OAuth answer; `what` names the source. */
static nb_err parse_token(const struct http_response *resp, const char *what,
                          struct auth_token *out)
{
    json_t *root = json_loads(resp->body ? resp->body : "", 0, NULL);
    const char *token = json_string_value(json_object_get(root, "access_token"));
    double lifetime = json_seconds(json_object_get(root, "expires_in"));
    nb_err err = NB_OK;

    if (!token || !*token)
        err = nb_error(NB_ERR_AUTH, "%s answered without an access_token", what);
    else if (!(out->token = strdup(token)))
        err = nb_error(NB_ERR_NOMEM, "out of memory");
    else
        out->lifetime = lifetime > 0 ? lifetime : 3600; /* none given: an hour */
    json_decref(root);
    return err;
}

/* The error and its description of an Entra ID / IMDS refusal, one line. */
static void oauth_excerpt(const struct http_response *resp, char *buf, size_t len)
{
    json_t *root = json_loads(resp->body ? resp->body : "", 0, NULL);
    const char *e = json_string_value(json_object_get(root, "error"));
    const char *d = json_string_value(json_object_get(root, "error_description"));

    if (e)
        snprintf(buf, len, "%s: %.300s", e, d ? d : "");
    else
        snprintf(buf, len, "%.200s", resp->body ? resp->body : "");
    json_decref(root);
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
}

static nb_err fetch_workload(struct azure_auth *a, struct auth_token *out)
{
    char *jwt = NULL, *ejwt = NULL, *eclient = NULL, *escope = NULL, *body = NULL;
    char url[1200], what[1400], info[500];
    size_t len;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "POST", .url = url, .what = what};
    nb_err err;

    snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token", a->authority, a->tenant);
    snprintf(what, sizeof(what), "token exchange for workload identity %s at %s", a->client_id,
             url);
    /* Read again at every renewal: the kubelet rotates the token. */
    if ((err = secret_file_read(a->token_file, AZURE_TOKEN_FILE_MAX,
                                "federated token file (AZURE_FEDERATED_TOKEN_FILE)", &jwt, &len)))
        return nb_error_context(err == NB_ERR_USAGE ? NB_ERR_AUTH : err, "%s", what);
    len = strlen(jwt);
    while (len && isspace((unsigned char)jwt[len - 1]))
        jwt[--len] = '\0';
    err = nb_error(NB_ERR_NOMEM, "out of memory");
    if (!(ejwt = http_escape(jwt)) || !(eclient = http_escape(a->client_id)) ||
        !(escope = http_escape(AZURE_STORAGE_SCOPE)) ||
        asprintf(&body,
                 "grant_type=client_credentials&client_id=%s&scope=%s&client_assertion_type="
                 "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
                 "&client_assertion=%s",
                 eclient, escope, ejwt) < 0 ||
        http_slist_add(&h, "Content-Type", "application/x-www-form-urlencoded") ||
        http_slist_add(&h, "Accept", "application/json")) {
        body = NULL;
        goto out;
    }
    req.headers = h;
    req.body = body;
    req.body_len = strlen(body);
    if ((err = http_call(a->http, &req, NULL, &resp))) {
        err =
            nb_error_context(NB_ERR_AUTH, "no Azure token for workload identity %s", a->client_id);
        goto out;
    }
    if (resp.status != 200) {
        oauth_excerpt(&resp, info, sizeof(info));
        err = nb_error(NB_ERR_AUTH,
                       "Microsoft Entra ID refused the federated token of workload identity %s "
                       "(tenant %s, HTTP %ld: %s): check the federated credential of the managed "
                       "identity or app and the service account's azure.workload.identity "
                       "annotations",
                       a->client_id, a->tenant, resp.status, info);
        goto out;
    }
    err = parse_token(&resp, what, out);
out:
    secret_file_free(jwt);
    wipe_free(ejwt);
    free(eclient);
    free(escope);
    wipe_free(body);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err fetch_managed(struct azure_auth *a, struct auth_token *out)
{
    char url[1600], what[1700], info[500], *eres = http_escape(AZURE_STORAGE_RESOURCE);
    char *eclient = a->client_id ? http_escape(a->client_id) : NULL;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "GET", .url = url, .what = what};
    nb_err err;

    if (!eres || (a->client_id && !eclient)) {
        err = nb_error(NB_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(url, sizeof(url),
             "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s", a->imds,
             eres, eclient ? "&client_id=" : "", eclient ? eclient : "");
    snprintf(what, sizeof(what), "managed identity token from %s", a->imds);
    if ((err = http_slist_add(&h, "Metadata", "true")))
        goto out;
    req.headers = h;
    if ((err = http_call(a->http, &req, &local_policy, &resp))) {
        err = nb_error(
            NB_ERR_AUTH,
            "no Azure credentials: none in the credentials file or the environment "
            "(AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, "
            "AZURE_STORAGE_CONNECTION_STRING), no workload identity (AZURE_CLIENT_ID, "
            "AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE), and the managed identity endpoint "
            "(IMDS) %s cannot be reached; give credentials (the chart's secretName) or set up "
            "workload identity",
            a->imds);
        goto out;
    }
    if (resp.status != 200) {
        oauth_excerpt(&resp, info, sizeof(info));
        err = nb_error(NB_ERR_AUTH,
                       "the managed identity endpoint %s refused a token for %s (HTTP %ld: %s): "
                       "assign a managed identity to the node or VM%s",
                       a->imds, AZURE_STORAGE_RESOURCE, resp.status, info,
                       a->client_id ? ", or fix AZURE_CLIENT_ID" : "");
        goto out;
    }
    err = parse_token(&resp, what, out);
out:
    free(eres);
    free(eclient);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err fetch(void *ctx, struct auth_token *out)
{
    struct azure_auth *a = ctx;

    if (a->kind == AZURE_AUTH_WORKLOAD)
        return fetch_workload(a, out);
    if (a->kind == AZURE_AUTH_MANAGED)
        return fetch_managed(a, out);
    return nb_error(NB_ERR_AUTH, "the credentials of %s were refused", a->identity);
}

/* ---- choosing the identity ---- */

static nb_err set_account(struct azure_auth *a, const char *url_account, const char *named,
                          const char *source)
{
    if (url_account && named && strcmp(url_account, named) != 0)
        return nb_error(NB_ERR_USAGE,
                        "BUCKET names the Azure storage account '%s' but %s is for account '%s': "
                        "fix one of them",
                        url_account, source, named);
    free(a->account);
    a->account = strdup(url_account ? url_account : named ? named : "");
    return a->account ? NB_OK : nb_error(NB_ERR_NOMEM, "out of memory");
}

/* The account of an endpoint: ACCOUNT.blob.SUFFIX, or azurite's
 * http://HOST:PORT/ACCOUNT. */
static char *account_of_endpoint(const char *endpoint)
{
    const char *host = strstr(endpoint, "://"), *slash, *dot;

    if (!host)
        return NULL;
    host += 3;
    slash = strchr(host, '/');
    dot = strchr(host, '.');
    if (slash && slash[1])
        return strndup(slash + 1, strcspn(slash + 1, "/"));
    if (dot && strncmp(dot, ".blob.", 6) == 0)
        return strndup(host, (size_t)(dot - host));
    return NULL;
}

static nb_err from_credentials(struct azure_auth *a, struct azure_credentials *c,
                               const char *url_account, const char *source)
{
    nb_err err = set_account(a, url_account, c->account_name, source);

    if (err)
        return err;
    if (c->blob_endpoint && !(a->endpoint = dup_url(c->blob_endpoint)))
        return nb_error(NB_ERR_NOMEM, "out of memory");
    if (c->kind == AZURE_CRED_SHARED_KEY) {
        a->kind = AZURE_AUTH_SHARED_KEY;
        a->key = c->account_key;
        c->account_key = NULL;
    } else {
        a->kind = AZURE_AUTH_SAS;
        a->sas = c->sas;
        c->sas = NULL;
    }
    return NB_OK;
}

static nb_err choose_source(struct azure_auth *a, const char *credentials_file,
                            const char *url_account)
{
    struct azure_credentials c = {0};
    char source[600];
    nb_err err;

    if (credentials_file) {
        struct azure_kv_list kv = {0};
        snprintf(source, sizeof(source), "the credentials file %s", credentials_file);
        if ((err = azure_kv_read_file(credentials_file, &kv)))
            return err;
        err = azure_credentials_resolve(azure_lookup_kv, &kv, source, &c);
        azure_kv_free(&kv);
        if (!err && c.kind == AZURE_CRED_NONE)
            err = nb_error(NB_ERR_USAGE,
                           "%s holds no Azure credentials: write ACCOUNT_NAME and ACCOUNT_KEY, "
                           "AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN lines "
                           "(KEY=VALUE), or check CLOUD_PROVIDER",
                           source);
    } else {
        snprintf(source, sizeof(source), "the environment");
        err = azure_credentials_resolve(azure_lookup_env, NULL, source, &c);
    }
    if (!err && c.kind != AZURE_CRED_NONE)
        err = from_credentials(a, &c, url_account, source);
    azure_credentials_free(&c);
    if (err || a->key || a->sas)
        return err;

    if (config_env("AZURE_FEDERATED_TOKEN_FILE")) {
        const char *authority = config_env("AZURE_AUTHORITY_HOST")
                                    ? config_env("AZURE_AUTHORITY_HOST")
                                    : AZURE_AUTHORITY_DEFAULT;
        if (!config_env("AZURE_CLIENT_ID") || !config_env("AZURE_TENANT_ID"))
            return nb_error(NB_ERR_USAGE,
                            "AZURE_FEDERATED_TOKEN_FILE is set without AZURE_CLIENT_ID and "
                            "AZURE_TENANT_ID: workload identity needs all three (the webhook "
                            "sets them on pods whose service account has the "
                            "azure.workload.identity/client-id annotation)");
        if (strncmp(authority, "https://", 8) != 0)
            return nb_error(NB_ERR_USAGE,
                            "AZURE_AUTHORITY_HOST '%s' is not an https:// URL: the federated "
                            "token goes only over HTTPS",
                            authority);
        a->kind = AZURE_AUTH_WORKLOAD;
        if (!(a->tenant = strdup(config_env("AZURE_TENANT_ID"))) ||
            !(a->client_id = strdup(config_env("AZURE_CLIENT_ID"))) ||
            !(a->token_file = strdup(config_env("AZURE_FEDERATED_TOKEN_FILE"))) ||
            !(a->authority = dup_url(authority)))
            return nb_error(NB_ERR_NOMEM, "out of memory");
        snprintf(a->identity, sizeof(a->identity), "workload identity %s (tenant %s)", a->client_id,
                 a->tenant);
    } else {
        a->kind = AZURE_AUTH_MANAGED;
        if (!(a->imds =
                  dup_url(config_env("AZURE_IMDS_ENDPOINT") ? config_env("AZURE_IMDS_ENDPOINT")
                                                            : AZURE_IMDS_DEFAULT)) ||
            (config_env("AZURE_CLIENT_ID") &&
             !(a->client_id = strdup(config_env("AZURE_CLIENT_ID")))))
            return nb_error(NB_ERR_NOMEM, "out of memory");
        if (a->client_id)
            snprintf(a->identity, sizeof(a->identity), "managed identity %s (IMDS %s)",
                     a->client_id, a->imds);
        else
            snprintf(a->identity, sizeof(a->identity), "the managed identity (IMDS %s)", a->imds);
    }
    return set_account(a, url_account, config_env("AZURE_STORAGE_ACCOUNT_NAME"),
                       "AZURE_STORAGE_ACCOUNT_NAME");
}

/* Endpoint and account complete each other; Shared Key needs an account,
 * bearer tokens need HTTPS. */
static nb_err settle(struct azure_auth *a, const char *credentials_file)
{
    const char *ep = config_env("AZURE_STORAGE_BLOB_ENDPOINT");
    char from[600];

    if (credentials_file)
        snprintf(from, sizeof(from), "from the credentials file %s", credentials_file);
    else
        snprintf(from, sizeof(from), "from the environment");

    if (!a->endpoint && ep) {
        if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
            return nb_error(NB_ERR_USAGE,
                            "AZURE_STORAGE_BLOB_ENDPOINT '%s' is not an http(s):// URL", ep);
        if (!(a->endpoint = dup_url(ep)))
            return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    if (!a->account[0] && a->endpoint) {
        char *acc = account_of_endpoint(a->endpoint);
        if (acc) {
            free(a->account);
            a->account = acc;
        }
    }
    if (!a->account[0])
        return nb_error(NB_ERR_USAGE,
                        "no Azure storage account: write BUCKET as "
                        "https://ACCOUNT.blob.core.windows.net/container/path, or set "
                        "AZURE_STORAGE_ACCOUNT_NAME (or ACCOUNT_NAME in the credentials file)");
    for (const char *p = a->account; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-')
            return nb_error(NB_ERR_USAGE, "'%s' is not an Azure storage account name", a->account);
    }
    if (!a->endpoint) {
        if (asprintf(&a->endpoint, "https://%s.blob.%s", a->account,
                     AZURE_DEFAULT_ENDPOINT_SUFFIX) < 0) {
            a->endpoint = NULL;
            return nb_error(NB_ERR_NOMEM, "out of memory");
        }
    }
    if ((a->kind == AZURE_AUTH_WORKLOAD || a->kind == AZURE_AUTH_MANAGED) &&
        strncmp(a->endpoint, "https://", 8) != 0)
        return nb_error(NB_ERR_USAGE,
                        "the Blob endpoint %s is not HTTPS: Azure accepts bearer tokens (%s) only "
                        "over HTTPS; use an https:// endpoint, or an account key or SAS token",
                        a->endpoint, a->identity);
    if (a->kind == AZURE_AUTH_SHARED_KEY)
        snprintf(a->identity, sizeof(a->identity), "the account key (%s)", from);
    else if (a->kind == AZURE_AUTH_SAS)
        snprintf(a->identity, sizeof(a->identity), "the SAS token (%s)", from);
    return NB_OK;
}

nb_err azure_auth_new(const char *credentials_file, const char *url_account,
                      struct azure_auth **out)
{
    struct azure_auth *a = calloc(1, sizeof(*a));
    nb_err err;

    if (!a)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    if ((err = http_client_new(&a->http)) ||
        (err = token_cache_new(fetch, identity_of, a, &a->cache)) ||
        (err = choose_source(a, credentials_file, url_account)) ||
        (err = settle(a, credentials_file)))
        goto fail;
    if (a->kind == AZURE_AUTH_SHARED_KEY) {
        /* Checked once here, so a bad key fails before any request. */
        unsigned char *raw = NULL;
        size_t n = 0;
        if (azure_base64_decode(a->key, &raw, &n) != NB_OK || n == 0) {
            free(raw);
            err = nb_error(NB_ERR_USAGE,
                           "the account key of storage account %s is not valid base64: copy key1 "
                           "or key2 from the storage account's access keys",
                           a->account);
            goto fail;
        }
        OPENSSL_cleanse(raw, n);
        free(raw);
    }
    if (a->kind == AZURE_AUTH_SAS && a->sas[0] == '?')
        memmove(a->sas, a->sas + 1, strlen(a->sas));
    *out = a;
    return NB_OK;
fail:
    azure_auth_free(a);
    return err;
}

void azure_auth_free(struct azure_auth *a)
{
    if (!a)
        return;
    token_cache_free(a->cache);
    http_client_free(a->http);
    free(a->account);
    free(a->endpoint);
    wipe_free(a->key);
    wipe_free(a->sas);
    free(a->tenant);
    free(a->client_id);
    free(a->token_file);
    free(a->authority);
    free(a->imds);
    free(a);
}

/* ---- the signer ---- */

/* Appends *add to *list. */
static nb_err append_all(struct curl_slist **list, const struct curl_slist *add)
{
    for (; add; add = add->next) {
        struct curl_slist *n = curl_slist_append(*list, add->data);
        if (!n)
            return nb_error(NB_ERR_NOMEM, "out of memory");
        *list = n;
    }
    return NB_OK;
}

static nb_err sign_shared_key(struct azure_auth *a, struct http_sign_request *req,
                              const struct curl_slist *added, struct curl_slist **headers)
{
    struct curl_slist *all = NULL;
    char *authorization = NULL;
    nb_err err;

    if (!(err = append_all(&all, req->headers)) && !(err = append_all(&all, added)) &&
        !(err = azure_shared_key(a->account, a->key, req->method, req->url, all, &authorization)))
        err = http_slist_add(headers, "Authorization", authorization);
    if (authorization)
        OPENSSL_cleanse(authorization, strlen(authorization));
    free(authorization);
    curl_slist_free_all(all);
    return err;
}

nb_err azure_sign(void *ctx, struct http_sign_request *req, bool refresh,
                  struct curl_slist **headers)
{
    struct azure_auth *a = ctx;
    struct curl_slist *added = NULL;
    char date[30];
    nb_err err;

    azure_http_date(time(NULL), date);
    if ((err = http_slist_add(&added, "x-ms-date", date)) ||
        (err = http_slist_add(&added, "x-ms-version", AZURE_SERVICE_VERSION)))
        goto out;
    switch (a->kind) {
    case AZURE_AUTH_SHARED_KEY:
        err = sign_shared_key(a, req, added, headers);
        break;
    case AZURE_AUTH_SAS:
        if (asprintf(&req->new_url, "%s%c%s", req->url, strchr(req->url, '?') ? '&' : '?', a->sas) <
            0) {
            req->new_url = NULL;
            err = nb_error(NB_ERR_NOMEM, "out of memory");
        }
        break;
    case AZURE_AUTH_WORKLOAD:
    case AZURE_AUTH_MANAGED:
        if (strncmp(req->url, "https://", 8) != 0)
            err = nb_error(NB_ERR_USAGE, "a bearer token (%s) goes only over HTTPS", a->identity);
        else
            err = token_cache_bearer_sign(a->cache, req, refresh, headers);
        break;
    }
    if (!err)
        err = append_all(headers, added);
out:
    curl_slist_free_all(added);
    return err;
}
