/* The GCS driver: session, stat, list, copy (rewrite), remove. */
#include "storage/gcs/gcs.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/token_cache.h"
#include "config.h"
#include "log.h"
#include "storage/http_read.h"

/* ---- shared helpers ---- */

const char *gcs_name(const struct gcs_session *gs, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "gs://%s/%s", gs->bucket, key);
    return buf;
}

char *gcs_url(const struct gcs_session *gs, const char *api, const char *key, const char *query)
{
    char *b = http_escape(gs->bucket);
    char *k = key ? http_escape(key) : NULL;
    char *url = NULL;
    size_t len;

    if (b && (!key || k)) {
        len = strlen(gs->endpoint) + strlen(api) + strlen(b) + (k ? strlen(k) : 0) + strlen(query) +
              16;
        if ((url = malloc(len)))
            snprintf(url, len, "%s%s/b/%s/o%s%s%s", gs->endpoint, api, b, k ? "/" : "", k ? k : "",
                     query);
    }
    free(b);
    free(k);
    return url;
}

/* The "message" of Google's JSON error, else the start of the body, on one
 * line. */
static void error_text(const char *body, char *buf, size_t len)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    json_t *msg = json_object_get(json_object_get(root, "error"), "message");

    snprintf(buf, len, "%.300s", json_is_string(msg) ? json_string_value(msg) : body ? body : "");
    json_decref(root);
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    }
    if (!buf[0])
        snprintf(buf, len, "no details");
}

nb_err gcs_fail_status(const struct gcs_session *gs, long status, const char *body, const char *fmt,
                       const char *name)
{
    char what[1400], text[400];

    snprintf(what, sizeof(what), fmt, name);
    error_text(body, text, sizeof(text));
    switch (status) {
    case 401:
        return nb_error(NB_ERR_AUTH, "%s: the credentials of %s were refused (HTTP 401: %s)", what,
                        gcp_auth_identity(gs->auth), text);
    case 403:
        return nb_error(NB_ERR_AUTH,
                        "%s: permission denied to %s (HTTP 403: %s); grant it "
                        "roles/storage.objectAdmin on gs://%s",
                        what, gcp_auth_identity(gs->auth), text, gs->bucket);
    case 404:
        if (strcasestr(text, "bucket"))
            return nb_error(NB_ERR_STORAGE,
                            "%s: the bucket gs://%s does not exist (HTTP 404): create it or fix "
                            "BUCKET",
                            what, gs->bucket);
        return nb_error(NB_ERR_NOT_FOUND, "%s: " STORAGE_MSG_MISSING, what, name);
    default:
        return nb_error(NB_ERR_STORAGE, "%s: HTTP %ld: %s", what, status, text);
    }
}

nb_err gcs_fail(const struct gcs_session *gs, const struct http_response *resp, const char *fmt,
                const char *name)
{
    return gcs_fail_status(gs, resp->status, resp->body, fmt, name);
}

nb_err gcs_call(struct gcs_session *gs, const char *method, const char *url, const char *what,
                const struct curl_slist *headers, const void *body, size_t body_len,
                struct http_response *resp)
{
    struct http_request req = {
        .method = method,
        .url = url,
        .what = what,
        .headers = headers,
        .body = body,
        .body_len = body_len,
        .signer = &gs->signer,
    };
    return http_call(gs->http, &req, NULL, resp);
}

/* A request on one object: records STORAGE_MSG_* context on a transport
 * or credentials failure. */
static nb_err object_call(struct gcs_session *gs, const char *method, const char *url,
                          const char *fmt, const char *name, struct http_response *resp)
{
    char what[1200];
    nb_err err;

    snprintf(what, sizeof(what), "%s %s", method, name);
    err = gcs_call(gs, method, url, what, NULL, NULL, 0, resp);
    if (err)
        return nb_error_context(err, fmt, name);
    return NB_OK;
}

static bool json_u64(json_t *v, uint64_t *out)
{
    char *end;

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    errno = 0;
    *out = strtoull(json_string_value(v), &end, 10);
    return !errno && *end == '\0' && end != json_string_value(v);
}

/* ---- session ---- */

