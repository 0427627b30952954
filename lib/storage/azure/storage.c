/* The Azure Blob driver: session, stat, list, read, copy, remove. */
#include "storage/azure/azure.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "storage/azure/sign.h"
#include "storage/http_read.h"
#include "xml.h"

/* ---- names and URLs ---- */

const char *azure_name(const struct azure_session *as, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "azb://%s/%s", as->container, key);
    return buf;
}

char *azure_url(const struct azure_session *as, const char *key, const char *query)
{
    char *k = key ? http_escape_path(key) : NULL, *url = NULL;

    if (key && !k)
        return NULL;
    if (asprintf(&url, "%s/%s%s%s%s", azure_auth_endpoint(as->auth), as->container, k ? "/" : "",
                 k ? k : "", query) < 0)
        url = NULL;
    free(k);
    return url;
}

/* ---- errors ---- */

/* The permission a failed request needed, for a 403's message. */
static const char *permission_of(const char *fmt)
{
    if (!strcmp(fmt, STORAGE_MSG_LIST) || strstr(fmt, "access"))
        return "list (l)";
    if (!strcmp(fmt, STORAGE_MSG_OPEN_WRITE) || !strcmp(fmt, STORAGE_MSG_WRITE) ||
        !strcmp(fmt, STORAGE_MSG_COMMIT))
        return "write (w)";
    if (!strcmp(fmt, STORAGE_MSG_REMOVE))
        return "delete (d)";
    if (strstr(fmt, "copy"))
        return "read (r) and write (w)";
    return "read (r)";
}

/* A role with that permission, for bearer tokens. */
static const char *role_of(const char *fmt)
{
    if (!strcmp(fmt, STORAGE_MSG_OPEN_READ) || !strcmp(fmt, STORAGE_MSG_READ) ||
        !strcmp(fmt, STORAGE_MSG_STAT) || !strcmp(fmt, STORAGE_MSG_LIST) || strstr(fmt, "access"))
        return "Storage Blob Data Reader (restore) or Contributor (backup)";
    return "Storage Blob Data Contributor";
}

nb_err azure_fail(const struct azure_session *as, long status, const char *body,
                  const char *headers, const char *fmt, const char *name)
{
    char what[1400], code[128] = "", msg[400] = "";
    const char *id = azure_auth_identity(as->auth), *account = azure_auth_account(as->auth);
    enum azure_auth_kind kind = azure_auth_kind(as->auth);

    snprintf(what, sizeof(what), fmt, name);
    xml_error(body, body ? strlen(body) : 0, code, sizeof(code), msg, sizeof(msg));
    if (headers && !code[0])
        http_header_get(headers, "x-ms-error-code", code, sizeof(code));
    /* The service's message is "text\nRequestId:...\nTime:...": the text. */
    msg[strcspn(msg, "\r\n")] = '\0';
    if (strstr(msg, " RequestId:"))
        *strstr(msg, " RequestId:") = '\0';
    if (!msg[0])
        snprintf(msg, sizeof(msg), "%s", code[0] ? code : "no details");
    if (!strcmp(code, "ContainerNotFound"))
        return nb_error(NB_ERR_STORAGE,
                        "%s: the container '%s' does not exist in storage account %s (HTTP %ld): "
                        "create it or fix BUCKET",
                        what, as->container, account, status);
    if (!strcmp(code, "BlobNotFound") || (status == 404 && !code[0]))
        return nb_error(NB_ERR_NOT_FOUND, "%s: " STORAGE_MSG_MISSING " (storage account %s)", what,
                        name, account);
    if (!strcmp(code, "AuthorizationPermissionMismatch") ||
        !strcmp(code, "AuthorizationResourceTypeMismatch") ||
        !strcmp(code, "AuthorizationServiceMismatch")) {
        if (kind == AZURE_AUTH_SAS)
            return nb_error(NB_ERR_AUTH,
                            "%s: %s does not grant %s on container '%s' of storage account %s "
                            "(HTTP %ld %s): make a SAS with permissions racwdl",
                            what, id, permission_of(fmt), as->container, account, status, code);
        return nb_error(NB_ERR_AUTH,
                        "%s: %s may not %s container '%s' in storage account %s (HTTP %ld %s): "
                        "assign it the role %s",
                        what, id, permission_of(fmt), as->container, account, status, code,
                        role_of(fmt));
    }
    if (status == 401 || status == 403 || !strcmp(code, "AuthenticationFailed") ||
        !strcmp(code, "InvalidAuthenticationInfo") || !strcmp(code, "AuthorizationFailure")) {
        const char *hint = kind == AZURE_AUTH_SHARED_KEY
                               ? "check the account name and key (key1 or key2 of the account)"
                           : kind == AZURE_AUTH_SAS
                               ? "check that the SAS token is for this account and container, "
                                 "unexpired, with permissions racwdl"
                               : "assign the identity a Storage Blob Data role on the account";
        return nb_error(NB_ERR_AUTH,
                        "%s: %s was refused on container '%s' of storage account %s (HTTP %ld "
                        "%s: %s): %s",
                        what, id, as->container, account, status, code, msg, hint);
    }
    return nb_error(NB_ERR_STORAGE, "%s: HTTP %ld %s: %s (storage account %s)", what, status, code,
                    msg, account);
}

