/* The S3 driver: session, stat, list, read, copy, remove. */
#include "storage/s3/s3.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/sigv4.h"
#include "config.h"
#include "log.h"
#include "storage/http_read.h"
#include "xml.h"

/* ---- names and URLs ---- */

const char *s3_name(const struct s3_session *ss, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "s3://%s/%s", ss->bucket, key);
    return buf;
}

char *s3_url(const struct s3_session *ss, const char *key, const char *query)
{
    char *k = key ? http_escape_path(key) : strdup("");
    const char *sep = strstr(ss->endpoint, "://");
    char *url = NULL;
    size_t len;

    if (!k || !sep)
        goto out;
    len = strlen(ss->endpoint) + strlen(ss->bucket) + strlen(k) + strlen(query) + 8;
    if (!(url = malloc(len)))
        goto out;
    if (ss->path_style)
        snprintf(url, len, "%s/%s/%s%s", ss->endpoint, ss->bucket, k, query);
    else
        snprintf(url, len, "%.*s%s.%s/%s%s", (int)(sep + 3 - ss->endpoint), ss->endpoint,
                 ss->bucket, sep + 3, k, query);
out:
    free(k);
    return url;
}

/* ---- errors ---- */

/* The S3 action a failed request needed, for a 403's message. */
static const char *action_of(const char *fmt)
{
    if (fmt == NULL)
        return "s3:GetObject";
    if (!strcmp(fmt, STORAGE_MSG_LIST) || strstr(fmt, "access"))
        return "s3:ListBucket";
    if (!strcmp(fmt, STORAGE_MSG_OPEN_WRITE) || !strcmp(fmt, STORAGE_MSG_WRITE) ||
        !strcmp(fmt, STORAGE_MSG_COMMIT))
        return "s3:PutObject";
    if (!strcmp(fmt, STORAGE_MSG_REMOVE))
        return "s3:DeleteObject";
    if (strstr(fmt, "copy"))
        return "s3:GetObject on the source and s3:PutObject";
    return "s3:GetObject";
}

nb_err s3_fail(const struct s3_session *ss, long status, const char *body, const char *headers,
               const char *fmt, const char *name)
{
    char what[1400], code[128], msg[400], region[64];
    const char *id = aws_auth_identity(ss->auth);

    snprintf(what, sizeof(what), fmt, name);
    xml_error(body, body ? strlen(body) : 0, code, sizeof(code), msg, sizeof(msg));
    if (!msg[0])
        snprintf(msg, sizeof(msg), "%s", code[0] ? code : "no details");
    if (http_header_get(headers, "x-amz-bucket-region", region, sizeof(region)) && region[0] &&
        strcmp(region, aws_auth_region(ss->auth)) != 0 &&
        (status == 301 || status == 400 || status == 403 || !strcmp(code, "PermanentRedirect") ||
         !strcmp(code, "AuthorizationHeaderMalformed")))
        return nb_error(NB_ERR_STORAGE,
                        "%s: the bucket s3://%s is in region %s, not %s: set AWS_REGION=%s", what,
                        ss->bucket, region, aws_auth_region(ss->auth), region);
    if (!strcmp(code, "NoSuchBucket"))
        return nb_error(NB_ERR_STORAGE,
                        "%s: the bucket s3://%s does not exist (HTTP %ld): create it or fix BUCKET",
                        what, ss->bucket, status);
    if (!strcmp(code, "SignatureDoesNotMatch"))
        return nb_error(NB_ERR_AUTH,
                        "%s: the secret access key of %s does not match its key id (HTTP %ld "
                        "SignatureDoesNotMatch): fix the secret",
                        what, id, status);
    if (!strcmp(code, "InvalidAccessKeyId"))
        return nb_error(NB_ERR_AUTH,
                        "%s: the store does not know %s (HTTP %ld InvalidAccessKeyId): fix the "
                        "key id or the endpoint",
                        what, id, status);
    if (!strcmp(code, "ExpiredToken") || !strcmp(code, "TokenRefreshRequired"))
        return nb_error(NB_ERR_AUTH,
                        "%s: the session token of %s has expired (HTTP %ld %s): renew the "
                        "credentials (for IRSA, check the projected token is mounted)",
                        what, id, status, code);
    switch (status) {
    case 401:
    case 403:
        return nb_error(NB_ERR_AUTH,
                        "%s: %s was refused %s on s3://%s (HTTP %ld %s: %s): check the secret "
                        "access key, and grant the action in the bucket or IAM policy",
                        what, id, action_of(fmt), ss->bucket, status, code[0] ? code : "", msg);
    case 404:
        return nb_error(NB_ERR_NOT_FOUND, "%s: " STORAGE_MSG_MISSING, what, name);
    case 301:
        return nb_error(NB_ERR_STORAGE,
                        "%s: the store redirects requests for s3://%s (HTTP 301): set AWS_REGION "
                        "to the bucket's region, or S3_ADDRESSING_STYLE",
                        what, ss->bucket);
    default:
        return nb_error(NB_ERR_STORAGE, "%s: HTTP %ld %s: %s", what, status, code, msg);
    }
}

