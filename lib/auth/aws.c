/* AWS identities and the SigV4 request signer (see aws.h). */
#include "auth/aws.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/secret_file.h"
#include "auth/sigv4.h"
#include "auth/token_cache.h"
#include "config.h"
#include "log.h"
#include "xml.h"

#define AWS_FILE_MAX       (256u << 10)
#define AWS_TOKEN_FILE_MAX (64u << 10)
#define AWS_STS_DURATION   3600
#define AWS_IMDS_TOKEN_TTL "21600"

enum aws_source { SRC_STATIC, SRC_WEB_IDENTITY, SRC_CONTAINER, SRC_IMDS };

struct aws_auth {
    enum aws_source source;
    char identity[600];
    char region[64];
    struct token_cache *cache;
    struct http_client *http;
    /* web identity */
    char *role_arn, *token_file, *sts_endpoint;
    /* container credentials */
    char *container_uri, *container_token_file, *container_token;
    /* IMDS */
    char *imds_endpoint;
    char imds_role[256];
};

/* Endpoints of the instance and the container may still be starting. */
static const struct http_retry_policy local_policy = {
    .max_retries = 3,
    .base = 0.25,
    .cap = 2.0,
    .budget = 10.0,
};

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* ---- pure helpers ---- */

void aws_profile_clear(struct aws_profile *p)
{
    char **fields[] = {&p->access_key_id, &p->secret_access_key, &p->session_token, &p->region};

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i]) {
            OPENSSL_cleanse(*fields[i], strlen(*fields[i]));
            free(*fields[i]);
            *fields[i] = NULL;
        }
    }
}

static char *trim(char *s)
{
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

bool aws_ini_profile(const char *text, const char *profile, struct aws_profile *out)
{
    char *copy = strdup(text ? text : ""), *save = NULL, *line;
    bool in = false, found = false;

    memset(out, 0, sizeof(*out));
    if (!copy)
        return false;
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line), *eq, *key, *value, **field = NULL;

        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']'), *name;
            if (!end)
                continue;
            *end = '\0';
            name = trim(l + 1);
            if (strncmp(name, "profile ", 8) == 0)
                name = trim(name + 8);
            in = strcmp(name, profile) == 0;
            found = found || in;
            continue;
        }
        if (!in || !(eq = strchr(l, '=')))
            continue;
        *eq = '\0';
        key = trim(l);
        value = trim(eq + 1);
        if (strcasecmp(key, "aws_access_key_id") == 0)
            field = &out->access_key_id;
        else if (strcasecmp(key, "aws_secret_access_key") == 0)
            field = &out->secret_access_key;
        else if (strcasecmp(key, "aws_session_token") == 0 ||
                 strcasecmp(key, "aws_security_token") == 0)
            field = &out->session_token;
        else if (strcasecmp(key, "region") == 0)
            field = &out->region;
        if (field && *value) {
            free(*field);
            *field = strdup(value);
        }
    }
    OPENSSL_cleanse(copy, strlen(text ? text : ""));
    free(copy);
    return found;
}

long long aws_parse_time(const char *iso)
{
    struct tm tm;
    const char *rest;

    memset(&tm, 0, sizeof(tm));
    if (!iso || !(rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)))
        return -1;
    if (*rest == '.')
        for (rest++; isdigit((unsigned char)*rest); rest++)
            ;
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0 && *rest)
        return -1;
    return (long long)timegm(&tm);
}

/* ---- identities ---- */

const char *aws_auth_identity(const struct aws_auth *a)
{
    return a->identity;
}

const char *aws_auth_region(const struct aws_auth *a)
{
    return a->region;
}

static const char *identity_of(void *ctx)
{
    return aws_auth_identity(ctx);
}