nb_err azure_call(struct azure_session *as, const char *method, const char *url, const char *what,
                  const struct curl_slist *headers, const void *body, size_t body_len,
                  struct http_response *resp)
{
    return azure_call_on(as, as->http, method, url, what, headers, body, body_len, resp);
}

nb_err azure_call_on(struct azure_session *as, struct http_client *client, const char *method,
                     const char *url, const char *what, const struct curl_slist *headers,
                     const void *body, size_t body_len, struct http_response *resp)
{
    struct curl_slist *h = NULL;
    struct http_request req = {
        .method = method,
        .url = url,
        .what = what,
        .body = body,
        .body_len = body_len,
        .signer = &as->signer,
    };
    char len[32];
    nb_err err;

    /* Shared Key signs Content-Length and Content-Type: send what is
     * signed, not what curl would add on its own. */
    if (body || !strcmp(method, "PUT") || !strcmp(method, "POST")) {
        snprintf(len, sizeof(len), "%zu", body_len);
        if ((err = http_slist_add(&h, "Content-Length", len)) ||
            (!http_slist_get(headers, "Content-Type") &&
             (err = http_slist_add(&h, "Content-Type", "application/octet-stream")))) {
            curl_slist_free_all(h);
            return err;
        }
    }
    for (const struct curl_slist *l = headers; l; l = l->next) {
        struct curl_slist *n = curl_slist_append(h, l->data);
        if (!n) {
            curl_slist_free_all(h);
            return nb_error(NB_ERR_NOMEM, "out of memory");
        }
        h = n;
    }
    req.headers = h;
    err = http_call(client, &req, NULL, resp);
    curl_slist_free_all(h);
    return err;
}

/* A request on one object: records STORAGE_MSG_* context on a transport
 * or credentials failure. */
static nb_err object_call(struct azure_session *as, const char *method, const char *url,
                          const struct curl_slist *headers, const char *fmt, const char *name,
                          struct http_response *resp)
{
    char what[1400];
    nb_err err;

    snprintf(what, sizeof(what), "%s %s", method, name);
    err = azure_call(as, method, url, what, headers, NULL, 0, resp);
    if (err)
        return nb_error_context(err, fmt, name);
    return NB_OK;
}

/* ---- settings ---- */

static nb_err parse_settings(struct azure_session *as)
{
    unsigned long long block = AZURE_DEFAULT_BLOCK, blocks = AZURE_MAX_BLOCKS, page = 5000;
    nb_err err;

    if ((err = config_env_number("AZURE_BLOCK_SIZE", AZURE_MIN_BLOCK, AZURE_MAX_BLOCK, &block)) ||
        (err = config_env_number("AZURE_MAX_BLOCKS", 1, AZURE_MAX_BLOCKS, &blocks)) ||
        (err = config_env_number("AZURE_LIST_PAGE_SIZE", 1, 5000, &page)))
        return err;
    if (block % AZURE_MIN_BLOCK)
        return nb_error(NB_ERR_USAGE, "AZURE_BLOCK_SIZE '%llu' is not a multiple of 65536", block);
    as->block_size = (size_t)block;
    as->max_blocks = (unsigned)blocks;
    as->list_page_size = (unsigned)page;
    return NB_OK;
}

/* ---- list ---- */

/* Calls cb for each blob of a List Blobs page. */
struct list_page {
    storage_list_cb cb;
    void *ctx;
    char name[1100];
    uint64_t size;
    bool have_name;
    char *next;
};