static nb_err parse_endpoint(struct gcs_session *gs)
{
    const char *host = getenv("STORAGE_EMULATOR_HOST");
    size_t len;

    if (!host || !*host)
        host = GCS_DEFAULT_ENDPOINT;
    len = strlen(host) + 8;
    if (!(gs->endpoint = malloc(len)))
        return NB_ERR_NOMEM;
    snprintf(gs->endpoint, len, "%s%s", strstr(host, "://") ? "" : "http://", host);
    len = strlen(gs->endpoint);
    while (len > 0 && gs->endpoint[len - 1] == '/')
        gs->endpoint[--len] = '\0';
    return NB_OK;
}

/* GCS_LIST_PAGE_SIZE: objects per list page (1 to 1000, default 1000), so
 * tests can cover paging with a few objects. */
static nb_err parse_list_page_size(struct gcs_session *gs)
{
    unsigned long long n = 1000;
    nb_err err = config_env_number("GCS_LIST_PAGE_SIZE", 1, 1000, &n);

    gs->list_page_size = (unsigned)n;
    return err;
}

static nb_err parse_chunk_size(struct gcs_session *gs)
{
    const char *v = getenv("GCS_CHUNK_SIZE");
    unsigned long long n;
    char *end;

    gs->chunk_size = GCS_DEFAULT_CHUNK;
    if (!v || !*v)
        return NB_OK;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (*end == 'k' || *end == 'K')
        n <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        n <<= 20, end++;
    if (errno || *end || n == 0 || n % GCS_CHUNK_QUANTUM || n > (1ull << 30))
        return nb_error(NB_ERR_USAGE,
                        "GCS_CHUNK_SIZE '%s' is not a multiple of 256K between 256K and 1024M "
                        "(e.g. 8M)",
                        v);
    gs->chunk_size = (size_t)n;
    return NB_OK;
}

/* One small list request: the identity, its access and the bucket are
 * checked before any work starts. */
static nb_err gcs_probe(struct gcs_session *gs, const char *prefix)
{
    char *p = http_escape(prefix), query[2200], what[600], label[600];
    char *url = NULL;
    struct http_response resp = {0};
    nb_err err;

    if (!p)
        return NB_ERR_NOMEM;
    snprintf(query, sizeof(query), "?maxResults=1&fields=nextPageToken&prefix=%s", p);
    free(p);
    if (!(url = gcs_url(gs, "/storage/v1", NULL, query)))
        return NB_ERR_NOMEM;
    snprintf(label, sizeof(label), "gs://%s", gs->bucket);
    snprintf(what, sizeof(what), "GET %s", label);
    err = gcs_call(gs, "GET", url, what, NULL, NULL, 0, &resp);
    if (err)
        err =
            nb_error_context(err, "unable to access %s as %s", label, gcp_auth_identity(gs->auth));
    else if (resp.status != 200)
        err = gcs_fail(gs, &resp, "unable to access '%s'", label);
    if (err == NB_ERR_NOT_FOUND)
        err = NB_ERR_STORAGE;
    http_response_free(&resp);
    free(url);
    return err;
}

static void gcs_close(void *data)
{
    struct gcs_session *gs = data;

    if (!gs)
        return;
    http_client_free(gs->http);
    gcp_auth_free(gs->auth);
    free(gs->bucket);
    free(gs->endpoint);
    free(gs);
}

static nb_err gcs_open(const struct location *loc, const struct storage_options *opts, void **data)
{
    struct gcs_session *gs = calloc(1, sizeof(*gs));
    nb_err err;

    if (!gs)
        return NB_ERR_NOMEM;
    if (!(gs->bucket = strdup(loc->bucket))) {
        err = NB_ERR_NOMEM;
        goto fail;
    }
    if ((err = parse_endpoint(gs)) || (err = parse_chunk_size(gs)) ||
        (err = parse_list_page_size(gs)) ||
        (err = gcp_auth_new(opts ? opts->credentials_file : NULL, &gs->auth)) ||
        (err = http_client_new(&gs->http)))
        goto fail;
    gs->parallel_reads = opts ? opts->parallel_reads : 1;
    gs->signer.sign = token_cache_bearer_sign;
    gs->signer.ctx = gcp_auth_cache(gs->auth);
    if ((err = gcs_probe(gs, loc->prefix)))
        goto fail;
    log_debug("gcs: %s at %s as %s", loc->display, gs->endpoint, gcp_auth_identity(gs->auth));
    *data = gs;
    return NB_OK;
fail:
    gcs_close(gs);
    return err;
}

