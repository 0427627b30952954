/*
 * The Azure Blob driver: streamed writes on the shared part writer.
 *
 * A blob that never fills a block goes up in one Put Blob at commit. A
 * larger one goes up as Put Block requests (fixed-width ids, block size
 * from the part writer for at most AZURE_MAX_BLOCKS blocks) and becomes
 * visible all at once with Put Block List. Until then its blocks are
 * uncommitted: nothing is visible under the name, and the service discards
 * uncommitted blocks after a week (Azure has no call to drop them sooner;
 * a later upload of the same name replaces them). An exclusive write
 * (STORAGE_WRITE_EXCLUSIVE) sends If-None-Match: * with Put Blob and Put
 * Block List: a blob that exists already (409 BlobAlreadyExists, or 412)
 * is NB_ERR_EXISTS and stays untouched.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "storage/azure/azure.h"
#include "storage/azure/sign.h"
#include "storage/part_writer.h"

struct azure_writer {
    struct azure_session *as;
    unsigned nonce;
    char *key;
    char name[1200];
    atomic_uint blocks; /* blocks sent (upload threads add to it) */
    bool exclusive;     /* STORAGE_WRITE_EXCLUSIVE */
};

static void writer_free(void *ctx)
{
    struct azure_writer *w = ctx;

    free(w->key);
    free(w);
}

/* A PUT on the blob with `query` (on `client`, NULL: the session's); a
 * 201 is success. */
static nb_err put(struct azure_writer *w, struct http_client *client, const char *query,
                  const struct curl_slist *headers, const void *buf, size_t len, const char *what,
                  const char *fmt)
{
    char *url = azure_url(w->as, w->key, query);
    struct http_response resp = {0};
    nb_err err;

    if (!url)
        return NB_ERR_NOMEM;
    /* A body pointer even for 0 bytes: Content-Length is always sent. */
    err = azure_call_on(w->as, client ? client : w->as->http, "PUT", url, what, headers,
                        buf ? buf : "", len, &resp);
    if (err)
        err = nb_error_context(err, fmt, w->name);
    else if (w->exclusive && http_slist_get(headers, "If-None-Match") &&
             (resp.status == 409 || resp.status == 412))
        err = nb_error(NB_ERR_EXISTS, "%s: " STORAGE_MSG_EXISTS, w->name, w->name);
    else if (resp.status != 201)
        err = azure_fail(w->as, resp.status, resp.body, resp.headers, fmt, w->name);
    http_response_free(&resp);
    free(url);
    return err;
}

static nb_err put_whole(void *ctx, const void *buf, size_t len)
{
    struct azure_writer *w = ctx;
    char what[1300];
    struct curl_slist *h = NULL;
    nb_err err;

    snprintf(what, sizeof(what), "PUT %s (Put Blob, %zu bytes)", w->name, len);
    if (!(err = http_slist_add(&h, "x-ms-blob-type", "BlockBlob")) &&
        !(err = w->exclusive ? http_slist_add(&h, "If-None-Match", "*") : NB_OK))
        err = put(w, NULL, "", h, buf, len, what, STORAGE_MSG_COMMIT);
    curl_slist_free_all(h);
    return err;
}

static nb_err put_part(void *ctx, unsigned number, uint64_t offset, const void *buf, size_t len,
                       bool final)
{
    struct azure_writer *w = ctx;
    char what[1400], query[128], id[AZURE_BLOCK_ID_LEN + 1];
    struct http_client *client = NULL;
    nb_err err;

    (void) final;
    azure_block_id(w->nonce, number - 1, id);
    if (strlen(id) != AZURE_BLOCK_ID_LEN)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    /* Block ids are [A-Za-z0-9]: no escaping needed. */
    snprintf(query, sizeof(query), "?comp=block&blockid=%s", id);
    snprintf(what, sizeof(what), "PUT %s (block %u, bytes %" PRIu64 "-%" PRIu64 ")", w->name,
             number, offset, offset + len);
    /* Blocks after the first may go on upload threads: each its own
     * connection (the session's client is the caller thread's). */
    if (number > 1 && w->as->parallel_uploads > 1 && (err = http_client_new(&client)))
        return err;
    err = put(w, client, query, NULL, buf, len, what, STORAGE_MSG_WRITE);
    http_client_free(client);
    if (!err)
        atomic_fetch_add(&w->blocks, 1);
    return err;
}

