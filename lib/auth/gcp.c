/* OAuth2 access tokens for GCS: service-account JWTs and the metadata server. */
#include "auth/gcp.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/secret_file.h"
#include "auth/token_cache.h"
#include "http.h"
#include "log.h"

#define GCP_KEY_MAX_BYTES (64u << 10)
#define GCP_JWT_LIFETIME  3600L

struct gcp_auth {
    /* service-account key; key == NULL: the metadata server */
    EVP_PKEY *key;
    char *client_email;
    char *key_id;
    char *token_uri;
    char *metadata_host;
    char identity[512];
    struct http_client *http;
    struct token_cache *cache;
};

/* Retries for the metadata server: it may still be starting beside us. */
static const struct http_retry_policy metadata_policy = {
    .max_retries = 3,
    .base = 0.25,
    .cap = 2.0,
    .budget = 10.0,
};

static nb_err fetch_token(void *ctx, struct auth_token *out);
static const char *identity_of(void *ctx);

/* ---- pure helpers ---- */

char *gcp_base64url(const void *data, size_t len)
{
    /* OpenSSL's base64, then the URL-safe alphabet without padding (RFC 7515). */
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n;

    if (!out)
        return NULL;
    n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return out;
}

static char *json_compact(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(obj);
    return s;
}

char *gcp_jwt_header(const char *kid)
{
    json_t *h = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");

    if (h && kid && *kid && json_object_set_new(h, "kid", json_string(kid)) != 0) {
        json_decref(h);
        return NULL;
    }
    return json_compact(h);
}

char *gcp_jwt_claims(const char *iss, const char *scope, const char *aud, long long iat,
                     long lifetime)
{
    return json_compact(json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", iss, "scope", scope, "aud",
                                  aud, "iat", (json_int_t)iat, "exp",
                                  (json_int_t)(iat + lifetime)));
}

static nb_err openssl_error(const char *what)
{
    unsigned long e = ERR_get_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;

    ERR_clear_error();
    return nb_error(NB_ERR_AUTH, "%s: %s", what, reason ? reason : "OpenSSL error");
}

nb_err gcp_jwt_sign(EVP_PKEY *key, const char *header, const char *claims, char **jwt)
{
    char *h64 = gcp_base64url(header, strlen(header));
    char *c64 = gcp_base64url(claims, strlen(claims));
    char *input = NULL, *s64 = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0, inlen;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    nb_err err = NB_ERR_NOMEM;

    if (!h64 || !c64 || !md)
        goto out;
    inlen = strlen(h64) + 1 + strlen(c64);
    if (!(input = malloc(inlen + 1)))
        goto out;
    snprintf(input, inlen + 1, "%s.%s", h64, c64);
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, inlen) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, inlen) != 1) {
        err = sig || siglen == 0 ? openssl_error("unable to sign the token request") : NB_ERR_NOMEM;
        goto out;
    }
    if (!(s64 = gcp_base64url(sig, siglen)) || !(*jwt = malloc(inlen + strlen(s64) + 2)))
        goto out;
    snprintf(*jwt, inlen + strlen(s64) + 2, "%s.%s", input, s64);
    err = NB_OK;
out:
    EVP_MD_CTX_free(md);
    free(h64);
    free(c64);
    free(input);
    free(sig);
    free(s64);
    return err;
}

nb_err gcp_parse_token_response(const char *body, char **token, long *expires_in)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    json_t *tok = json_object_get(root, "access_token");
    json_t *exp = json_object_get(root, "expires_in");
    nb_err err = NB_OK;

    if (!json_is_string(tok) || !*json_string_value(tok)) {
        err = nb_error(NB_ERR_STORAGE, "the token endpoint's answer has no access_token");
    } else if (!(*token = strdup(json_string_value(tok)))) {
        err = NB_ERR_NOMEM;
    } else {
        /* Without expires_in, assume Google's usual hour. */
        *expires_in = json_is_integer(exp) ? (long)json_integer_value(exp) : 3600;
        if (json_is_string(exp))
            *expires_in = strtol(json_string_value(exp), NULL, 10);
        if (*expires_in <= 0)
            *expires_in = 1;
    }
    json_decref(root);
    return err;
}

/* ---- reading the key ---- */

static nb_err read_file(const char *path, char **out, size_t *len)
{
    nb_err err = secret_file_read(path, GCP_KEY_MAX_BYTES, "credentials file", out, len);

    if (err == NB_ERR_USAGE && strstr(nb_errmsg(), "larger than"))
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' is larger than %u bytes: it is not a "
                        "service-account key",
                        path, GCP_KEY_MAX_BYTES);
    return err;
}

