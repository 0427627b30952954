/*
 * The S3 driver: streamed writes on the shared part writer.
 *
 * An object that never fills a part goes up in one PUT at commit. A larger
 * one starts a multipart upload with its first part; parts are sized by the
 * part writer for S3_MAX_PARTS (5 MiB to 5 GiB, growing when the stream
 * outgrows its hint) and sent as UNSIGNED-PAYLOAD (each byte read once);
 * CompleteMultipartUpload makes the object visible all at once. A failure,
 * an abort or a kill before completion leaves no object under the name:
 * the upload is aborted (AbortMultipartUpload), and a killed process's
 * parts are never visible (a bucket lifecycle rule
 * AbortIncompleteMultipartUpload reclaims them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "storage/part_writer.h"
#include "storage/s3/s3.h"
#include "xml.h"

struct s3_writer {
    struct s3_session *ss;
    char *key;
    char name[1200];
    char *upload_id; /* escaped for queries */
    char **etags;
    unsigned cap_etags; /* etags[number - 1], room for max_parts */
    bool exclusive;     /* STORAGE_WRITE_EXCLUSIVE: If-None-Match: *, 412 is NB_ERR_EXISTS */
    bool locked;        /* holds KEY.lock (exclusive multipart) */
};

static void writer_free(void *ctx)
{
    struct s3_writer *w = ctx;

    for (unsigned i = 0; i < w->cap_etags; i++)
        free(w->etags[i]);
    free(w->etags);
    free(w->upload_id);
    free(w->key);
    free(w);
}

/* 200 answers of CompleteMultipartUpload may still hold an <Error>. */
static nb_err check_answer(struct s3_writer *w, const struct http_response *resp, const char *fmt)
{
    char code[128], msg[400];

    if (w->exclusive && resp->status == 412)
        return nb_error(NB_ERR_EXISTS, STORAGE_MSG_COMMIT ": " STORAGE_MSG_EXISTS, w->name,
                        w->name);
    if (resp->status != 200)
        return s3_fail(w->ss, resp->status, resp->body, resp->headers, fmt, w->name);
    xml_error(resp->body, resp->body_len, code, sizeof(code), msg, sizeof(msg));
    if (code[0])
        return nb_error(NB_ERR_STORAGE, "%s: %s: %s", w->name, code, msg);
    return NB_OK;
}

static nb_err put_whole(void *ctx, const void *buf, size_t len)
{
    struct s3_writer *w = ctx;
    char what[1300];
    char *url = s3_url(w->ss, w->key, "");
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    nb_err err;

    snprintf(what, sizeof(what), "PUT %s (%zu bytes)", w->name, len);
    if (!url)
        return NB_ERR_NOMEM;
    if (!(err = http_slist_add(&h, "Content-Type", "application/octet-stream")) &&
        !(err = s3_object_headers(w->ss, &h)) &&
        !(err = w->exclusive ? http_slist_add(&h, "If-None-Match", "*") : NB_OK))
        err = s3_call(w->ss, "PUT", url, what, h, buf, len, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_COMMIT, w->name);
    else
        err = check_answer(w, &resp, STORAGE_MSG_COMMIT);
    curl_slist_free_all(h);
    http_response_free(&resp);
    free(url);
    return err;
}

/*
 * Exclusive multipart uploads. Some stores ignore If-None-Match on
 * CompleteMultipartUpload (Ceph RGW before 18, AWS before 2024), so an
 * exclusive upload first takes a lock object, KEY.lock, with a conditional
 * PutObject (which they honour), then checks that KEY is free, and removes
 * the lock once it completed or aborted: of two writers, the second finds
 * the lock or the object and gets NB_ERR_EXISTS before it uploads a byte.
 * A killed writer leaves its lock: the name stays taken, as it should for
 * an immutable set. The complete is conditional too, where honoured.
 */
static nb_err lock_call(struct s3_writer *w, const char *method, struct http_response *resp)
{
    size_t len = strlen(w->key) + 8;
    char *lock = malloc(len), *url = NULL, what[1400];
    struct curl_slist *h = NULL;
    nb_err err = NB_ERR_NOMEM;

    if (!lock)
        return err;
    snprintf(lock, len, "%s.lock", w->key);
    snprintf(what, sizeof(what), "%s %s.lock", method, w->name);
    if ((url = s3_url(w->ss, lock, "")) &&
        (strcmp(method, "PUT") || !(err = http_slist_add(&h, "If-None-Match", "*"))))
        err = s3_call(w->ss, method, url, what, h, "", 0, resp);
    curl_slist_free_all(h);
    free(url);
    free(lock);
    return err;
}