static bool expired_token(const struct http_response *resp)
{
    char code[128], msg[64];

    if (resp->status != 400 && resp->status != 403)
        return false;
    xml_error(resp->body, resp->body_len, code, sizeof(code), msg, sizeof(msg));
    return !strcmp(code, "ExpiredToken") || !strcmp(code, "TokenRefreshRequired");
}

nb_err s3_call(struct s3_session *ss, const char *method, const char *url, const char *what,
               const struct curl_slist *headers, const void *body, size_t body_len,
               struct http_response *resp)
{
    return s3_call_on(ss, ss->http, method, url, what, headers, body, body_len, resp);
}

nb_err s3_call_on(struct s3_session *ss, struct http_client *client, const char *method,
                  const char *url, const char *what, const struct curl_slist *headers,
                  const void *body, size_t body_len, struct http_response *resp)
{
    char hash[65];
    struct http_request req = {
        .method = method,
        .url = url,
        .what = what,
        .headers = headers,
        .body = body,
        .body_len = body_len,
        .signer = &ss->signer,
    };
    nb_err err;

    /* Small bodies (XML) are signed; large ones go as UNSIGNED-PAYLOAD,
     * never read twice. */
    if (!body || body_len <= (64u << 10)) {
        sigv4_sha256_hex(body ? body : "", body ? body_len : 0, hash);
        req.payload_sha256 = hash;
    }
    err = http_call(client, &req, NULL, resp);
    if (!err && expired_token(resp)) {
        log_info("%s: the session token expired; fetching new credentials and trying again", what);
        http_response_free(resp);
        req.refresh_auth = true;
        err = http_call(client, &req, NULL, resp);
    }
    return err;
}

nb_err s3_object_headers(const struct s3_session *ss, struct curl_slist **h)
{
    nb_err err = NB_OK;

    if (ss->sse && (err = http_slist_add(h, "x-amz-server-side-encryption", ss->sse)))
        return err;
    if (ss->sse_kms_key_id &&
        (err =
             http_slist_add(h, "x-amz-server-side-encryption-aws-kms-key-id", ss->sse_kms_key_id)))
        return err;
    if (ss->storage_class && (err = http_slist_add(h, "x-amz-storage-class", ss->storage_class)))
        return err;
    return NB_OK;
}

/* A request on one object: records STORAGE_MSG_* context on a transport
 * or credentials failure. */
static nb_err object_call(struct s3_session *ss, const char *method, const char *url,
                          const struct curl_slist *headers, const char *fmt, const char *name,
                          struct http_response *resp)
{
    char what[1400];
    nb_err err;

    snprintf(what, sizeof(what), "%s %s", method, name);
    err = s3_call(ss, method, url, what, headers, NULL, 0, resp);
    if (err)
        return nb_error_context(err, fmt, name);
    return NB_OK;
}

/* ---- session ---- */