static const char *json_str(json_t *root, const char *name)
{
    json_t *v = json_object_get(root, name);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

static nb_err load_private_key(struct gcp_auth *a, const char *pem, const char *path)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);

    if (!bio)
        return NB_ERR_NOMEM;
    /* No passphrase callback: service-account keys are not encrypted. */
    a->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    if (!a->key) {
        ERR_clear_error();
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' (%s): its private_key is not a PEM private key; "
                        "download the key again",
                        path, a->client_email);
    }
    return NB_OK;
}

static nb_err parse_key(struct gcp_auth *a, json_t *root, const char *path)
{
    const char *type = json_str(root, "type");
    const char *email = json_str(root, "client_email");
    const char *pem = json_str(root, "private_key");
    const char *uri = json_str(root, "token_uri");
    const char *kid = json_str(root, "private_key_id");

    if (!type || strcmp(type, "service_account") != 0)
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' is %s%s%s, not a service-account key (\"type\": "
                        "\"service_account\"); for workload identity give no credentials file",
                        path, type ? "of type '" : "without a type", type ? type : "",
                        type ? "'" : "");
    if (!email || !pem)
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' lacks %s: download the service-account key again",
                        path, !email ? "client_email" : "private_key");
    if (!(a->client_email = strdup(email)) ||
        !(a->token_uri = strdup(uri ? uri : GCP_DEFAULT_TOKEN_URI)) ||
        (kid && !(a->key_id = strdup(kid))))
        return NB_ERR_NOMEM;
    snprintf(a->identity, sizeof(a->identity), "%s", email);
    return load_private_key(a, pem, path);
}

static nb_err load_key_file(struct gcp_auth *a, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    json_error_t jerr;
    json_t *root;
    nb_err err = read_file(path, &text, &len);

    if (err)
        return err;
    root = json_loadb(text, len, 0, &jerr);
    OPENSSL_cleanse(text, len);
    free(text);
    /* jerr.text may quote the file: only the position goes in the message. */
    if (!json_is_object(root))
        err = nb_error(NB_ERR_USAGE,
                       "credentials file '%s' is not a JSON service-account key (line %d, column "
                       "%d)",
                       path, jerr.line, jerr.column);
    else
        err = parse_key(a, root, path);
    /* Wipe jansson's copy of the PEM text: from here on only a->key holds it. */
    if (json_str(root, "private_key"))
        OPENSSL_cleanse((char *)json_str(root, "private_key"),
                        strlen(json_str(root, "private_key")));
    json_decref(root);
    return err;
}

nb_err gcp_auth_new(const char *credentials_file, struct gcp_auth **out)
{
    struct gcp_auth *a = calloc(1, sizeof(*a));
    const char *host = getenv("GCE_METADATA_HOST");
    nb_err err;

    if (!a)
        return NB_ERR_NOMEM;
    if ((err = http_client_new(&a->http)) ||
        (err = token_cache_new(fetch_token, identity_of, a, &a->cache)))
        goto fail;
    if (credentials_file) {
        if ((err = load_key_file(a, credentials_file)))
            goto fail;
    } else {
        if (!(a->metadata_host = strdup(host && *host ? host : GCP_METADATA_HOST))) {
            err = NB_ERR_NOMEM;
            goto fail;
        }
        snprintf(a->identity, sizeof(a->identity), "the workload identity (metadata server %s)",
                 a->metadata_host);
    }
    *out = a;
    return NB_OK;
fail:
    gcp_auth_free(a);
    return err;
}

void gcp_auth_free(struct gcp_auth *a)
{
    if (!a)
        return;
    EVP_PKEY_free(a->key);
    free(a->client_email);
    free(a->key_id);
    free(a->token_uri);
    free(a->metadata_host);
    token_cache_free(a->cache);
    http_client_free(a->http);
    free(a);
}

const char *gcp_auth_identity(const struct gcp_auth *a)
{
    return a->identity;
}

/* ---- fetching tokens ---- */

/* A short, single-line excerpt of an error answer (never a request). */
static void excerpt(const struct http_response *resp, char *buf, size_t len)
{
    json_t *root = resp->body ? json_loads(resp->body, 0, NULL) : NULL;
    const char *e = json_str(root, "error"), *d = json_str(root, "error_description");
    size_t i;

    if (e)
        snprintf(buf, len, "%s%s%s", e, d ? ": " : "", d ? d : "");
    else
        snprintf(buf, len, "%.200s", resp->body ? resp->body : "");
    json_decref(root);
    for (i = 0; buf[i]; i++) {
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    }
}

static nb_err store_token(const struct http_response *resp, struct auth_token *out)
{
    long expires_in = 0;
    nb_err err = gcp_parse_token_response(resp->body, &out->token, &expires_in);

    if (err)
        return err;
    out->lifetime = (double)expires_in;
    return NB_OK;
}