static nb_err list_cb(void *ctx, const char *path, const char *text)
{
    struct list_page *lp = ctx;

    if (!strcmp(path, "EnumerationResults/Blobs/Blob/Name") && text) {
        snprintf(lp->name, sizeof(lp->name), "%s", text);
        lp->have_name = true;
    } else if (!strcmp(path, "EnumerationResults/Blobs/Blob/Properties/Content-Length") && text) {
        lp->size = strtoull(text, NULL, 10);
    } else if (!strcmp(path, "EnumerationResults/Blobs/Blob") && !text) {
        nb_err err = lp->have_name && lp->cb ? lp->cb(lp->ctx, lp->name, lp->size) : NB_OK;
        lp->have_name = false;
        lp->size = 0;
        return err;
    } else if (!strcmp(path, "EnumerationResults/NextMarker") && text && *text) {
        free(lp->next);
        if (!(lp->next = http_escape(text)))
            return NB_ERR_NOMEM;
    }
    return NB_OK;
}

/* List Blobs with prefix and marker paging (one page when one_page). */
static nb_err list_pages(struct azure_session *as, const char *prefix, unsigned page_size,
                         bool one_page, const char *fmt, const char *label, storage_list_cb cb,
                         void *ctx)
{
    char *p = http_escape(prefix), *marker = NULL;
    nb_err err = NB_OK;

    if (!p)
        return NB_ERR_NOMEM;
    do {
        struct http_response resp = {0};
        struct list_page lp = {.cb = cb, .ctx = ctx};
        char *query = NULL, *url = NULL;

        /* No empty parameters: "prefix=" is signed differently by the
         * service and its emulator. */
        if (asprintf(&query, "?restype=container&comp=list&maxresults=%u%s%s%s%s", page_size,
                     *p ? "&prefix=" : "", p, marker ? "&marker=" : "", marker ? marker : "") >= 0)
            url = azure_url(as, NULL, query);
        else
            query = NULL;
        free(query);
        free(marker);
        marker = NULL;
        if (!url) {
            err = NB_ERR_NOMEM;
            break;
        }
        err = object_call(as, "GET", url, NULL, fmt, label, &resp);
        if (!err && resp.status != 200)
            err = azure_fail(as, resp.status, resp.body, resp.headers, fmt, label);
        if (!err)
            err = xml_walk(resp.body, resp.body_len, label, list_cb, &lp);
        if (!err && !one_page) {
            marker = lp.next;
            lp.next = NULL;
        }
        free(lp.next);
        http_response_free(&resp);
        free(url);
    } while (!err && marker);
    free(marker);
    free(p);
    return err;
}

static nb_err azure_list(void *data, const char *prefix, storage_list_cb cb, void *ctx)
{
    struct azure_session *as = data;
    char label[1200];

    return list_pages(as, prefix, as->list_page_size, false, STORAGE_MSG_LIST,
                      azure_name(as, prefix, label, sizeof(label)), cb, ctx);
}

/* ---- session ---- */

static void azure_close(void *data)
{
    struct azure_session *as = data;

    if (!as)
        return;
    http_client_free(as->http);
    azure_auth_free(as->auth);
    free(as->container);
    free(as);
}

static nb_err azure_open(const struct location *loc, const struct storage_options *opts,
                         void **data)
{
    struct azure_session *as = calloc(1, sizeof(*as));
    char label[600];
    nb_err err;

    if (!as)
        return NB_ERR_NOMEM;
    if (!(as->container = strdup(loc->bucket))) {
        err = NB_ERR_NOMEM;
        goto fail;
    }
    if ((err = azure_auth_new(opts ? opts->credentials_file : NULL, loc->account, &as->auth)) ||
        (err = parse_settings(as)) || (err = http_client_new(&as->http)))
        goto fail;
    as->signer = (struct http_signer){.sign = azure_sign, .ctx = as->auth};
    as->parallel_reads = opts ? opts->parallel_reads : 1;
    as->parallel_uploads = opts ? opts->parallel_uploads : 1;
    /* Blocks side by side: smaller ones, so memory stays (N + 1) blocks
     * under the 64 MiB a backup may use (unless AZURE_BLOCK_SIZE says). */
    if (as->parallel_uploads > 1 && !config_env("AZURE_BLOCK_SIZE"))
        as->block_size = AZURE_PARALLEL_BLOCK;
    /* One small listing: identity, access and container are checked
     * before any work starts. */
    snprintf(label, sizeof(label), "azb://%s", as->container);
    err = list_pages(as, loc->prefix, 1, true, "unable to access '%s'", label, NULL, NULL);
    if (err == NB_ERR_NOT_FOUND)
        err = nb_error(NB_ERR_STORAGE,
                       "unable to access '%s': the container does not exist in storage account "
                       "%s: create it or fix BUCKET",
                       label, azure_auth_account(as->auth));
    if (err)
        goto fail;
    log_debug("azure: %s at %s as %s", loc->display, azure_auth_endpoint(as->auth),
              azure_auth_identity(as->auth));
    *data = as;
    return NB_OK;
fail:
    azure_close(as);
    return err;
}