static nb_err parse_settings(struct s3_session *ss, const struct location *loc)
{
    const char *ep = config_env("AWS_ENDPOINT_URL_S3") ? config_env("AWS_ENDPOINT_URL_S3")
                                                       : config_env("AWS_ENDPOINT_URL");
    const char *style =
        config_env("S3_ADDRESSING_STYLE") ? config_env("S3_ADDRESSING_STYLE") : "auto";
    const char *v;
    char buf[1024];
    size_t n;

    if (ep) {
        if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
            return nb_error(NB_ERR_USAGE, "AWS_ENDPOINT_URL_S3 '%s' is not an http(s):// URL", ep);
        snprintf(buf, sizeof(buf), "%s", ep);
        ss->custom_endpoint = true;
    } else {
        snprintf(buf, sizeof(buf), "https://s3.%s.amazonaws.com", aws_auth_region(ss->auth));
    }
    n = strlen(buf);
    while (n && buf[n - 1] == '/')
        buf[--n] = '\0';
    if (!(ss->endpoint = strdup(buf)))
        return NB_ERR_NOMEM;
    if (!strcmp(style, "path"))
        ss->path_style = true;
    else if (!strcmp(style, "virtual"))
        ss->path_style = false;
    else if (!strcmp(style, "auto"))
        /* Dotted names break TLS wildcards in virtual-hosted style. */
        ss->path_style = ss->custom_endpoint || strchr(loc->bucket, '.');
    else
        return nb_error(NB_ERR_USAGE, "S3_ADDRESSING_STYLE '%s' is not one of path, virtual, auto",
                        style);
    {
        unsigned long long parts = S3_MAX_PARTS, page = 1000;
        nb_err err;
        if ((err = config_env_number("S3_MAX_PARTS", 1, S3_MAX_PARTS, &parts)) ||
            (err = config_env_number("S3_LIST_PAGE_SIZE", 1, 1000, &page)))
            return err;
        ss->max_parts = (unsigned)parts;
        ss->list_page_size = (unsigned)page;
    }
    ss->sse = config_env("S3_SSE");
    if (ss->sse && strcmp(ss->sse, "AES256") && strcmp(ss->sse, "aws:kms"))
        return nb_error(NB_ERR_USAGE, "S3_SSE '%s' is not AES256 or aws:kms", ss->sse);
    ss->sse_kms_key_id = config_env("S3_SSE_KMS_KEY_ID");
    if (ss->sse_kms_key_id && (!ss->sse || strcmp(ss->sse, "aws:kms")))
        return nb_error(NB_ERR_USAGE, "S3_SSE_KMS_KEY_ID needs S3_SSE=aws:kms");
    ss->storage_class = config_env("S3_STORAGE_CLASS");
    if (ss->storage_class) {
        for (const char *p = ss->storage_class; *p; p++) {
            if (!isupper((unsigned char)*p) && *p != '_')
                return nb_error(NB_ERR_USAGE,
                                "S3_STORAGE_CLASS '%s' is not a storage class (e.g. STANDARD_IA)",
                                ss->storage_class);
        }
    }
    if ((v = config_env("AWS_CA_BUNDLE")))
        http_set_ca_fallback(v);
    return NB_OK;
}

/* Calls cb for each object of a ListObjectsV2 page. */
struct list_page {
    storage_list_cb cb;
    void *ctx;
    char key[1100];
    uint64_t size;
    bool have_key, truncated;
    char *next;
};

static nb_err list_cb(void *ctx, const char *path, const char *text)
{
    struct list_page *lp = ctx;

    if (!strcmp(path, "ListBucketResult/Contents/Key") && text) {
        snprintf(lp->key, sizeof(lp->key), "%s", text);
        lp->have_key = true;
    } else if (!strcmp(path, "ListBucketResult/Contents/Size") && text) {
        lp->size = strtoull(text, NULL, 10);
    } else if (!strcmp(path, "ListBucketResult/Contents") && !text) {
        nb_err err = lp->have_key && lp->cb ? lp->cb(lp->ctx, lp->key, lp->size) : NB_OK;
        lp->have_key = false;
        lp->size = 0;
        return err;
    } else if (!strcmp(path, "ListBucketResult/IsTruncated") && text) {
        lp->truncated = !strcmp(text, "true");
    } else if (!strcmp(path, "ListBucketResult/NextContinuationToken") && text && *text) {
        free(lp->next);
        if (!(lp->next = http_escape(text)))
            return NB_ERR_NOMEM;
    }
    return NB_OK;
}

static nb_err list_pages(struct s3_session *ss, const char *prefix, unsigned page_size,
                         bool one_page, const char *fmt, const char *label, storage_list_cb cb,
                         void *ctx)
{
    char *p = http_escape(prefix), *token = NULL;
    nb_err err = NB_OK;

    if (!p)
        return NB_ERR_NOMEM;
    do {
        struct http_response resp = {0};
        struct list_page lp = {.cb = cb, .ctx = ctx};
        size_t qlen = strlen(p) + (token ? strlen(token) : 0) + 96;
        char *query = malloc(qlen), *url = NULL;

        if (query) {
            snprintf(query, qlen, "?list-type=2&max-keys=%u&prefix=%s%s%s", page_size, p,
                     token ? "&continuation-token=" : "", token ? token : "");
            url = s3_url(ss, NULL, query);
        }
        free(query);
        free(token);
        token = NULL;
        if (!url) {
            err = NB_ERR_NOMEM;
            break;
        }
        err = object_call(ss, "GET", url, NULL, fmt, label, &resp);
        if (!err && resp.status != 200)
            err = s3_fail(ss, resp.status, resp.body, resp.headers, fmt, label);
        if (!err)
            err = xml_walk(resp.body, resp.body_len, label, list_cb, &lp);
        if (!err && lp.truncated && !one_page) {
            if (!lp.next)
                err = nb_error(NB_ERR_STORAGE,
                               STORAGE_MSG_LIST ": a truncated page without a continuation token",
                               label);
            token = lp.next;
            lp.next = NULL;
        }
        free(lp.next);
        http_response_free(&resp);
        free(url);
    } while (!err && token);
    free(token);
    free(p);
    return err;
}

