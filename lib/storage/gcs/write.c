/*
 * The GCS driver: streamed writes.
 *
 * The shared part writer (storage/part_writer.h) buffers the stream in
 * chunks (GCS_CHUNK_SIZE, default 8 MiB, a multiple of 256 KiB). An object
 * that ends within its first chunk goes up in one media upload at commit.
 * A larger one opens a resumable upload session with its first chunk, and
 * each chunk is PUT with
 * "Content-Range: bytes A-B/(unknown)"; commit() sends the rest with the total,
 * which makes the object visible all at once. A chunk that fails (a cut,
 * 408, 429, 5xx) is not simply sent again: the session is asked what it
 * holds (a "bytes * / *" status query) and the chunk is resent from there.
 * abort() cancels the session (DELETE), so nothing appears under the name.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "storage/gcs/gcs.h"
#include "storage/part_writer.h"

struct gcs_writer {
    struct gcs_session *gs;
    char *key;
    char name[1200]; /* gs://bucket/key */
    char *session;   /* resumable session URI; NULL until a chunk must go */
    /* the chunk being sent (the part writer's buffer) */
    const char *buf;
    size_t len;
    uint64_t sent;  /* bytes the session holds: the object offset of buf[0] */
    bool exclusive; /* STORAGE_WRITE_EXCLUSIVE: ifGenerationMatch=0, 412 is NB_ERR_EXISTS */
};

static nb_err write_fail(struct gcs_writer *w, const struct http_response *resp, const char *fmt)
{
    if (w->exclusive && resp->status == 412)
        return nb_error(NB_ERR_EXISTS, STORAGE_MSG_COMMIT ": " STORAGE_MSG_EXISTS, w->name,
                        w->name);
    return gcs_fail(w->gs, resp, fmt, w->name);
}

static void writer_free(void *ctx)
{
    struct gcs_writer *w = ctx;

    free(w->key);
    free(w->session);
    free(w);
}

/* ---- the session ---- */

static nb_err start_session(struct gcs_writer *w)
{
    struct gcs_session *gs = w->gs;
    char *q = http_escape(w->key), *query = NULL, *url = NULL, *meta = NULL, what[1300];
    char loc[4096];
    struct curl_slist *h = NULL, *h2 = NULL;
    struct http_response resp = {0};
    json_t *obj;
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "POST %s (start of a resumable upload)", w->name);
    if (!q || !(query = malloc(strlen(q) + 64)))
        goto out;
    sprintf(query, "?uploadType=resumable&name=%s%s", q,
            w->exclusive ? "&ifGenerationMatch=0" : "");
    obj = json_pack("{s:s}", "name", w->key);
    meta = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!(url = gcs_url(gs, "/upload/storage/v1", NULL, query)) || !meta ||
        !(h = curl_slist_append(NULL, "Content-Type: application/json; charset=UTF-8")) ||
        !(h2 = curl_slist_append(h, "X-Upload-Content-Type: application/octet-stream")))
        goto out;
    h = h2;
    err = gcs_call(gs, "POST", url, what, h, meta, strlen(meta), &resp);
    if (err) {
        err = nb_error_context(err, STORAGE_MSG_OPEN_WRITE, w->name);
    } else if (resp.status != 200 && resp.status != 201) {
        err = write_fail(w, &resp, STORAGE_MSG_OPEN_WRITE);
    } else if (!http_header_get(resp.headers, "Location", loc, sizeof(loc)) || !loc[0]) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_OPEN_WRITE ": no upload session in the answer",
                       w->name);
    } else if (!(w->session = strdup(loc))) {
        err = NB_ERR_NOMEM;
    }
out:
    free(q);
    free(query);
    free(url);
    free(meta);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

/* What the session holds, from a 308's Range header ("bytes=0-N"). */
static uint64_t persisted_of(const struct http_response *resp)
{
    char v[128];
    uint64_t end;

    if (http_header_get(resp->headers, "Range", v, sizeof(v)) && http_parse_range_end(v, &end))
        return end + 1;
    return 0;
}

/* The object's size in a final answer, to check that all bytes arrived. */
static nb_err check_final(struct gcs_writer *w, const struct http_response *resp, uint64_t total)
{
    json_t *root = json_loads(resp->body ? resp->body : "", 0, NULL);
    const char *size = json_string_value(json_object_get(root, "size"));
    nb_err err = NB_OK;

    if (size && strtoull(size, NULL, 10) != total)
        err = nb_error(NB_ERR_STORAGE,
                       STORAGE_MSG_COMMIT ": the stored object has %s bytes, %" PRIu64 " were sent",
                       w->name, size, total);
    json_decref(root);
    return err;
}