/* ---- objects ---- */

/* Get Blob Properties; the answer's headers stay in resp for the caller. */
static nb_err head(struct azure_session *as, const char *key, const char *fmt, const char *name,
                   struct storage_info *info, struct http_response *resp)
{
    char *url = azure_url(as, key, "");
    char v[64];
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    memset(info, 0, sizeof(*info));
    err = object_call(as, "HEAD", url, NULL, fmt, name, resp);
    if (!err && resp->status == 200) {
        info->exists = true;
        if (!http_header_get(resp->headers, "Content-Length", v, sizeof(v)))
            err = nb_error(NB_ERR_STORAGE, "%s: the answer has no size", name);
        else
            info->size = strtoull(v, NULL, 10);
    } else if (!err) {
        char code[128] = "";
        http_header_get(resp->headers, "x-ms-error-code", code, sizeof(code));
        /* A missing blob is not an error here; a missing container is. */
        if (resp->status != 404 || !strcmp(code, "ContainerNotFound"))
            err = azure_fail(as, resp->status, resp->body, resp->headers, fmt, name);
    }
    free(url);
    return err;
}

static nb_err azure_stat(void *data, const char *key, struct storage_info *info)
{
    struct azure_session *as = data;
    struct http_response resp = {0};
    char name[1200];
    nb_err err;

    err = head(as, key, STORAGE_MSG_STAT, azure_name(as, key, name, sizeof(name)), info, &resp);
    http_response_free(&resp);
    return err;
}

static nb_err read_fail(void *ctx, long status, const char *body, const char *fmt, const char *name)
{
    return azure_fail(ctx, status, body, NULL, fmt, name);
}

/* Reads pinned to the ETag the first answer names (If-Match). */
static nb_err azure_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                              struct storage_reader **out)
{
    struct azure_session *as = data;
    char name[1200];
    char *url = azure_url(as, key, "");
    struct http_read_spec spec = {.url = url,
                                  .name = azure_name(as, key, name, sizeof(name)),
                                  .signer = &as->signer,
                                  .offset = offset,
                                  .length = length,
                                  .pin_header = "ETag",
                                  .fail = read_fail,
                                  .fail_ctx = as,
                                  .parallel = as->parallel_reads};
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    err = http_read_open(&spec, out);
    free(url);
    return err;
}

/* Copy status and its description from an answer's headers. */
static void copy_state(const char *headers, char *status, size_t slen, char *desc, size_t dlen)
{
    /* No x-ms-copy-status: a plain write replaced the blob: nothing pending. */
    if (!http_header_get(headers, "x-ms-copy-status", status, slen))
        snprintf(status, slen, "success");
    if (!http_header_get(headers, "x-ms-copy-status-description", desc, dlen) || !desc[0])
        snprintf(desc, dlen, "no description");
}

/* Polls the destination's properties (bounded backoff) while the Copy Blob
 * `copy_id` is pending; fails on failed or aborted. */