static void s3_close(void *data)
{
    struct s3_session *ss = data;

    if (!ss)
        return;
    http_client_free(ss->http);
    aws_auth_free(ss->auth);
    free(ss->bucket);
    free(ss->endpoint);
    free(ss);
}

static nb_err s3_open(const struct location *loc, const struct storage_options *opts, void **data)
{
    struct s3_session *ss = calloc(1, sizeof(*ss));
    char label[600];
    nb_err err;

    if (!ss)
        return NB_ERR_NOMEM;
    if (!(ss->bucket = strdup(loc->bucket))) {
        err = NB_ERR_NOMEM;
        goto fail;
    }
    if ((err = aws_auth_new(opts ? opts->credentials_file : NULL, &ss->auth)) ||
        (err = parse_settings(ss, loc)) || (err = http_client_new(&ss->http)))
        goto fail;
    ss->parallel_uploads = opts ? opts->parallel_uploads : 1;
    ss->parallel_reads = opts ? opts->parallel_reads : 1;
    ss->sigv4 =
        (struct aws_signer){.auth = ss->auth, .region = aws_auth_region(ss->auth), .service = "s3"};
    ss->signer = (struct http_signer){.sign = aws_sign, .ctx = &ss->sigv4};
    /* One small listing: identity, access, bucket and region are checked
     * before any work starts. */
    snprintf(label, sizeof(label), "s3://%s", ss->bucket);
    err = list_pages(ss, loc->prefix, 1, true, "unable to access '%s'", label, NULL, NULL);
    if (err == NB_ERR_NOT_FOUND)
        err = nb_error(NB_ERR_STORAGE, "unable to access '%s': the bucket does not exist", label);
    if (err)
        goto fail;
    log_debug("s3: %s at %s (%s-style, region %s) as %s", loc->display, ss->endpoint,
              ss->path_style ? "path" : "virtual", aws_auth_region(ss->auth),
              aws_auth_identity(ss->auth));
    *data = ss;
    return NB_OK;
fail:
    s3_close(ss);
    return err;
}

/* ---- objects ---- */

static nb_err head(struct s3_session *ss, const char *key, const char *fmt, const char *name,
                   struct storage_info *info)
{
    char *url = s3_url(ss, key, "");
    struct http_response resp = {0};
    char v[64];
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    memset(info, 0, sizeof(*info));
    err = object_call(ss, "HEAD", url, NULL, fmt, name, &resp);
    if (!err && resp.status == 200) {
        info->exists = true;
        if (!http_header_get(resp.headers, "Content-Length", v, sizeof(v)))
            err = nb_error(NB_ERR_STORAGE, "%s: the answer has no size", name);
        else
            info->size = strtoull(v, NULL, 10);
    } else if (!err && resp.status != 404) {
        err = s3_fail(ss, resp.status, resp.body, resp.headers, fmt, name);
    }
    http_response_free(&resp);
    free(url);
    return err;
}

static nb_err s3_stat(void *data, const char *key, struct storage_info *info)
{
    struct s3_session *ss = data;
    char name[1200];

    return head(ss, key, STORAGE_MSG_STAT, s3_name(ss, key, name, sizeof(name)), info);
}

static nb_err s3_list(void *data, const char *prefix, storage_list_cb cb, void *ctx)
{
    struct s3_session *ss = data;
    char label[1200];

    return list_pages(ss, prefix, ss->list_page_size, false, STORAGE_MSG_LIST,
                      s3_name(ss, prefix, label, sizeof(label)), cb, ctx);
}