/* ---- objects ---- */

static nb_err fail_cb(void *ctx, long status, const char *body, const char *fmt, const char *name)
{
    return gcs_fail_status(ctx, status, body, fmt, name);
}

/* Reads pinned to the generation the first answer names. */
nb_err gcs_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                     struct storage_reader **out)
{
    struct gcs_session *gs = data;
    char name[1200];
    char *url = gcs_url(gs, "/storage/v1", key, "?alt=media");
    struct http_read_spec spec = {.url = url,
                                  .name = gcs_name(gs, key, name, sizeof(name)),
                                  .signer = &gs->signer,
                                  .offset = offset,
                                  .length = length,
                                  .pin_header = "x-goog-generation",
                                  .pin_query = "generation",
                                  .fail = fail_cb,
                                  .fail_ctx = gs,
                                  .parallel = gs->parallel_reads};
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    err = http_read_open(&spec, out);
    free(url);
    return err;
}

static nb_err gcs_stat(void *data, const char *key, struct storage_info *info)
{
    struct gcs_session *gs = data;
    char name[1200];
    char *url = gcs_url(gs, "/storage/v1", key, "?fields=name,size");
    struct http_response resp = {0};
    json_t *root = NULL;
    nb_err err;

    gcs_name(gs, key, name, sizeof(name));
    if (!url)
        return NB_ERR_NOMEM;
    err = object_call(gs, "GET", url, STORAGE_MSG_STAT, name, &resp);
    if (err)
        goto out;
    if (resp.status == 200) {
        root = json_loads(resp.body ? resp.body : "", 0, NULL);
        if (!json_u64(json_object_get(root, "size"), &info->size)) {
            err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_STAT ": the answer has no size", name);
            goto out;
        }
        info->exists = true;
    } else {
        err = gcs_fail(gs, &resp, STORAGE_MSG_STAT, name);
        if (err == NB_ERR_NOT_FOUND) /* missing object, not missing bucket */
            err = NB_OK;
    }
out:
    json_decref(root);
    http_response_free(&resp);
    free(url);
    return err;
}

/* Calls cb for each item of one page; *next gets nextPageToken or NULL. */
static nb_err list_page(const char *body, const char *label, storage_list_cb cb, void *ctx,
                        char **next)
{
    json_error_t jerr;
    json_t *root = json_loads(body ? body : "", 0, &jerr);
    json_t *items = json_object_get(root, "items"), *tok = json_object_get(root, "nextPageToken");
    nb_err err = NB_OK;
    size_t i;
    json_t *it;

    *next = NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        return nb_error(NB_ERR_STORAGE, STORAGE_MSG_LIST ": the answer is not JSON", label);
    }
    json_array_foreach(items, i, it)
    {
        const char *n = json_string_value(json_object_get(it, "name"));
        uint64_t size = 0;
        if (!n || !json_u64(json_object_get(it, "size"), &size))
            continue;
        if ((err = cb(ctx, n, size)))
            break;
    }
    if (!err && json_is_string(tok) && *json_string_value(tok) &&
        !(*next = http_escape(json_string_value(tok))))
        err = NB_ERR_NOMEM;
    json_decref(root);
    return err;
}

static nb_err gcs_list(void *data, const char *prefix, storage_list_cb cb, void *ctx)
{
    struct gcs_session *gs = data;
    char label[1200], query[4096];
    char *p = http_escape(prefix), *token = NULL;
    nb_err err = NB_OK;

    if (!p)
        return NB_ERR_NOMEM;
    gcs_name(gs, prefix, label, sizeof(label));
    do {
        struct http_response resp = {0};
        char *url;

        snprintf(query, sizeof(query),
                 "?prefix=%s&maxResults=%u&fields=items(name,size),nextPageToken%s%s", p,
                 gs->list_page_size, token ? "&pageToken=" : "", token ? token : "");
        free(token);
        token = NULL;
        if (!(url = gcs_url(gs, "/storage/v1", NULL, query))) {
            err = NB_ERR_NOMEM;
            break;
        }
        err = object_call(gs, "GET", url, STORAGE_MSG_LIST, label, &resp);
        if (!err && resp.status != 200)
            err = gcs_fail(gs, &resp, STORAGE_MSG_LIST, label);
        if (!err)
            err = list_page(resp.body, label, cb, ctx, &token);
        http_response_free(&resp);
        free(url);
    } while (!err && token);
    free(token);
    free(p);
    return err;
}