/* Temporary credentials out of a JSON document (container, IMDS). */
static nb_err parse_json_credentials(const char *body, const char *source, struct auth_token *out)
{
    json_t *root = json_loads(body ? body : "", 0, NULL);
    const char *id = json_string_value(json_object_get(root, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(root, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(root, "Token"));
    const char *exp = json_string_value(json_object_get(root, "Expiration"));
    nb_err err = NB_OK;

    if (!id || !secret) {
        err = nb_error(NB_ERR_AUTH, "%s answered without AccessKeyId and SecretAccessKey", source);
    } else if (!(out->token = strdup(id)) || !(out->secret = strdup(secret)) ||
               (token && !(out->session = strdup(token)))) {
        err = nb_error(NB_ERR_NOMEM, "out of memory");
    } else {
        long long at = exp ? aws_parse_time(exp) : -1;
        out->lifetime = at > 0 ? (double)(at - (long long)time(NULL)) : 0;
        if (at > 0 && out->lifetime < 1)
            out->lifetime = 1;
    }
    json_decref(root);
    if (err)
        auth_token_clear(out);
    return err;
}

static void excerpt(const struct http_response *resp, char *buf, size_t len)
{
    char code[128], msg[400];

    xml_error(resp->body, resp->body_len, code, sizeof(code), msg, sizeof(msg));
    if (code[0])
        snprintf(buf, len, "%s: %s", code, msg);
    else
        snprintf(buf, len, "%.200s", resp->body ? resp->body : "");
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
}

static nb_err fetch_web_identity(struct aws_auth *a, struct auth_token *out)
{
    char *jwt = NULL, *ejwt = NULL, *erole = NULL, *body = NULL;
    char what[800], info[500];
    size_t len;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "POST", .url = a->sts_endpoint, .what = what};
    nb_err err;

    snprintf(what, sizeof(what), "STS AssumeRoleWithWebIdentity for %s at %s", a->role_arn,
             a->sts_endpoint);
    /* Read again at every renewal: the kubelet rotates the token. */
    if ((err = secret_file_read(a->token_file, AWS_TOKEN_FILE_MAX,
                                "web identity token file "
                                "(AWS_WEB_IDENTITY_TOKEN_FILE)",
                                &jwt, &len)))
        return nb_error_context(err == NB_ERR_USAGE ? NB_ERR_AUTH : err, "%s", what);
    len = strlen(jwt);
    while (len && isspace((unsigned char)jwt[len - 1]))
        jwt[--len] = '\0';
    err = NB_ERR_NOMEM;
    if (!(ejwt = http_escape(jwt)) || !(erole = http_escape(a->role_arn)) ||
        !(body = malloc(strlen(ejwt) + strlen(erole) + 256)) ||
        http_slist_add(&h, "Content-Type", "application/x-www-form-urlencoded") ||
        http_slist_add(&h, "Accept", "application/xml"))
        goto out;
    sprintf(body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=%s"
            "&DurationSeconds=%d&RoleArn=%s&WebIdentityToken=%s",
            AWS_STS_SESSION_NAME, AWS_STS_DURATION, erole, ejwt);
    req.headers = h;
    req.body = body;
    req.body_len = strlen(body);
    if ((err = http_call(a->http, &req, NULL, &resp))) {
        err = nb_error_context(NB_ERR_AUTH, "no credentials for role %s: STS cannot be reached",
                               a->role_arn);
        goto out;
    }
    if (resp.status != 200) {
        excerpt(&resp, info, sizeof(info));
        err = nb_error(NB_ERR_AUTH,
                       "STS refused the web identity for role %s (HTTP %ld: %s): check the role's "
                       "trust policy and the service account's eks.amazonaws.com/role-arn "
                       "annotation",
                       a->role_arn, resp.status, info);
        goto out;
    }
    {
        const char *base = "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/"
                           "Credentials/";
        char p1[200], p2[200], p3[200], p4[200];
        char *exp;
        snprintf(p1, sizeof(p1), "%sAccessKeyId", base);
        snprintf(p2, sizeof(p2), "%sSecretAccessKey", base);
        snprintf(p3, sizeof(p3), "%sSessionToken", base);
        snprintf(p4, sizeof(p4), "%sExpiration", base);
        out->token = xml_find(resp.body, resp.body_len, p1);
        out->secret = xml_find(resp.body, resp.body_len, p2);
        out->session = xml_find(resp.body, resp.body_len, p3);
        exp = xml_find(resp.body, resp.body_len, p4);
        if (!out->token || !out->secret) {
            free(exp);
            auth_token_clear(out);
            err = nb_error(NB_ERR_AUTH, "%s: the answer holds no credentials", what);
            goto out;
        }
        out->lifetime = exp && aws_parse_time(exp) > 0
                            ? (double)(aws_parse_time(exp) - (long long)time(NULL))
                            : AWS_STS_DURATION;
        if (out->lifetime < 1)
            out->lifetime = 1;
        free(exp);
    }
    err = NB_OK;
out:
    secret_file_free(jwt);
    if (ejwt)
        OPENSSL_cleanse(ejwt, strlen(ejwt));
    free(ejwt);
    free(erole);
    if (body)
        OPENSSL_cleanse(body, strlen(body));
    free(body);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err fetch_container(struct aws_auth *a, struct auth_token *out)
{
    char *token = NULL, what[800], info[300];
    size_t len = 0;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "GET", .url = a->container_uri, .what = what};
    nb_err err = NB_OK;

    snprintf(what, sizeof(what), "container credentials at %s", a->container_uri);
    if (a->container_token_file) {
        if ((err = secret_file_read(a->container_token_file, AWS_TOKEN_FILE_MAX,
                                    "container authorization token file", &token, &len)))
            return nb_error_context(NB_ERR_AUTH, "%s", what);
        len = strlen(token);
        while (len && isspace((unsigned char)token[len - 1]))
            token[--len] = '\0';
    }
    if ((token || a->container_token) &&
        (err = http_slist_add(&h, "Authorization", token ? token : a->container_token)))
        goto out;
    req.headers = h;
    if ((err = http_call(a->http, &req, &local_policy, &resp))) {
        err = nb_error_context(NB_ERR_AUTH, "no AWS credentials: the container credentials "
                                            "endpoint cannot be reached");
        goto out;
    }
    if (resp.status != 200) {
        snprintf(info, sizeof(info), "%.200s", resp.body ? resp.body : "");
        err = nb_error(NB_ERR_AUTH,
                       "%s refused (HTTP %ld: %s): check the EKS Pod Identity association of the "
                       "pod's service account",
                       what, resp.status, info);
        goto out;
    }
    err = parse_json_credentials(resp.body, what, out);
out:
    secret_file_free(token);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err imds_get(struct aws_auth *a, const char *token, const char *path,
                       struct http_response *resp)
{
    char url[1024], what[1100];
    struct curl_slist *h = NULL;
    struct http_request req = {.method = "GET", .url = url, .what = what};
    nb_err err;

    snprintf(url, sizeof(url), "%s%s", a->imds_endpoint, path);
    snprintf(what, sizeof(what), "instance metadata %s", url);
    if ((err = http_slist_add(&h, "X-aws-ec2-metadata-token", token)))
        return err;
    req.headers = h;
    err = http_call(a->http, &req, &local_policy, resp);
    curl_slist_free_all(h);
    return err;
}

static nb_err fetch_imds(struct aws_auth *a, struct auth_token *out)
{
    char url[1024], what[1100], path[512];
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    struct http_request req = {.method = "PUT", .url = url, .what = what, .body = ""};
    char *token = NULL;
    nb_err err;

    snprintf(url, sizeof(url), "%s/latest/api/token", a->imds_endpoint);
    snprintf(what, sizeof(what), "instance metadata token at %s", url);
    if ((err = http_slist_add(&h, "X-aws-ec2-metadata-token-ttl-seconds", AWS_IMDS_TOKEN_TTL)))
        return err;
    req.headers = h;
    err = http_call(a->http, &req, &local_policy, &resp);
    curl_slist_free_all(h);
    if (err || resp.status != 200 || !resp.body || !resp.body_len) {
        long status = resp.status;
        http_response_free(&resp);
        return nb_error(NB_ERR_AUTH,
                        "no AWS credentials: none in CREDENTIALS_FILE or AWS_ACCESS_KEY_ID, no "
                        "IRSA (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), no Pod Identity "
                        "(AWS_CONTAINER_CREDENTIALS_FULL_URI), and the instance metadata "
                        "service %s answered %s; give credentials (the chart's secretName) or "
                        "set up IRSA",
                        a->imds_endpoint, status ? "with an error" : "nothing");
    }
    token = resp.body;
    resp.body = NULL;
    http_response_free(&resp);
    if (!a->imds_role[0]) {
        err = imds_get(a, token, "/latest/meta-data/iam/security-credentials/", &resp);
        if (!err && resp.status == 200 && resp.body && resp.body_len &&
            resp.body_len < sizeof(a->imds_role)) {
            snprintf(a->imds_role, sizeof(a->imds_role), "%s", resp.body);
            a->imds_role[strcspn(a->imds_role, "\r\n")] = '\0';
            snprintf(a->identity, sizeof(a->identity), "the instance profile role %s",
                     a->imds_role);
        } else if (!err) {
            err = nb_error(NB_ERR_AUTH,
                           "the instance metadata service %s names no IAM role (HTTP %ld): attach "
                           "an instance profile or give credentials",
                           a->imds_endpoint, resp.status);
        }
        http_response_free(&resp);
        if (err)
            goto out;
    }
    snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s", a->imds_role);
    err = imds_get(a, token, path, &resp);
    if (!err && resp.status != 200)
        err = nb_error(NB_ERR_AUTH,
                       "the instance metadata service refused the credentials of %s "
                       "(HTTP %ld)",
                       a->imds_role, resp.status);
    if (!err)
        err = parse_json_credentials(resp.body, "the instance metadata service", out);
    http_response_free(&resp);
out:
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    free(token);
    return err;
}

static nb_err fetch(void *ctx, struct auth_token *out)
{
    struct aws_auth *a = ctx;

    switch (a->source) {
    case SRC_WEB_IDENTITY:
        return fetch_web_identity(a, out);
    case SRC_CONTAINER:
        return fetch_container(a, out);
    case SRC_IMDS:
        return fetch_imds(a, out);
    case SRC_STATIC:
        break;
    }
    return nb_error(NB_ERR_AUTH, "the credentials of %s were refused", a->identity);
}

static nb_err set_static(struct aws_auth *a, const char *id, const char *secret,
                         const char *session)
{
    struct auth_token t = {
        .token = (char *)id, .secret = (char *)secret, .session = (char *)session};

    a->source = SRC_STATIC;
    return token_cache_set_static(a->cache, &t);
}

static nb_err from_file(struct aws_auth *a, const char *path, char *file_region, size_t rlen)
{
    const char *profile = config_env("AWS_PROFILE") ? config_env("AWS_PROFILE") : "default";
    struct aws_profile p;
    char *text = NULL;
    size_t len;
    nb_err err = secret_file_read(path, AWS_FILE_MAX, "credentials file", &text, &len);

    if (err)
        return err;
    if (!aws_ini_profile(text, profile, &p) || !p.access_key_id || !p.secret_access_key) {
        bool json = text[strspn(text, " \t\r\n")] == '{';
        aws_profile_clear(&p);
        secret_file_free(text);
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' has no profile [%s] with aws_access_key_id and "
                        "aws_secret_access_key%s; fix the secret or AWS_PROFILE",
                        path, profile,
                        json ? " (it looks like a JSON key: is CLOUD_PROVIDER right?)" : "");
    }
    secret_file_free(text);
    snprintf(a->identity, sizeof(a->identity), "access key %s (credentials file %s, profile %s)",
             p.access_key_id, path, profile);
    if (p.region)
        snprintf(file_region, rlen, "%s", p.region);
    err = set_static(a, p.access_key_id, p.secret_access_key, p.session_token);
    aws_profile_clear(&p);
    return err;
}

static nb_err choose_source(struct aws_auth *a, const char *credentials_file, char *file_region,
                            size_t rlen)
{
    const char *v;

    if (credentials_file)
        return from_file(a, credentials_file, file_region, rlen);
    if (config_env("AWS_ACCESS_KEY_ID") || config_env("AWS_SECRET_ACCESS_KEY")) {
        if (!config_env("AWS_ACCESS_KEY_ID") || !config_env("AWS_SECRET_ACCESS_KEY"))
            return nb_error(NB_ERR_USAGE, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go "
                                          "together: set both, or neither");
        snprintf(a->identity, sizeof(a->identity), "access key %s (AWS_ACCESS_KEY_ID)",
                 config_env("AWS_ACCESS_KEY_ID"));
        return set_static(a, config_env("AWS_ACCESS_KEY_ID"), config_env("AWS_SECRET_ACCESS_KEY"),
                          config_env("AWS_SESSION_TOKEN"));
    }
    if (config_env("AWS_ROLE_ARN") || config_env("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        char sts[512];
        if (!config_env("AWS_ROLE_ARN") || !config_env("AWS_WEB_IDENTITY_TOKEN_FILE"))
            return nb_error(NB_ERR_USAGE, "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE go "
                                          "together (IRSA): set both, or neither");
        if ((v = config_env("AWS_ENDPOINT_URL_STS")))
            snprintf(sts, sizeof(sts), "%s", v);
        else
            snprintf(sts, sizeof(sts), "https://sts.%s.amazonaws.com/", a->region);
        a->source = SRC_WEB_IDENTITY;
        snprintf(a->identity, sizeof(a->identity), "role %s (web identity)",
                 config_env("AWS_ROLE_ARN"));
        if (!(a->role_arn = dup_or_null(config_env("AWS_ROLE_ARN"))) ||
            !(a->token_file = dup_or_null(config_env("AWS_WEB_IDENTITY_TOKEN_FILE"))) ||
            !(a->sts_endpoint = strdup(sts)))
            return nb_error(NB_ERR_NOMEM, "out of memory");
        return NB_OK;
    }
    if (config_env("AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
        config_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
        char uri[1024];
        if ((v = config_env("AWS_CONTAINER_CREDENTIALS_FULL_URI")))
            snprintf(uri, sizeof(uri), "%s", v);
        else
            snprintf(uri, sizeof(uri), "%s%s", AWS_ECS_ENDPOINT,
                     config_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
        a->source = SRC_CONTAINER;
        snprintf(a->identity, sizeof(a->identity), "the container credentials of %s", uri);
        if (!(a->container_uri = strdup(uri)) ||
            (config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") &&
             !(a->container_token_file =
                   dup_or_null(config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")))) ||
            (config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN") &&
             !(a->container_token = dup_or_null(config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")))))
            return nb_error(NB_ERR_NOMEM, "out of memory");
        return NB_OK;
    }
    if ((v = config_env("AWS_EC2_METADATA_DISABLED")) && strcasecmp(v, "true") == 0)
        return nb_error(NB_ERR_AUTH,
                        "no AWS credentials: none in CREDENTIALS_FILE or AWS_ACCESS_KEY_ID, no "
                        "IRSA (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), no Pod Identity "
                        "(AWS_CONTAINER_CREDENTIALS_FULL_URI), and the instance metadata service "
                        "is off (AWS_EC2_METADATA_DISABLED); give credentials (the chart's "
                        "secretName) or set up IRSA");
    a->source = SRC_IMDS;
    if (!(a->imds_endpoint = strdup(config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                                        ? config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                                        : AWS_IMDS_ENDPOINT)))
        return nb_error(NB_ERR_NOMEM, "out of memory");
    {
        size_t n = strlen(a->imds_endpoint);
        while (n && a->imds_endpoint[n - 1] == '/')
            a->imds_endpoint[--n] = '\0';
    }
    snprintf(a->identity, sizeof(a->identity), "the instance profile (%s)", a->imds_endpoint);
    return NB_OK;
}

nb_err aws_auth_new(const char *credentials_file, struct aws_auth **out)
{
    struct aws_auth *a = calloc(1, sizeof(*a));
    char file_region[64] = "";
    nb_err err;

    if (!a)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    if ((err = http_client_new(&a->http)) ||
        (err = token_cache_new(fetch, identity_of, a, &a->cache)))
        goto fail;
    /* The region first: STS's default endpoint is regional. */
    snprintf(a->region, sizeof(a->region), "%s",
             config_env("AWS_REGION")           ? config_env("AWS_REGION")
             : config_env("AWS_DEFAULT_REGION") ? config_env("AWS_DEFAULT_REGION")
                                                : "");
    if ((err = choose_source(a, credentials_file, file_region, sizeof(file_region))))
        goto fail;
    if (!a->region[0])
        snprintf(a->region, sizeof(a->region), "%s",
                 file_region[0] ? file_region : AWS_DEFAULT_REGION);
    if (a->source == SRC_WEB_IDENTITY && !config_env("AWS_ENDPOINT_URL_STS")) {
        char sts[512];
        snprintf(sts, sizeof(sts), "https://sts.%s.amazonaws.com/", a->region);
        free(a->sts_endpoint);
        if (!(a->sts_endpoint = strdup(sts))) {
            err = nb_error(NB_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    for (const char *p = a->region; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-') {
            err = nb_error(NB_ERR_USAGE, "AWS region '%s' is not a region name (e.g. eu-west-1)",
                           a->region);
            goto fail;
        }
    }
    *out = a;
    return NB_OK;
fail:
    aws_auth_free(a);
    return err;
}

void aws_auth_free(struct aws_auth *a)
{
    if (!a)
        return;
    token_cache_free(a->cache);
    http_client_free(a->http);
    free(a->role_arn);
    free(a->token_file);
    free(a->sts_endpoint);
    free(a->container_uri);
    free(a->container_token_file);
    if (a->container_token)
        OPENSSL_cleanse(a->container_token, strlen(a->container_token));
    free(a->container_token);
    free(a->imds_endpoint);
    free(a);
}

/* ---- the signer ---- */

nb_err aws_sign(void *ctx, struct http_sign_request *req, bool refresh, struct curl_slist **headers)
{
    struct aws_signer *s = ctx;
    struct auth_token t;
    struct curl_slist *sign = NULL, *added = NULL;
    struct sigv4_result r = {0};
    char amz[32];
    time_t now = time(NULL);
    const char *payload = req->payload_sha256 ? req->payload_sha256 : SIGV4_UNSIGNED_PAYLOAD;
    nb_err err = token_cache_get(s->auth->cache, refresh, &t);

    if (err)
        return err;
    sigv4_amz_date(now, amz, sizeof(amz));
    for (const struct curl_slist *l = req->headers; l; l = l->next) {
        struct curl_slist *n = curl_slist_append(sign, l->data);
        if (!n) {
            err = nb_error(NB_ERR_NOMEM, "out of memory");
            goto out;
        }
        sign = n;
    }
    if ((err = http_slist_add(&added, "x-amz-date", amz)) ||
        (err = http_slist_add(&added, "x-amz-content-sha256", payload)) ||
        (t.session && (err = http_slist_add(&added, "x-amz-security-token", t.session))))
        goto out;
    for (const struct curl_slist *l = added; l; l = l->next) {
        struct curl_slist *n = curl_slist_append(sign, l->data);
        if (!n) {
            err = nb_error(NB_ERR_NOMEM, "out of memory");
            goto out;
        }
        sign = n;
    }
    {
        struct sigv4_params p = {.access_key = t.token,
                                 .secret_key = t.secret,
                                 .region = s->region,
                                 .service = s->service,
                                 .when = now};
        if ((err = sigv4_sign(&p, req->method, req->url, sign, payload, &r)))
            goto out;
    }
    for (const struct curl_slist *l = added; l; l = l->next) {
        struct curl_slist *n = curl_slist_append(*headers, l->data);
        if (!n) {
            err = nb_error(NB_ERR_NOMEM, "out of memory");
            goto out;
        }
        *headers = n;
    }
    err = http_slist_add(headers, "Authorization", r.authorization);
out:
    sigv4_result_free(&r);
    /* the lists may hold the session token */
    for (struct curl_slist *l = added; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(added);
    for (struct curl_slist *l = sign; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(sign);
    auth_token_clear(&t);
    return err;
}