static nb_err read_fail(void *ctx, long status, const char *body, const char *fmt, const char *name)
{
    return s3_fail(ctx, status, body, NULL, fmt, name);
}

/* Reads pinned to the ETag the first answer names (If-Match). */
static nb_err s3_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                           struct storage_reader **out)
{
    struct s3_session *ss = data;
    char name[1200];
    char *url = s3_url(ss, key, "");
    struct http_read_spec spec = {.url = url,
                                  .name = s3_name(ss, key, name, sizeof(name)),
                                  .signer = &ss->signer,
                                  .offset = offset,
                                  .length = length,
                                  .pin_header = "ETag",
                                  .fail = read_fail,
                                  .fail_ctx = ss,
                                  .parallel = ss->parallel_reads};
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    err = http_read_open(&spec, out);
    free(url);
    return err;
}

/* "/bucket/escaped-key": the x-amz-copy-source of src. */
static char *copy_source(const struct s3_session *ss, const char *src)
{
    char *k = http_escape_path(src), *out = NULL;
    size_t len;

    if (k && (out = malloc((len = strlen(ss->bucket) + strlen(k) + 3))))
        snprintf(out, len, "/%s/%s", ss->bucket, k);
    free(k);
    return out;
}

/* A 200 to a copy may still carry an error (S3 sends it late). */
static nb_err copy_answer(struct s3_session *ss, const struct http_response *resp,
                          const char *label)
{
    char code[128], msg[400];

    if (resp->status == 200) {
        xml_error(resp->body, resp->body_len, code, sizeof(code), msg, sizeof(msg));
        if (!code[0])
            return NB_OK;
        return nb_error(NB_ERR_STORAGE, "unable to copy '%s': %s: %s", label, code, msg);
    }
    return s3_fail(ss, resp->status, resp->body, resp->headers, "unable to copy '%s'", label);
}

/* Above 5 GB: a multipart upload of UploadPartCopy ranges. */
static nb_err copy_parts(struct s3_session *ss, const char *src, const char *dst, uint64_t size,
                         const char *label)
{
    char *dst_url = s3_url(ss, dst, "?uploads"), *source = copy_source(ss, src);
    char *upload = NULL, *eupload = NULL, **etags = NULL, what[2700];
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    uint64_t part = 1ull << 30; /* 1 GiB ranges */
    unsigned parts = (unsigned)((size + part - 1) / part), i;
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "copy %s (multipart)", label);
    if (!dst_url || !source || !(etags = calloc(parts, sizeof(*etags))) ||
        (err = s3_object_headers(ss, &h)))
        goto out;
    err = s3_call(ss, "POST", dst_url, what, h, "", 0, &resp);
    if (!err && resp.status != 200)
        err = s3_fail(ss, resp.status, resp.body, resp.headers, "unable to copy '%s'", label);
    if (!err &&
        !(upload = xml_find(resp.body, resp.body_len, "InitiateMultipartUploadResult/UploadId")))
        err = nb_error(NB_ERR_STORAGE, "unable to copy '%s': no UploadId in the answer", label);
    if (err || !(eupload = http_escape(upload)))
        goto out;
    for (i = 0; i < parts && !err; i++) {
        char query[1024], range[96], *url;
        struct curl_slist *ph = NULL;
        uint64_t first = (uint64_t)i * part,
                 last = first + part > size ? size - 1 : first + part - 1;

        snprintf(query, sizeof(query), "?partNumber=%u&uploadId=%s", i + 1, eupload);
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, first, last);
        http_response_free(&resp);
        if (!(url = s3_url(ss, dst, query)) ||
            (err = http_slist_add(&ph, "x-amz-copy-source", source)) ||
            (err = http_slist_add(&ph, "x-amz-copy-source-range", range))) {
            err = err ? err : NB_ERR_NOMEM;
        } else {
            err = s3_call(ss, "PUT", url, what, ph, "", 0, &resp);
            if (!err && (err = copy_answer(ss, &resp, label)) == NB_OK &&
                !(etags[i] = xml_find(resp.body, resp.body_len, "CopyPartResult/ETag")))
                err = nb_error(NB_ERR_STORAGE, "unable to copy '%s': no ETag for part %u", label,
                               i + 1);
        }
        free(url);
        curl_slist_free_all(ph);
    }
    if (!err) {
        size_t cap = 64 + (size_t)parts * 160, len = 0;
        char *body = malloc(cap), query[1024], *url;
        if (!body) {
            err = NB_ERR_NOMEM;
            goto abort;
        }
        len += (size_t)snprintf(body, cap, "<CompleteMultipartUpload>");
        for (i = 0; i < parts; i++)
            len += (size_t)snprintf(body + len, cap - len,
                                    "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
                                    i + 1, etags[i]);
        snprintf(body + len, cap - len, "</CompleteMultipartUpload>");
        snprintf(query, sizeof(query), "?uploadId=%s", eupload);
        http_response_free(&resp);
        if (!(url = s3_url(ss, dst, query)))
            err = NB_ERR_NOMEM;
        else
            err = s3_call(ss, "POST", url, what, NULL, body, strlen(body), &resp);
        if (!err)
            err = copy_answer(ss, &resp, label);
        free(url);
        free(body);
    }