/* One rewriteTo call; *token gets the next rewriteToken or NULL when done. */
static nb_err rewrite_step(struct gcs_session *gs, const char *url, const char *what,
                           const char *sname, const char *dname, char **token)
{
    struct http_response resp = {0};
    json_t *root = NULL, *tok;
    char label[2600];
    nb_err err;

    snprintf(label, sizeof(label), "%s' to '%s", sname, dname);
    *token = NULL;
    err = gcs_call(gs, "POST", url, what, NULL, "", 0, &resp);
    if (err) {
        err = nb_error_context(err, STORAGE_MSG_COPY, sname, dname);
        goto out;
    }
    if (resp.status != 200) {
        err = gcs_fail(gs, &resp, "unable to copy '%s'", label);
        if (err == NB_ERR_NOT_FOUND)
            err = nb_error(err, STORAGE_MSG_COPY ": " STORAGE_MSG_MISSING, sname, dname, sname);
        goto out;
    }
    root = json_loads(resp.body ? resp.body : "", 0, NULL);
    if (!json_is_object(root)) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COPY ": the answer is not JSON", sname, dname);
        goto out;
    }
    tok = json_object_get(root, "rewriteToken");
    if (!json_is_true(json_object_get(root, "done"))) {
        if (!json_is_string(tok))
            err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COPY ": not done and no rewriteToken", sname,
                           dname);
        else if (!(*token = http_escape(json_string_value(tok))))
            err = NB_ERR_NOMEM;
    }
out:
    json_decref(root);
    http_response_free(&resp);
    return err;
}

/* Server-side copy: objects.rewrite, called again with its rewriteToken
 * until done (large or cross-location copies take several calls). */
static nb_err gcs_copy(void *data, const char *src, const char *dst)
{
    struct gcs_session *gs = data;
    char sname[1200], dname[1200], what[2600];
    char *b = http_escape(gs->bucket), *d = http_escape(dst), *token = NULL;
    nb_err err = NB_OK;
    unsigned calls = 0;

    gcs_name(gs, src, sname, sizeof(sname));
    gcs_name(gs, dst, dname, sizeof(dname));
    snprintf(what, sizeof(what), "rewrite %s to %s", sname, dname);
    if (!b || !d) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    do {
        size_t qlen = strlen(b) + strlen(d) + (token ? strlen(token) : 0) + 64;
        char *query = malloc(qlen), *url = NULL;

        if (query) {
            snprintf(query, qlen, "/rewriteTo/b/%s/o/%s%s%s", b, d, token ? "?rewriteToken=" : "",
                     token ? token : "");
            url = gcs_url(gs, "/storage/v1", src, query);
        }
        free(query);
        free(token);
        token = NULL;
        if (!url) {
            err = NB_ERR_NOMEM;
            break;
        }
        err = rewrite_step(gs, url, what, sname, dname, &token);
        free(url);
        if (token && ++calls % 10 == 0)
            log_info("%s: still copying (%u calls)", what, calls);
    } while (!err && token);
out:
    free(token);
    free(b);
    free(d);
    return err;
}

static nb_err gcs_remove(void *data, const char *key)
{
    struct gcs_session *gs = data;
    char name[1200];
    char *url = gcs_url(gs, "/storage/v1", key, "");
    struct http_response resp = {0};
    nb_err err;

    gcs_name(gs, key, name, sizeof(name));
    if (!url)
        return NB_ERR_NOMEM;
    err = object_call(gs, "DELETE", url, STORAGE_MSG_REMOVE, name, &resp);
    if (!err && resp.status != 204 && resp.status != 200)
        err = gcs_fail(gs, &resp, STORAGE_MSG_REMOVE, name);
    http_response_free(&resp);
    free(url);
    return err;
}

const struct storage_driver gcs_driver = {
    .name = "gcs",
    .provider = PROVIDER_GCS,
    .features = STORAGE_SERVER_SIDE_COPY | STORAGE_RANGED_READ,
    .open = gcs_open,
    .close = gcs_close,
    .stat = gcs_stat,
    .list = gcs_list,
    .open_read = gcs_open_read,
    .open_write = gcs_open_write,
    .copy = gcs_copy,
    .remove = gcs_remove,
};