static nb_err complete(void *ctx, unsigned parts, uint64_t total)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    struct azure_writer *w = ctx;
    size_t cap = sizeof(head) + (size_t)parts * (AZURE_BLOCK_ID_LEN + 20) + 16, len;
    char *body = malloc(cap), what[1400], id[AZURE_BLOCK_ID_LEN + 1];
    struct curl_slist *h = NULL;
    nb_err err;

    if (!body)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    if (parts != atomic_load(&w->blocks)) {
        free(body);
        return nb_error(NB_ERR_INTERNAL, STORAGE_MSG_COMMIT ": %u blocks sent, %u to commit",
                        w->name, atomic_load(&w->blocks), parts);
    }
    len = (size_t)snprintf(body, cap, "%s", head);
    for (unsigned i = 0; i < parts; i++) {
        azure_block_id(w->nonce, i, id);
        len += (size_t)snprintf(body + len, cap - len, "<Latest>%s</Latest>", id);
    }
    len += (size_t)snprintf(body + len, cap - len, "</BlockList>");
    snprintf(what, sizeof(what), "PUT %s (Put Block List, %u blocks, %" PRIu64 " bytes)", w->name,
             parts, total);
    if (!(err = http_slist_add(&h, "Content-Type", "application/xml")) &&
        !(err = http_slist_add(&h, "x-ms-blob-content-type", "application/octet-stream")) &&
        !(err = w->exclusive ? http_slist_add(&h, "If-None-Match", "*") : NB_OK))
        err = put(w, NULL, "?comp=blocklist", h, body, len, what, STORAGE_MSG_COMMIT);
    curl_slist_free_all(h);
    free(body);
    return err;
}

static void abort_upload(void *ctx)
{
    struct azure_writer *w = ctx;

    if (atomic_load(&w->blocks))
        log_debug("%s: upload abandoned after %u blocks; they stay uncommitted (invisible) until "
                  "the service discards them",
                  w->name, atomic_load(&w->blocks));
}

static const struct part_ops azure_part_ops = {
    .put_whole = put_whole,
    .put_part = put_part,
    .complete = complete,
    .abort = abort_upload,
    .free = writer_free,
    .parallel = true,
};

nb_err azure_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                        struct storage_writer **out)
{
    struct azure_session *as = data;
    struct azure_writer *w = calloc(1, sizeof(*w));
    struct part_limits limits = {
        .default_part = as->block_size,
        .min_part = as->block_size, /* also the size of blocks sent side by side */
        .max_part = (size_t)AZURE_MAX_BLOCK,
        .quantum = AZURE_MIN_BLOCK,
        .max_parts = as->max_blocks,
        .parallel = as->parallel_uploads,
    };

    if (!w)
        return NB_ERR_NOMEM;
    w->as = as;
    w->exclusive = flags & STORAGE_WRITE_EXCLUSIVE;
    if (RAND_bytes((unsigned char *)&w->nonce, sizeof(w->nonce)) != 1) {
        writer_free(w);
        return nb_error(NB_ERR_INTERNAL, "no random bytes for the block ids of %s (OpenSSL)", key);
    }
    azure_name(as, key, w->name, sizeof(w->name));
    if (!(w->key = strdup(key))) {
        writer_free(w);
        return NB_ERR_NOMEM;
    }
    return part_writer_new(&limits, size_hint, &azure_part_ops, w, w->name, out);
}