static nb_err take_lock(struct s3_writer *w)
{
    struct http_response resp = {0};
    nb_err err = lock_call(w, "PUT", &resp);

    if (err)
        err = nb_error_context(err, STORAGE_MSG_OPEN_WRITE, w->name);
    else if (resp.status == 412)
        err = nb_error(NB_ERR_EXISTS,
                       STORAGE_MSG_OPEN_WRITE ": another writer holds %s.lock (" STORAGE_MSG_EXISTS
                                              " or is being written)",
                       w->name, w->name, w->name);
    else if (resp.status != 200)
        err = s3_fail(w->ss, resp.status, resp.body, resp.headers, STORAGE_MSG_OPEN_WRITE, w->name);
    else
        w->locked = true;
    http_response_free(&resp);
    return err;
}

static void drop_lock(struct s3_writer *w)
{
    struct http_response resp = {0};

    if (!w->locked)
        return;
    if (lock_call(w, "DELETE", &resp) != NB_OK || (resp.status != 204 && resp.status != 200))
        log_warn("%s.lock could not be removed: the name stays taken; remove the lock object "
                 "by hand to write it again",
                 w->name);
    w->locked = false;
    http_response_free(&resp);
}

static nb_err check_absent(struct s3_writer *w)
{
    char *url = s3_url(w->ss, w->key, "");
    struct http_response resp = {0};
    char what[1300];
    nb_err err;

    snprintf(what, sizeof(what), "HEAD %s", w->name);
    if (!url)
        return NB_ERR_NOMEM;
    err = s3_call(w->ss, "HEAD", url, what, NULL, NULL, 0, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_COMMIT, w->name);
    else if (resp.status == 200)
        err = nb_error(NB_ERR_EXISTS, STORAGE_MSG_COMMIT ": " STORAGE_MSG_EXISTS, w->name, w->name);
    else if (resp.status != 404)
        err = s3_fail(w->ss, resp.status, resp.body, resp.headers, STORAGE_MSG_COMMIT, w->name);
    http_response_free(&resp);
    free(url);
    return err;
}

static nb_err start_upload(struct s3_writer *w)
{
    char what[1300], *id;
    char *url = s3_url(w->ss, w->key, "?uploads");
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    nb_err err;

    snprintf(what, sizeof(what), "POST %s (start of a multipart upload)", w->name);
    if (!url)
        return NB_ERR_NOMEM;
    if (!(err = http_slist_add(&h, "Content-Type", "application/octet-stream")) &&
        !(err = s3_object_headers(w->ss, &h)))
        err = s3_call(w->ss, "POST", url, what, h, "", 0, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_OPEN_WRITE, w->name);
    else if (!(err = check_answer(w, &resp, STORAGE_MSG_OPEN_WRITE))) {
        id = xml_find(resp.body, resp.body_len, "InitiateMultipartUploadResult/UploadId");
        if (!id)
            err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_OPEN_WRITE ": no UploadId in the answer",
                           w->name);
        else if (!(w->upload_id = http_escape(id)))
            err = NB_ERR_NOMEM;
        free(id);
    }
    curl_slist_free_all(h);
    http_response_free(&resp);
    free(url);
    return err;
}

static nb_err put_part(void *ctx, unsigned number, uint64_t offset, const void *buf, size_t len,
                       bool final)
{
    struct s3_writer *w = ctx;
    char what[1400], query[1200], etag[256];
    struct http_response resp = {0};
    struct http_client *client = NULL;
    char *url;
    nb_err err;

    (void) final;
    if (!w->upload_id && w->exclusive && ((err = take_lock(w)) || (err = check_absent(w))))
        return err;
    if (!w->upload_id && (err = start_upload(w)))
        return err;
    if (number > w->cap_etags) {
        /* room for every part the store allows: parts may finish out of order */
        unsigned cap = w->ss->max_parts;
        char **p = calloc(cap, sizeof(*p));
        if (!p || number > cap) {
            free(p);
            return nb_error(NB_ERR_NOMEM, "out of memory");
        }
        free(w->etags);
        w->etags = p;
        w->cap_etags = cap;
    }
    snprintf(query, sizeof(query), "?partNumber=%u&uploadId=%s", number, w->upload_id);
    snprintf(what, sizeof(what), "PUT %s (part %u, bytes %" PRIu64 "-%" PRIu64 ")", w->name, number,
             offset, offset + len);
    if (!(url = s3_url(w->ss, w->key, query)))
        return NB_ERR_NOMEM;
    /* Parts after the first may run on upload threads: each its own
     * connection (the session's client is the caller thread's). */
    if (number > 1 && w->ss->parallel_uploads > 1 && (err = http_client_new(&client))) {
        free(url);
        return err;
    }
    err = s3_call_on(w->ss, client ? client : w->ss->http, "PUT", url, what, NULL, buf, len, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_WRITE, w->name);
    else if (resp.status != 200)
        err = s3_fail(w->ss, resp.status, resp.body, resp.headers, STORAGE_MSG_WRITE, w->name);
    else if (!http_header_get(resp.headers, "ETag", etag, sizeof(etag)) || !etag[0])
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_WRITE ": no ETag for part %u", w->name, number);
    else if (!(w->etags[number - 1] = strdup(etag)))
        err = NB_ERR_NOMEM;
    http_client_free(client);
    http_response_free(&resp);
    free(url);
    return err;
}