/* Asks the session what it holds: *held bytes, or *complete. */
static nb_err query_session(struct gcs_writer *w, bool final, uint64_t total, uint64_t *held,
                            bool *complete, struct http_response *resp)
{
    char cr[96], what[1300];
    struct curl_slist *h;
    nb_err err;

    if (final)
        snprintf(cr, sizeof(cr), "Content-Range: bytes */%" PRIu64, total);
    else
        snprintf(cr, sizeof(cr), "Content-Range: bytes */*");
    snprintf(what, sizeof(what), "PUT %s (upload status)", w->name);
    if (!(h = curl_slist_append(NULL, cr)))
        return NB_ERR_NOMEM;
    http_response_free(resp);
    err = gcs_call(w->gs, "PUT", w->session, what, h, "", 0, resp);
    curl_slist_free_all(h);
    if (err)
        return nb_error_context(err, STORAGE_MSG_WRITE, w->name);
    *complete = resp->status == 200 || resp->status == 201;
    if (resp->status == 308) {
        *held = persisted_of(resp);
        return NB_OK;
    }
    if (*complete)
        return NB_OK;
    return write_fail(w, resp, STORAGE_MSG_WRITE);
}

/* One PUT of buf[off..len). */
static nb_err put_bytes(struct gcs_writer *w, size_t off, bool final, bool refresh,
                        struct http_response *resp)
{
    uint64_t total = w->sent + w->len;
    char cr[128], what[1300], totals[32];
    struct curl_slist *h = NULL, *h2;
    struct http_request req = {.method = "PUT",
                               .url = w->session,
                               .what = what,
                               .body = w->buf + off,
                               .body_len = w->len - off,
                               .signer = &w->gs->signer,
                               .refresh_auth = refresh};
    nb_err err;

    snprintf(totals, sizeof(totals), final ? "%" PRIu64 : "*", total);
    if (off == w->len)
        snprintf(cr, sizeof(cr), "Content-Range: bytes */%s", totals);
    else
        snprintf(cr, sizeof(cr), "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%s", w->sent + off,
                 total - 1, totals);
    snprintf(what, sizeof(what), "PUT %s (bytes %" PRIu64 "-%" PRIu64 ")", w->name, w->sent + off,
             total);
    if (!(h = curl_slist_append(NULL, cr)) ||
        !(h2 = curl_slist_append(h, "Content-Type: application/octet-stream"))) {
        curl_slist_free_all(h);
        return NB_ERR_NOMEM;
    }
    req.headers = h2;
    http_response_free(resp);
    memset(resp, 0, sizeof(*resp));
    err = http_send(w->gs->http, &req, resp);
    curl_slist_free_all(h2);
    return err;
}

/* Where to resend from, given what the session holds. A non-final chunk
 * must stay a multiple of 256 KiB: resend from a boundary (the session
 * drops what it already has). */
static nb_err resume_offset(struct gcs_writer *w, uint64_t held, bool final, size_t *off)
{
    uint64_t end = w->sent + w->len;

    if (held < w->sent || held > end)
        return nb_error(NB_ERR_STORAGE,
                        STORAGE_MSG_WRITE ": the upload session holds %" PRIu64
                                          " bytes, expected between %" PRIu64 " and %" PRIu64
                                          "; run it again",
                        w->name, held, w->sent, end);
    *off = (size_t)(held - w->sent);
    if (!final)
        *off -= *off % GCS_CHUNK_QUANTUM;
    return NB_OK;
}

/*
 * Sends buf[0..len) to the session: a full chunk, or (final) the rest and
 * the total. Failed attempts are followed by a status query and a resend
 * of what the session lacks, within the shared retry bounds.
 */
static nb_err put_chunk(struct gcs_writer *w, bool final)
{
    uint64_t total = w->sent + w->len, held = w->sent;
    struct http_response resp = {0};
    struct http_retry retry;
    bool refresh = false, refreshed = false, complete = false;
    size_t off = 0;
    nb_err err;

    http_retry_start(&retry, NULL);
    for (;;) {
        err = put_bytes(w, off, final, refresh, &resp);
        refresh = false;
        if (err && resp.curl == CURLE_OK) {
            err = nb_error_context(err, STORAGE_MSG_WRITE, w->name); /* credentials */
            break;
        }
        if (!err && final && (resp.status == 200 || resp.status == 201)) {
            err = check_final(w, &resp, total);
            break;
        }
        if (!err && resp.status == 308) {
            uint64_t now_held = persisted_of(&resp);
            if (!final && now_held == total)
                break; /* the whole chunk is in */
            if (now_held > held) {
                /* It took part of the chunk: send the rest straight away. */
                held = now_held;
                if ((err = resume_offset(w, held, final, &off)))
                    break;
                continue;
            }
            if (!http_retry_wait(&retry, w->name, "the session took no bytes", -1)) {
                err = nb_error(NB_ERR_STORAGE,
                               STORAGE_MSG_WRITE ": the session took no bytes (gave up after %u "
                                                 "retries)",
                               w->name, retry.retries);
                break;
            }
        } else if (!err && (resp.status == 404 || resp.status == 410)) {
            err = nb_error(NB_ERR_STORAGE,
                           STORAGE_MSG_WRITE ": the upload session expired or was cancelled "
                                             "(HTTP %ld); run it again",
                           w->name, resp.status);
            break;
        } else {
            struct http_outcome o = {.curl = resp.curl,
                                     .curl_error = resp.curl_error,
                                     .status = resp.status,
                                     .headers = resp.headers};
            enum http_next next = http_retry_next(&retry, w->name, &o, &refreshed);
            if (next == HTTP_NEXT_REFRESH) {
                refresh = true;
                continue;
            }
            if (next == HTTP_NEXT_FAIL) {
                err = nb_error_context(NB_ERR_STORAGE, STORAGE_MSG_WRITE, w->name);
                break;
            }
            if (next == HTTP_NEXT_DONE) {
                err = write_fail(w, &resp, STORAGE_MSG_WRITE);
                break;
            }
        }
        if ((err = query_session(w, final, total, &held, &complete, &resp)))
            break;
        if (complete) {
            err = final ? check_final(w, &resp, total)
                        : nb_error(NB_ERR_STORAGE,
                                   STORAGE_MSG_WRITE ": the session ended before the last chunk",
                                   w->name);
            break;
        }
        if (!final && held == total)
            break;
        if ((err = resume_offset(w, held, final, &off)))
            break;
        log_info("%s: the upload session holds %" PRIu64 " bytes; resending from there", w->name,
                 held);
    }
    http_response_free(&resp);
    if (!err) {
        w->sent = total;
        w->len = 0;
    }
    return err;
}