static nb_err copy_wait(struct azure_session *as, const char *dst, const char *label,
                        const char *copy_id, char *status, size_t slen, char *desc, size_t dlen)
{
    char id[128], dname[1200];
    double started = monotonic_seconds(), wait = 0.1;
    struct storage_info info;

    azure_name(as, dst, dname, sizeof(dname));
    while (!strcmp(status, "pending")) {
        struct http_response resp = {0};
        nb_err err;

        if (monotonic_seconds() - started > AZURE_COPY_TIMEOUT)
            return nb_error(NB_ERR_STORAGE,
                            "unable to copy '%s': the Copy Blob is still pending after %.0f s",
                            label, AZURE_COPY_TIMEOUT);
        http_sleep(wait);
        wait = wait * 2 > 5 ? 5 : wait * 2;
        err = head(as, dst, "unable to copy '%s'", label, &info, &resp);
        if (!err && !info.exists)
            err = nb_error(NB_ERR_STORAGE, "unable to copy '%s': %s vanished during the copy",
                           label, dname);
        if (!err && copy_id[0] && http_header_get(resp.headers, "x-ms-copy-id", id, sizeof(id)) &&
            strcmp(id, copy_id) != 0)
            err =
                nb_error(NB_ERR_STORAGE,
                         "unable to copy '%s': another copy to %s started meanwhile", label, dname);
        if (!err)
            copy_state(resp.headers, status, slen, desc, dlen);
        http_response_free(&resp);
        if (err)
            return err;
    }
    log_debug("%s: Copy Blob %s after %.1f s", dname, status, monotonic_seconds() - started);
    if (!strcmp(status, "success"))
        return NB_OK;
    return nb_error(NB_ERR_STORAGE,
                    "unable to copy '%s': the Copy Blob ended '%s' (%s): run the backup again",
                    label, status, desc);
}

/* Server-side copy: Copy Blob, asynchronous, polled until it ends. */
static nb_err azure_copy(void *data, const char *src, const char *dst)
{
    struct azure_session *as = data;
    char sname[1200], dname[1200], label[2600], what[2700], status[32], id[128] = "", desc[400];
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    char *url = azure_url(as, dst, ""), *source = azure_url(as, src, ""), *full = NULL;
    const char *sas = azure_auth_sas(as->auth);
    nb_err err = NB_ERR_NOMEM;

    azure_name(as, src, sname, sizeof(sname));
    azure_name(as, dst, dname, sizeof(dname));
    snprintf(label, sizeof(label), "%s' to '%s", sname, dname);
    snprintf(what, sizeof(what), "copy %s to %s", sname, dname);
    if (!url || !source)
        goto out;
    /* A SAS identity authorizes the source with the same token. */
    if (sas && asprintf(&full, "%s?%s", source, sas) < 0) {
        full = NULL;
        goto out;
    }
    if ((err = http_slist_add(&h, "x-ms-copy-source", full ? full : source)))
        goto out;
    err = azure_call(as, "PUT", url, what, h, NULL, 0, &resp);
    if (err) {
        err = nb_error_context(err, STORAGE_MSG_COPY, sname, dname);
    } else if (resp.status != 202 && resp.status != 201) {
        char code[128] = "";
        http_header_get(resp.headers, "x-ms-error-code", code, sizeof(code));
        err = azure_fail(as, resp.status, resp.body, resp.headers, "unable to copy '%s'", label);
        if (err == NB_ERR_NOT_FOUND && strcmp(code, "BlobNotFound") &&
            strcmp(code, "CannotVerifyCopySource"))
            err = NB_ERR_STORAGE;
    } else {
        http_header_get(resp.headers, "x-ms-copy-id", id, sizeof(id));
        copy_state(resp.headers, status, sizeof(status), desc, sizeof(desc));
        err = copy_wait(as, dst, label, id, status, sizeof(status), desc, sizeof(desc));
    }
out:
    if (full)
        OPENSSL_cleanse(full, strlen(full));
    free(full);
    free(source);
    free(url);
    if (h)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static nb_err azure_remove(void *data, const char *key)
{
    struct azure_session *as = data;
    char name[1200];
    struct http_response resp = {0};
    char *url = azure_url(as, key, "");
    nb_err err;

    azure_name(as, key, name, sizeof(name));
    if (!url)
        return NB_ERR_NOMEM;
    err = object_call(as, "DELETE", url, NULL, STORAGE_MSG_REMOVE, name, &resp);
    if (!err && resp.status != 202 && resp.status != 200)
        err = azure_fail(as, resp.status, resp.body, resp.headers, STORAGE_MSG_REMOVE, name);
    http_response_free(&resp);
    free(url);
    return err;
}

const struct storage_driver azure_driver = {
    .name = "azure",
    .provider = PROVIDER_AZURE,
    .features = STORAGE_SERVER_SIDE_COPY | STORAGE_RANGED_READ,
    .open = azure_open,
    .close = azure_close,
    .stat = azure_stat,
    .list = azure_list,
    .open_read = azure_open_read,
    .open_write = azure_open_write,
    .copy = azure_copy,
    .remove = azure_remove,
};