static nb_err fetch_jwt_token(struct gcp_auth *a, struct auth_token *out)
{
    static const char grant[] = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                                "&assertion=";
    char *header = gcp_jwt_header(a->key_id);
    char *claims = gcp_jwt_claims(a->client_email, GCP_SCOPE_READ_WRITE, a->token_uri,
                                  (long long)time(NULL), GCP_JWT_LIFETIME);
    char *jwt = NULL, *body = NULL, what[600], msg[400];
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "POST", .url = a->token_uri, .what = what};
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "token request for %s at %s", a->client_email, a->token_uri);
    if (!header || !claims ||
        !(h = curl_slist_append(NULL, "Content-Type: "
                                      "application/x-www-form-urlencoded")))
        goto out;
    if ((err = gcp_jwt_sign(a->key, header, claims, &jwt)))
        goto out;
    if (!(body = malloc(sizeof(grant) + strlen(jwt)))) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    snprintf(body, sizeof(grant) + strlen(jwt), "%s%s", grant, jwt);
    req.headers = h;
    req.body = body;
    req.body_len = strlen(body);
    if ((err = http_call(a->http, &req, NULL, &resp)))
        goto out;
    if (resp.status == 200) {
        err = store_token(&resp, out);
    } else {
        excerpt(&resp, msg, sizeof(msg));
        err = nb_error(resp.status >= 400 && resp.status < 500 ? NB_ERR_AUTH : NB_ERR_STORAGE,
                       "the service-account key of %s was refused by %s (HTTP %ld: %s): the key "
                       "may be wrong, revoked or deleted; create a new key and update the secret",
                       a->client_email, a->token_uri, resp.status, msg);
    }
out:
    if (body)
        OPENSSL_cleanse(body, strlen(body));
    if (jwt)
        OPENSSL_cleanse(jwt, strlen(jwt));
    free(body);
    free(jwt);
    free(header);
    free(claims);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err metadata_get(struct gcp_auth *a, const char *path, struct http_response *resp)
{
    char url[1024], what[1100];
    struct curl_slist *h = curl_slist_append(NULL, "Metadata-Flavor: Google");
    struct http_request req = {.method = "GET", .url = url, .what = what, .headers = h};
    nb_err err;

    if (!h)
        return NB_ERR_NOMEM;
    snprintf(url, sizeof(url), "http://%s/computeMetadata/v1/instance/service-accounts/default/%s",
             a->metadata_host, path);
    snprintf(what, sizeof(what), "metadata server %s (%s)", a->metadata_host, path);
    err = http_call(a->http, &req, &metadata_policy, resp);
    curl_slist_free_all(h);
    return err;
}

/* The account's email, for messages; a failure only keeps the vaguer name. */
static void fetch_metadata_email(struct gcp_auth *a)
{
    struct http_response resp;

    if (metadata_get(a, "email", &resp) == NB_OK && resp.status == 200 && resp.body &&
        resp.body_len && resp.body_len < 256 && !strpbrk(resp.body, "\r\n\""))
        snprintf(a->identity, sizeof(a->identity), "the workload identity %s", resp.body);
    http_response_free(&resp);
}

static nb_err fetch_metadata_token(struct gcp_auth *a, struct auth_token *out)
{
    struct http_response resp;
    char msg[400];
    nb_err err = metadata_get(a, "token", &resp);

    if (err) {
        err = nb_error(NB_ERR_AUTH,
                       "no credentials file was given and the metadata server %s cannot be "
                       "reached (%s): give a service-account key (CREDENTIALS_FILE, or the "
                       "chart's secretName) or enable workload identity",
                       a->metadata_host, resp.curl_error);
    } else if (resp.status != 200) {
        excerpt(&resp, msg, sizeof(msg));
        err = nb_error(NB_ERR_AUTH,
                       "the metadata server %s gave no token (HTTP %ld: %s): check that the pod's "
                       "Kubernetes service account is bound to a Google service account",
                       a->metadata_host, resp.status, msg);
    } else {
        err = store_token(&resp, out);
    }
    http_response_free(&resp);
    if (!err && strncmp(a->identity, "the workload identity (", 23) == 0)
        fetch_metadata_email(a);
    return err;
}

static nb_err fetch_token(void *ctx, struct auth_token *out)
{
    struct gcp_auth *a = ctx;

    return a->key ? fetch_jwt_token(a, out) : fetch_metadata_token(a, out);
}

static const char *identity_of(void *ctx)
{
    return gcp_auth_identity(ctx);
}

struct token_cache *gcp_auth_cache(struct gcp_auth *a)
{
    return a->cache;
}