/* ---- the part writer's hooks ---- */

static nb_err gcs_put_part(void *ctx, unsigned number, uint64_t offset, const void *buf, size_t len,
                           bool final)
{
    struct gcs_writer *w = ctx;
    nb_err err;

    (void)number;
    w->buf = buf;
    w->len = len;
    w->sent = offset;
    if (!w->session && (err = start_session(w)))
        return err;
    return put_chunk(w, final);
}

/* The whole object in one request (it fits in one chunk). */
static nb_err media_upload(void *ctx, const void *buf, size_t len)
{
    struct gcs_writer *w = ctx;
    char *q = http_escape(w->key), *query = NULL, *url = NULL, what[1300];
    struct curl_slist *h = NULL;
    struct http_response resp = {0};
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "POST %s (%zu bytes)", w->name, len);
    if (!q || !(query = malloc(strlen(q) + 64)))
        goto out;
    sprintf(query, "?uploadType=media&name=%s%s", q, w->exclusive ? "&ifGenerationMatch=0" : "");
    if (!(url = gcs_url(w->gs, "/upload/storage/v1", NULL, query)) ||
        !(h = curl_slist_append(NULL, "Content-Type: application/octet-stream")))
        goto out;
    err = gcs_call(w->gs, "POST", url, what, h, buf, len, &resp);
    if (err)
        err = nb_error_context(err, STORAGE_MSG_COMMIT, w->name);
    else if (resp.status != 200 && resp.status != 201)
        err = write_fail(w, &resp, STORAGE_MSG_COMMIT);
    else
        err = check_final(w, &resp, len);
out:
    free(q);
    free(query);
    free(url);
    curl_slist_free_all(h);
    http_response_free(&resp);
    return err;
}

static void cancel_session(struct gcs_writer *w)
{
    struct http_response resp = {0};
    char what[1300];
    struct http_request req = {
        .method = "DELETE", .url = w->session, .what = what, .signer = &w->gs->signer};

    snprintf(what, sizeof(what), "DELETE %s (cancel the upload)", w->name);
    /* 499 is GCS's answer to a cancelled session. */
    if (http_call(w->gs->http, &req, NULL, &resp) != NB_OK ||
        (resp.status != 499 && resp.status != 204 && resp.status != 200 && resp.status != 404))
        log_warn("%s: the upload session could not be cancelled (%s); GCS drops it within a "
                 "week, nothing is visible under the name",
                 w->name, resp.status ? "an HTTP error" : resp.curl_error);
    http_response_free(&resp);
}

static void gcs_abort(void *ctx)
{
    struct gcs_writer *w = ctx;

    if (w->session)
        cancel_session(w);
}

static const struct part_ops gcs_part_ops = {
    .put_whole = media_upload,
    .put_part = gcs_put_part,
    .abort = gcs_abort,
    .free = writer_free,
};

nb_err gcs_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                      struct storage_writer **out)
{
    struct gcs_session *gs = data;
    struct gcs_writer *w = calloc(1, sizeof(*w));
    struct part_limits limits = {
        .default_part = gs->chunk_size,
        .min_part = gs->chunk_size,
        .max_part = gs->chunk_size,
        .quantum = GCS_CHUNK_QUANTUM,
    };

    if (!w)
        return NB_ERR_NOMEM;
    w->gs = gs;
    w->exclusive = (flags & STORAGE_WRITE_EXCLUSIVE) != 0;
    gcs_name(gs, key, w->name, sizeof(w->name));
    if (!(w->key = strdup(key))) {
        writer_free(w);
        return NB_ERR_NOMEM;
    }
    return part_writer_new(&limits, size_hint, &gcs_part_ops, w, w->name, out);
}