abort:
    if (err && eupload) {
        char query[1024], *url;
        struct http_response r2 = {0};
        snprintf(query, sizeof(query), "?uploadId=%s", eupload);
        if ((url = s3_url(ss, dst, query)) &&
            s3_call(ss, "DELETE", url, what, NULL, NULL, 0, &r2) == NB_OK)
            log_debug("%s: multipart copy aborted", label);
        http_response_free(&r2);
        free(url);
    }
out:
    for (i = 0; etags && i < parts; i++)
        free(etags[i]);
    free(etags);
    free(upload);
    free(eupload);
    free(source);
    free(dst_url);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

/* Server-side copy: CopyObject up to 5 GB, UploadPartCopy above. */
static nb_err s3_copy(void *data, const char *src, const char *dst)
{
    struct s3_session *ss = data;
    char sname[1200], dname[1200], label[2600], what[2700];
    struct storage_info info;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    char *url = NULL, *source = NULL;
    nb_err err;

    s3_name(ss, src, sname, sizeof(sname));
    s3_name(ss, dst, dname, sizeof(dname));
    snprintf(label, sizeof(label), "%s' to '%s", sname, dname);
    if ((err = head(ss, src, "unable to copy '%s'", label, &info)))
        return err;
    if (!info.exists)
        return nb_error(NB_ERR_NOT_FOUND, STORAGE_MSG_COPY ": " STORAGE_MSG_MISSING, sname, dname,
                        sname);
    if (info.size > S3_MAX_SINGLE_PUT)
        return copy_parts(ss, src, dst, info.size, label);
    snprintf(what, sizeof(what), "copy %s to %s", sname, dname);
    if (!(url = s3_url(ss, dst, "")) || !(source = copy_source(ss, src)) ||
        (err = http_slist_add(&h, "x-amz-copy-source", source)) ||
        (err = http_slist_add(&h, "x-amz-metadata-directive", "COPY")) ||
        (err = s3_object_headers(ss, &h))) {
        err = err ? err : NB_ERR_NOMEM;
        goto out;
    }
    err = s3_call(ss, "PUT", url, what, h, "", 0, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_COPY, sname, dname);
    else
        err = copy_answer(ss, &resp, label);
out:
    free(url);
    free(source);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err s3_remove(void *data, const char *key)
{
    struct s3_session *ss = data;
    char name[1200];
    struct storage_info info;
    struct http_response resp = {0};
    char *url;
    nb_err err;

    s3_name(ss, key, name, sizeof(name));
    /* DELETE answers 204 for a missing key too: the contract wants to know. */
    if ((err = head(ss, key, STORAGE_MSG_REMOVE, name, &info)))
        return err;
    if (!info.exists)
        return nb_error(NB_ERR_NOT_FOUND, STORAGE_MSG_REMOVE ": " STORAGE_MSG_MISSING, name, name);
    if (!(url = s3_url(ss, key, "")))
        return NB_ERR_NOMEM;
    err = object_call(ss, "DELETE", url, NULL, STORAGE_MSG_REMOVE, name, &resp);
    if (!err && resp.status != 204 && resp.status != 200)
        err = s3_fail(ss, resp.status, resp.body, resp.headers, STORAGE_MSG_REMOVE, name);
    http_response_free(&resp);
    free(url);
    return err;
}

const struct storage_driver s3_driver = {
    .name = "s3",
    .provider = PROVIDER_S3,
    .features = STORAGE_SERVER_SIDE_COPY | STORAGE_RANGED_READ,
    .open = s3_open,
    .close = s3_close,
    .stat = s3_stat,
    .list = s3_list,
    .open_read = s3_open_read,
    .open_write = s3_open_write,
    .copy = s3_copy,
    .remove = s3_remove,
};