static nb_err complete(void *ctx, unsigned parts, uint64_t total)
{
    struct s3_writer *w = ctx;
    size_t cap = 64 + (size_t)parts * 200, len = 0;
    char *body = malloc(cap), query[1200], what[1400], *url = NULL;
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "POST %s (complete %u parts, %" PRIu64 " bytes)", w->name, parts,
             total);
    if (!body || parts > w->cap_etags)
        goto out;
    for (unsigned i = 0; i < parts; i++) {
        if (!w->etags[i]) {
            err = nb_error(NB_ERR_INTERNAL, STORAGE_MSG_COMMIT ": part %u was not sent", w->name,
                           i + 1);
            goto out;
        }
    }
    len += (size_t)snprintf(body, cap, "<CompleteMultipartUpload>");
    for (unsigned i = 0; i < parts; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", i + 1,
                                w->etags[i]);
    snprintf(body + len, cap - len, "</CompleteMultipartUpload>");
    snprintf(query, sizeof(query), "?uploadId=%s", w->upload_id);
    if (!(url = s3_url(w->ss, w->key, query)) ||
        (w->exclusive && http_slist_add(&h, "If-None-Match", "*")))
        goto out;
    err = s3_call(w->ss, "POST", url, what, h, body, strlen(body), &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_COMMIT, w->name);
    else
        err = check_answer(w, &resp, STORAGE_MSG_COMMIT);
    if (!err)
        drop_lock(w);
out:
    curl_slist_free_all(h);
    http_response_free(&resp);
    free(url);
    free(body);
    return err;
}

static void abort_upload(void *ctx)
{
    struct s3_writer *w = ctx;
    char query[1200], what[1400];
    struct http_response resp = {0};
    char *url;

    if (!w->upload_id) {
        drop_lock(w);
        return;
    }
    snprintf(query, sizeof(query), "?uploadId=%s", w->upload_id);
    snprintf(what, sizeof(what), "DELETE %s (abort the multipart upload)", w->name);
    url = s3_url(w->ss, w->key, query);
    if (!url || s3_call(w->ss, "DELETE", url, what, NULL, NULL, 0, &resp) != NB_OK ||
        (resp.status != 204 && resp.status != 200 && resp.status != 404))
        log_warn("%s: the multipart upload could not be aborted; nothing is visible under the "
                 "name, and a lifecycle rule (AbortIncompleteMultipartUpload) reclaims its parts",
                 w->name);
    http_response_free(&resp);
    free(url);
    drop_lock(w);
}

static const struct part_ops s3_part_ops = {
    .put_whole = put_whole,
    .put_part = put_part,
    .complete = complete,
    .abort = abort_upload,
    .free = writer_free,
    .parallel = true,
};

nb_err s3_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                     struct storage_writer **out)
{
    struct s3_session *ss = data;
    struct s3_writer *w = calloc(1, sizeof(*w));
    struct part_limits limits = {
        .default_part = S3_DEFAULT_PART,
        .min_part = S3_MIN_PART,
        .max_part = (size_t)S3_MAX_PART,
        .quantum = 1u << 20,
        .max_parts = ss->max_parts,
        .parallel = ss->parallel_uploads,
    };

    if (!w)
        return NB_ERR_NOMEM;
    w->ss = ss;
    w->exclusive = (flags & STORAGE_WRITE_EXCLUSIVE) != 0;
    s3_name(ss, key, w->name, sizeof(w->name));
    if (!(w->key = strdup(key))) {
        writer_free(w);
        return NB_ERR_NOMEM;
    }
    return part_writer_new(&limits, size_hint, &s3_part_ops, w, w->name, out);
}
